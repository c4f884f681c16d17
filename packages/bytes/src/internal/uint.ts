/**
 * Unsigned integers of 1 to 8 bytes, as the length fields of `LengthDelimited` use them. Values
 * are JavaScript numbers: exact up to 2^53, the nearest double above (only ever compared against
 * a limit that is itself at most 2^53).
 */

/**
 * The value of the `width`-byte unsigned integer at `offset`. Read as two exact halves of at most
 * 32 bits joined by one addition, so values above 2^53 are rounded once, to the nearest double.
 *
 * @internal
 */
export const readUint = (array: Uint8Array, offset: number, width: number, littleEndian: boolean): number => {
  // The i-th most significant byte.
  const byte = (i: number): number => array[littleEndian ? offset + width - 1 - i : offset + i]!
  const lowWidth = Math.min(width, 4)
  let high = 0
  let low = 0
  for (let i = 0; i < width - lowWidth; i++) high = high * 256 + byte(i)
  for (let i = width - lowWidth; i < width; i++) low = low * 256 + byte(i)
  return high * 2 ** (8 * lowWidth) + low
}

/** Writes `value` (a safe non-negative integer below 256^width) into `width` bytes. @internal */
export const writeUint = (
  array: Uint8Array,
  offset: number,
  value: number,
  width: number,
  littleEndian: boolean
): void => {
  let rest = value
  for (let i = 0; i < width; i++) {
    const byte = rest % 256
    rest = (rest - byte) / 256
    array[littleEndian ? offset + i : offset + width - 1 - i] = byte
  }
}

/** The largest value a field of `width` bytes holds, capped at the largest safe integer. @internal */
export const maxUint = (width: number): number => Math.min(2 ** (8 * width) - 1, Number.MAX_SAFE_INTEGER)

/** A reader of one field layout, picked once per decoder so the per-frame read is straight-line code. @internal */
export type UintReader = (array: Uint8Array, offset: number) => number

/** @internal */
export const uintReader = (width: number, littleEndian: boolean): UintReader => {
  switch (width) {
    case 1:
      return (a, o) => a[o]!
    case 2:
      return littleEndian ? (a, o) => a[o]! | (a[o + 1]! << 8) : (a, o) => (a[o]! << 8) | a[o + 1]!
    case 4:
      return littleEndian
        ? (a, o) => (a[o]! | (a[o + 1]! << 8) | (a[o + 2]! << 16)) + a[o + 3]! * 0x1000000
        : (a, o) => a[o]! * 0x1000000 + ((a[o + 1]! << 16) | (a[o + 2]! << 8) | a[o + 3]!)
    default:
      return (a, o) => readUint(a, o, width, littleEndian)
  }
}
