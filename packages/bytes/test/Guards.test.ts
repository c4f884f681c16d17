import { describe, expect, it } from "@effect/vitest"
import { Buf, Bytes, BytesMut } from "@weft/bytes"

describe("guards", () => {
  it("isBuf, isBytes and isBytesMut tell the three apart", () => {
    const bytes = Bytes.fromString("abc")
    const values = [Buf.make(bytes), bytes, BytesMut.make(4), new Uint8Array(3), {}]
    expect(values.map(Buf.isBuf)).toEqual([true, false, false, false, false])
    expect(values.map(Bytes.isBytes)).toEqual([false, true, false, false, false])
    expect(values.map(BytesMut.isBytesMut)).toEqual([false, false, true, false, false])
  })
})
