import { assert, describe, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { Chunk, Effect, Equal, FastCheck as fc, Hash, Option, pipe, Stream } from "effect"
import { inspect } from "node:util"

const arbitraryArray = fc.uint8Array({ maxLength: 64 })

describe("Bytes", () => {
  it("fromUint8Array wraps without copying", () => {
    const chunk = new Uint8Array([1, 2, 3])
    const bytes = Bytes.fromUint8Array(chunk)
    assert.strictEqual(Bytes.toUint8Array(bytes), chunk)
    assert.strictEqual(Bytes.size(bytes), 3)
    assert.strictEqual(bytes.length, 3)
  })

  it.prop("slice, take, drop and splitAt share the source buffer and match subarray", [
    arbitraryArray,
    fc.integer({ min: -80, max: 80 }),
    fc.integer({ min: -80, max: 80 })
  ], ([array, start, end]) => {
    const bytes = Bytes.fromUint8Array(array)
    const sliced = Bytes.slice(bytes, start, end)
    assert.deepStrictEqual(Bytes.toUint8Array(sliced), array.subarray(start, end))
    assert.isTrue(Bytes.sharesBuffer(sliced, array))
    const [left, right] = Bytes.splitAt(bytes, start)
    assert.strictEqual(Bytes.size(left) + Bytes.size(right), array.length)
    assert.isTrue(Bytes.equals(Bytes.concat(left, right), bytes))
    assert.isTrue(Bytes.sharesBuffer(left, array) && Bytes.sharesBuffer(right, array))
    assert.isTrue(Bytes.equals(Bytes.take(bytes, start), left))
    assert.isTrue(Bytes.equals(Bytes.drop(bytes, start), right))
  })

  it("slice data-last in a pipe gives the same view as data-first", () => {
    const bytes = Bytes.fromString("hello world")
    assert.strictEqual(pipe(bytes, Bytes.slice(6), Bytes.decodeUtf8), "world")
    assert.strictEqual(bytes.pipe(Bytes.slice(0, 5), Bytes.decodeUtf8), "hello")
    assert.strictEqual(Bytes.decodeUtf8(Bytes.slice(bytes, -5)), "world")
  })

  it("copy, concat and fromString own fresh memory", () => {
    const source = new Uint8Array([1, 2, 3, 4])
    const bytes = Bytes.fromUint8Array(source)
    const copied = Bytes.copy(Bytes.slice(bytes, 1, 3))
    const joined = Bytes.concat(bytes, bytes)
    source[1] = 99
    assert.isFalse(Bytes.sharesBuffer(copied, source))
    assert.deepStrictEqual(Array.from(Bytes.toUint8Array(copied)), [2, 3])
    assert.deepStrictEqual(Array.from(Bytes.toUint8Array(joined)), [1, 2, 3, 4, 1, 2, 3, 4])
    assert.strictEqual(Bytes.toUint8Array(copied).buffer.byteLength, 2)
  })

  it("copy of a Node Buffer region owns exactly its bytes (Buffer#slice is a view)", () => {
    const chunk = Buffer.alloc(64 * 1024, 7)
    const copied = Bytes.copy(Bytes.slice(Bytes.fromUint8Array(chunk), 10, 20))
    chunk.fill(0)
    assert.isFalse(Bytes.sharesBuffer(copied, chunk))
    assert.strictEqual(Bytes.toUint8Array(copied).buffer.byteLength, 10)
    assert.deepStrictEqual(Array.from(Bytes.toUint8Array(copied)), Array(10).fill(7))
  })

  it.prop(
    "copyShared copies every part into one fresh buffer of exactly their total size",
    [fc.array(arbitraryArray, { maxLength: 8 })],
    ([arrays]) => {
      const chunk = Buffer.concat(arrays)
      let at = 0
      const parts = arrays.map((array) => Bytes.slice(Bytes.fromUint8Array(chunk), at, at += array.length))
      const copies = Bytes.copyShared(parts)
      chunk.fill(0)
      assert.strictEqual(copies.length, parts.length)
      const total = arrays.reduce((n, array) => n + array.length, 0)
      for (let i = 0; i < copies.length; i++) {
        assert.deepStrictEqual(Array.from(Bytes.toUint8Array(copies[i]!)), Array.from(arrays[i]!))
        assert.isFalse(Bytes.sharesBuffer(copies[i]!, chunk))
        assert.strictEqual(Bytes.toUint8Array(copies[i]!).buffer.byteLength, total)
      }
    }
  )

  it("spansBuffer: only a Bytes viewing its whole ArrayBuffer pins nothing else", () => {
    const chunk = Buffer.alloc(1024)
    assert.isFalse(Bytes.spansBuffer(Bytes.slice(Bytes.fromUint8Array(chunk), 0, 10)))
    // A Node Buffer from the pool views part of a larger ArrayBuffer.
    assert.isFalse(Bytes.spansBuffer(Bytes.fromUint8Array(Buffer.from("pooled"))))
    assert.isTrue(Bytes.spansBuffer(Bytes.fromUint8Array(new Uint8Array(4))))
    assert.isTrue(Bytes.spansBuffer(Bytes.copy(Bytes.slice(Bytes.fromUint8Array(chunk), 5, 9))))
    assert.isTrue(Bytes.spansBuffer(Bytes.empty))
  })

  it.prop("Equal and Hash follow content, not location", [arbitraryArray], ([array]) => {
    const a = Bytes.fromUint8Array(array)
    const padded = new Uint8Array(array.length + 2)
    padded.set(array, 1)
    const b = Bytes.slice(Bytes.fromUint8Array(padded), 1, array.length + 1)
    assert.isTrue(Equal.equals(a, b))
    assert.strictEqual(Hash.hash(a), Hash.hash(b))
    assert.isFalse(Equal.equals(a, Bytes.concat(a, Bytes.make(0))))
  })

  it("get and indexOf return Option", () => {
    const bytes = Bytes.make(10, 20, 30)
    assert.deepStrictEqual(Bytes.get(bytes, 1), Option.some(20))
    assert.deepStrictEqual(Bytes.get(bytes, 3), Option.none())
    assert.deepStrictEqual(Bytes.get(bytes, -1), Option.none())
    assert.deepStrictEqual(pipe(bytes, Bytes.indexOf(30)), Option.some(2))
    assert.deepStrictEqual(Bytes.indexOf(bytes, 10, 1), Option.none())
  })

  it("Buffer interop shares memory both ways", () => {
    const buffer = Buffer.from("abcdef")
    const bytes = Bytes.fromBuffer(buffer)
    assert.isTrue(Bytes.sharesBuffer(bytes, buffer))
    const back = Bytes.toBuffer(Bytes.slice(bytes, 2))
    assert.strictEqual(back.toString(), "cdef")
    assert.strictEqual(back.buffer, buffer.buffer)
    assert.strictEqual(Bytes.isEmpty(Bytes.empty), true)
  })

  it("inspects as size and hex", () => {
    const bytes = Bytes.make(0xde, 0xad)
    assert.deepStrictEqual(bytes.toJSON(), { _id: "Bytes", size: 2, hex: "dead" })
    assert.include(String(bytes), "dead")
    assert.include(inspect(bytes), "dead")
    const big = Bytes.fromUint8Array(new Uint8Array(100))
    assert.isTrue((big.toJSON() as { hex: string }).hex.endsWith("…"))
  })

  it.effect("chunks streams zero-copy slices of the requested size", () =>
    Effect.gen(function*() {
      const source = Bytes.fromString("abcdefg")
      const parts = yield* Stream.runCollect(Bytes.chunks(source, 3))
      assert.deepStrictEqual(Chunk.toArray(Chunk.map(parts, Bytes.decodeUtf8)), ["abc", "def", "g"])
      assert.isTrue(Chunk.every(parts, Bytes.sharesBuffer(source)))
    }))

  it.effect("chunks fails with InvalidChunkSize for a size below 1", () =>
    Effect.gen(function*() {
      const error = yield* Stream.runCollect(Bytes.chunks(Bytes.make(1), 0)).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidChunkSize")
      assert.strictEqual(error.size, 0)
      assert.include(error.message, "positive integer")
    }))
})
