import { assert, describe, it } from "@effect/vitest"
import { Buf, Bytes } from "@weft/bytes"
import { Effect, Either, FastCheck as fc, pipe } from "effect"

describe("Buf", () => {
  it("reads big-endian by default and little-endian with Le", () => {
    const buf = Buf.make(Bytes.make(0x01, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00, 0x2a, 0xff))
    assert.deepStrictEqual(Buf.getU16(buf), Either.right(0x0102))
    assert.deepStrictEqual(Buf.getU16Le(buf), Either.right(0x0201))
    assert.deepStrictEqual(Buf.getU32(buf), Either.right(42))
    assert.deepStrictEqual(Buf.getI8(buf), Either.right(-1))
    assert.strictEqual(Buf.position(buf), 9)
  })

  it("64-bit reads return bigint", () => {
    const buf = Buf.make(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0]))
    assert.deepStrictEqual(Buf.getU64(buf), Either.right(2n ** 64n - 1n))
    assert.deepStrictEqual(Buf.getU64Le(buf), Either.right(1n))
  })

  it("reading past the end fails with BufferUnderflow and does not move the cursor", () => {
    const buf = Buf.make(Bytes.make(1, 2, 3))
    Either.getOrThrow(Buf.getU8(buf))
    const result = Buf.getU32(buf)
    assert.deepStrictEqual(result, Either.left(new Buf.BufferUnderflow({ requested: 4, available: 2 })))
    assert.strictEqual(Buf.remaining(buf), 2)
    assert.deepStrictEqual(Buf.getU16(buf), Either.right(0x0203))
    assert.include(Either.getLeft(Buf.getF64(buf)).pipe((o) => o._tag === "Some" ? o.value.message : ""), "8 bytes")
  })

  it("takeBytes is a zero-copy view; rest shows the unread bytes without moving", () => {
    const source = Bytes.fromString("headerbody")
    const buf = Buf.make(source)
    const header = Either.getOrThrow(pipe(buf, Buf.takeBytes(6)))
    assert.isTrue(Bytes.sharesBuffer(header, source))
    assert.strictEqual(Bytes.decodeUtf8(header), "header")
    assert.strictEqual(Bytes.decodeUtf8(Buf.rest(buf)), "body")
    assert.strictEqual(buf.remaining, 4)
  })

  it("advance and takeBytes refuse counts that are too large or not counts", () => {
    const buf = Buf.make(Bytes.make(1, 2))
    assert.isTrue(Either.isLeft(Buf.advance(buf, 3)))
    assert.isTrue(Either.isLeft(Buf.advance(buf, -1)))
    assert.isTrue(Either.isLeft(Buf.takeBytes(buf, 1.5)))
    assert.strictEqual(Buf.remaining(buf), 2)
    assert.isTrue(Either.isRight(Buf.advance(buf, 2)))
    assert.strictEqual(Buf.remaining(buf), 0)
  })

  it.effect("reads compose in Effect.gen and fail with a typed BufferUnderflow", () =>
    Effect.gen(function*() {
      const parse = (bytes: Bytes.Bytes) =>
        Effect.gen(function*() {
          const buf = Buf.make(bytes)
          const length = yield* Buf.getU16(buf)
          return Bytes.decodeUtf8(yield* Buf.takeBytes(buf, length))
        })
      assert.strictEqual(yield* parse(Bytes.make(0, 2, 104, 105)), "hi")
      const error = yield* Effect.flip(parse(Bytes.make(0, 5, 104)))
      assert.deepStrictEqual(error, new Buf.BufferUnderflow({ requested: 5, available: 1 }))
    }))

  it.prop("a read either succeeds and advances by its width, or fails and moves nothing", [
    fc.uint8Array({ maxLength: 12 }),
    fc.array(fc.constantFrom(1, 2, 4, 8), { maxLength: 8 })
  ], ([array, widths]) => {
    const buf = Buf.make(array)
    const readers = { 1: Buf.getU8, 2: Buf.getU16, 4: Buf.getU32, 8: Buf.getF64 } as const
    for (const width of widths) {
      const before = Buf.remaining(buf)
      const result = readers[width as keyof typeof readers](buf)
      assert.strictEqual(Buf.remaining(buf), Either.isRight(result) ? before - width : before)
      assert.strictEqual(Either.isRight(result), before >= width)
    }
  })
})
