// The CPU-bound job every contender of the worker bench runs, in plain JavaScript so that the
// piscina worker (which cannot load TypeScript) runs exactly the same code as weft's.
// (An FNV-1a loop over a counter was the job before: in piscina's threads it ran 4× slower after
// about 900 jobs per thread, a JIT artefact no other contender showed, so a warm run was unfair to
// piscina. This CRC-32 runs at one speed everywhere.)

/** CRC-32 (IEEE) lookup table. */
const table = new Int32Array(256)
for (let n = 0; n < 256; n++) {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  table[n] = c
}

/** The input of a job of `size` bytes: a fixed pattern, made once per thread and size. */
const inputs = new Map()
const inputOf = (size) => {
  let input = inputs.get(size)
  if (input === undefined) {
    input = new Uint8Array(size)
    for (let i = 0; i < size; i++) input[i] = (i * 31 + (i >>> 8)) & 0xff
    inputs.set(size, input)
  }
  return input
}

/** CRC-32 of `size` bytes of a generated pattern, table-driven: about 2.5 ms per MiB here. */
export const crc32 = (size) => {
  const bytes = inputOf(size)
  let crc = -1
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}
