/** Cuts `bytes` at the given points, giving every piece its own `ArrayBuffer`, as socket reads do. */
export const cut = (bytes: Uint8Array, points: ReadonlyArray<number>): Array<Uint8Array> => {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b)
  const pieces: Array<Uint8Array> = []
  let start = 0
  for (const point of [...sorted, bytes.length]) {
    if (point > start) pieces.push(bytes.slice(start, point))
    start = Math.max(start, point)
  }
  return pieces
}
