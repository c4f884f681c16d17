import { assert, describe, it } from "@effect/vitest"
import { Bytes, LengthDelimited } from "@weft/bytes"
import { Chunk, Effect, Either, FastCheck as fc, Stream } from "effect"
import * as lp from "it-length-prefixed"
import { cut } from "./support/cut.js"

const varint = { lengthFieldLength: "varint" } as const

const concat = (parts: ReadonlyArray<Uint8Array>) => Bytes.toUint8Array(Bytes.concatAll(parts))
const arrays = (frames: Chunk.Chunk<Bytes.Bytes>) => Chunk.toArray(frames).map((f) => Array.from(Bytes.toUint8Array(f)))

/** Asserts that `frames` are exactly `payloads`, byte for byte (cheaply, for large payloads). */
const assertFrames = (frames: ReadonlyArray<Uint8Array>, payloads: ReadonlyArray<Uint8Array>) => {
  assert.deepStrictEqual(frames.map((f) => f.length), payloads.map((p) => p.length))
  frames.forEach((frame, i) => assert.isTrue(Buffer.from(frame).equals(payloads[i]!), `frame ${i} differs`))
}

/** Payloads whose lengths sit on every varint size boundary. */
const payloadArbitrary = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom(127, 128, 16_383, 16_384, 20_000).map((n) => new Uint8Array(n).map((_, i) => i * 7))
)

const decodeWith = (chunks: ReadonlyArray<Uint8Array>, options: LengthDelimited.DecoderOptions) =>
  Stream.runCollect(LengthDelimited.decode(options)(Stream.fromIterable(chunks)))

describe("LengthDelimited with a varint length field", () => {
  it.effect.prop(
    "encode then decode gives back every payload, however the bytes are cut",
    [fc.array(payloadArbitrary, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 })],
    ([payloads, points]) =>
      Effect.gen(function*() {
        const wire = concat(
          Chunk.toArray(
            yield* Stream.runCollect(
              LengthDelimited.encode(varint)(Stream.fromIterable(payloads))
            )
          ).map(Bytes.toUint8Array)
        )
        const frames = yield* decodeWith(cut(wire, points), varint)
        assertFrames(Chunk.toArray(frames).map(Bytes.toUint8Array), payloads)
      }),
    { fastCheck: { numRuns: 100 } }
  )

  it.effect.prop(
    "reads what it-length-prefixed writes with its default (varint) length",
    [fc.array(payloadArbitrary, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 })],
    ([payloads, points]) =>
      Effect.gen(function*() {
        const wire = concat([...lp.encode(payloads)])
        const frames = yield* decodeWith(cut(wire, points), { ...varint, maxFrameLength: 1 << 20 })
        assertFrames(Chunk.toArray(frames).map(Bytes.toUint8Array), payloads)
      }),
    { fastCheck: { numRuns: 100 } }
  )

  it.effect.prop(
    "it-length-prefixed reads what the varint encoder writes",
    [fc.array(payloadArbitrary, { maxLength: 6 })],
    ([payloads]) =>
      Effect.gen(function*() {
        const wire = Chunk.toArray(
          yield* Stream.runCollect(
            LengthDelimited.encode(varint)(Stream.fromIterable(payloads))
          )
        ).map(Bytes.toUint8Array)
        assertFrames([...lp.decode(wire)].map((list) => list.subarray()), payloads)
      }),
    { fastCheck: { numRuns: 100 } }
  )

  it.effect("frames inside one chunk are views of it; lengthFieldOffset and lengthAdjustment apply", () =>
    Effect.gen(function*() {
      // Two bytes of tag, then a varint that leaves out a 2-byte trailer (adjustment 2), then the frame.
      const chunk = new Uint8Array([9, 9, 3, 104, 105, 33, 0, 0, 9, 9, 0, 7, 7])
      const stats = LengthDelimited.makeStats()
      const frames = yield* decodeWith([chunk], { ...varint, lengthFieldOffset: 2, lengthAdjustment: 2, stats })
      assert.deepStrictEqual(arrays(frames), [[104, 105, 33, 0, 0], [7, 7]])
      assert.isTrue(Chunk.every(frames, Bytes.sharesBuffer(chunk)))
      assert.strictEqual(stats.copiedFrames, 0)
    }))

  it("refuses an oversized frame as soon as the arrived part of its varint exceeds maxFrameLength", () => {
    const decoder = Either.getOrThrow(LengthDelimited.makeDecoder({ ...varint, maxFrameLength: 1000 }))
    // 0xff 0xff 0xff 0x7f is 2^28 - 1; after two bytes the length is at least 16,383.
    assert.isUndefined(decoder.decode(new Uint8Array([0xff]), []))
    assert.deepStrictEqual(
      decoder.decode(new Uint8Array([0xff]), []),
      new LengthDelimited.FrameTooLarge({ length: 16_383, max: 1000 })
    )
  })

  it("a varint that continues past 8 bytes fails with VarintTooLong, in one chunk or byte by byte", () => {
    const padding = new Uint8Array(9).fill(0x80)
    const whole = Either.getOrThrow(LengthDelimited.makeDecoder(varint))
    assert.deepStrictEqual(whole.decode(padding, []), new LengthDelimited.VarintTooLong({ maxBytes: 8 }))
    const split = Either.getOrThrow(LengthDelimited.makeDecoder(varint))
    const errors = [...padding].map((byte) => split.decode(new Uint8Array([byte]), []))
    assert.deepStrictEqual(errors.slice(0, 7), new Array(7).fill(undefined))
    assert.deepStrictEqual(errors[7], new LengthDelimited.VarintTooLong({ maxBytes: 8 }))
  })

  it("input ending inside a varint fails with TruncatedFrame", () => {
    const decoder = Either.getOrThrow(LengthDelimited.makeDecoder(varint))
    assert.isUndefined(decoder.decode(new Uint8Array([1, 42, 0x80, 0x80]), []))
    assert.deepStrictEqual(decoder.finish(), new LengthDelimited.TruncatedFrame({ expected: 3, received: 2 }))
  })

  it.effect("numSkip and endianness cannot be combined with a varint field", () =>
    Effect.gen(function*() {
      const withSkip = yield* Effect.flip(decodeWith([], { ...varint, numSkip: 1 }))
      assert.strictEqual(withSkip._tag, "InvalidOptions")
      assert.strictEqual(withSkip._tag === "InvalidOptions" && withSkip.option, "numSkip")
      const withOrder = yield* Effect.flip(decodeWith([], { ...varint, endianness: "little" }))
      assert.strictEqual(withOrder._tag === "InvalidOptions" && withOrder.option, "endianness")
    }))
})
