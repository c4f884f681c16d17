// The CPU-bound job every contender of the worker bench runs, in plain JavaScript so that the
// piscina worker (which cannot load TypeScript) runs exactly the same code as weft's.

/** FNV-1a over `size` bytes of a generated pattern: pure computation, no memory traffic. */
export const fnv1a = (size) => {
  let h = 0x811c9dc5
  for (let i = 0; i < size; i++) h = Math.imul(h ^ (i & 0xff), 0x01000193)
  return h >>> 0
}
