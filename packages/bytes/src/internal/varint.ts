/**
 * Unsigned LEB128 ("varint") length fields, as protobuf's delimited streams and it-length-prefixed's
 * default use them: 7 bits a byte, least significant group first, the high bit set on every byte
 * but the last. Values are JavaScript numbers, built by multiplication so they stay exact up to
 * 2^53 (a frame length is never allowed past that).
 */

/** Bytes a varint length field may take: 8 carry 56 bits, past every safe frame length. @internal */
export const maxVarintBytes = 8

/**
 * Reads the varint at `offset`, looking no further than `end`. Returns the field's size in bytes
 * when it is complete, 0 when more bytes are needed, -1 when it runs past `maxVarintBytes`.
 * `into.value` holds the value read so far in every case, so a caller can refuse an oversized
 * frame before the rest of its length field arrives.
 *
 * @internal
 */
export const readVarint = (array: Uint8Array, offset: number, end: number, into: { value: number }): number => {
  let value = 0
  let scale = 1
  const last = Math.min(end, offset + maxVarintBytes)
  for (let i = offset; i < last; i++) {
    const byte = array[i]!
    value += (byte & 0x7f) * scale
    if (byte < 0x80) {
      into.value = value
      return i - offset + 1
    }
    scale *= 128
  }
  into.value = value
  return last - offset === maxVarintBytes ? -1 : 0
}

/** Bytes the varint of `value` (a safe non-negative integer) takes. @internal */
export const varintSize = (value: number): number => {
  let size = 1
  for (let rest = value; rest >= 128; rest = Math.floor(rest / 128)) size++
  return size
}

/** Writes the varint of `value` at `offset`; returns the offset after it. @internal */
export const writeVarint = (array: Uint8Array, offset: number, value: number): number => {
  let rest = value
  let at = offset
  while (rest >= 128) {
    array[at++] = (rest % 128) | 0x80
    rest = Math.floor(rest / 128)
  }
  array[at++] = rest
  return at
}
