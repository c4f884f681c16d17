import { assert, describe, it } from "@effect/vitest"
import { Bytes, LengthDelimited } from "@weft/bytes"
import { Chunk, Deferred, Effect, Either, Exit, FastCheck as fc, Fiber, Queue, Ref, Stream } from "effect"
import { cut } from "./support/cut.js"

const u8 = (...bytes: Array<number>) => new Uint8Array(bytes)
const text = (frames: Chunk.Chunk<Bytes.Bytes>) => Chunk.toArray(Chunk.map(frames, Bytes.decodeUtf8))

/** `payload` framed with a 4-byte big-endian length, as the default options expect. */
const frame4 = (payload: string): Uint8Array => {
  const body = new TextEncoder().encode(payload)
  const out = new Uint8Array(4 + body.length)
  new DataView(out.buffer).setUint32(0, body.length)
  out.set(body, 4)
  return out
}

const decodeAll = (chunks: ReadonlyArray<Uint8Array>, options?: LengthDelimited.DecoderOptions) =>
  Stream.runCollect(LengthDelimited.decode(options)(Stream.fromIterable(chunks)))

describe("LengthDelimited.decode", () => {
  it.effect("yields the payloads of frames inside one chunk as views of that chunk", () =>
    Effect.gen(function*() {
      const chunk = Bytes.toUint8Array(Bytes.concatAll([frame4("hi"), frame4(""), frame4("there")]))
      const stats = LengthDelimited.makeStats()
      const frames = yield* decodeAll([chunk], { stats })
      assert.deepStrictEqual(text(frames), ["hi", "", "there"])
      assert.isTrue(Chunk.every(frames, Bytes.sharesBuffer(chunk)))
      assert.deepStrictEqual({ ...stats }, { frames: 3, copiedFrames: 0, copiedBytes: 0 })
    }))

  it.effect("copies a frame that spans chunks exactly once", () =>
    Effect.gen(function*() {
      const stats = LengthDelimited.makeStats()
      const frames = yield* decodeAll(cut(frame4("hello world"), [2, 7, 9]), { stats })
      assert.deepStrictEqual(text(frames), ["hello world"])
      assert.deepStrictEqual({ ...stats }, { frames: 1, copiedFrames: 1, copiedBytes: 11 })
    }))

  it.effect("a payload whose header spans chunks but which lies in one chunk is not copied", () =>
    Effect.gen(function*() {
      const stats = LengthDelimited.makeStats()
      const chunks = cut(frame4("abc"), [2, 4])
      const frames = yield* decodeAll(chunks, { stats })
      assert.deepStrictEqual(text(frames), ["abc"])
      assert.isTrue(Bytes.sharesBuffer(Chunk.unsafeGet(frames, 0), chunks[2]!))
      assert.strictEqual(stats.copiedFrames, 0)
    }))

  it.effect.prop(
    "encode → re-chunk anywhere → decode gives the frames back",
    [
      fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      fc.integer({ min: 1, max: 8 }),
      fc.constantFrom("big" as const, "little" as const),
      fc.integer({ min: -3, max: 0 }),
      fc.integer({ min: 1, max: 5 })
    ],
    ([payloads, points, lengthFieldLength, endianness, lengthAdjustment, rechunk]) =>
      Effect.gen(function*() {
        const options = { lengthFieldLength, endianness, lengthAdjustment }
        const encoded = yield* Stream.fromIterable(payloads).pipe(
          LengthDelimited.encode(options),
          Stream.runCollect,
          Effect.map((parts) => Bytes.toUint8Array(Bytes.concatAll(parts)))
        )
        const frames = yield* Stream.fromIterable(cut(encoded, points)).pipe(
          Stream.rechunk(rechunk),
          LengthDelimited.decode(options),
          Stream.runCollect
        )
        assert.strictEqual(frames.length, payloads.length)
        Chunk.forEach(frames, (frame, i) => assert.deepStrictEqual(Bytes.toUint8Array(frame), payloads[i]))
      })
  )

  it.effect.prop(
    "zero copy: frames inside a chunk share its buffer; copies = frames spanning chunks",
    [fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 })],
    ([payloads, points]) =>
      Effect.gen(function*() {
        const encoded = Bytes.toUint8Array(Bytes.concatAll(payloads.map((p) => frame4(new TextDecoder().decode(p)))))
        const chunks = cut(encoded, points)
        // Where each chunk starts in the encoded stream, and where each payload lies.
        const chunkStarts: Array<number> = []
        chunks.forEach((_, i) => chunkStarts.push(i === 0 ? 0 : chunkStarts[i - 1]! + chunks[i - 1]!.length))
        const stats = LengthDelimited.makeStats()
        const frames = Chunk.toArray(yield* decodeAll(chunks, { stats }))
        let offset = 0
        let spanning = 0
        let spanningBytes = 0
        frames.forEach((frame, i) => {
          const length = Bytes.size(frame)
          const start = offset + 4
          offset = start + length
          const home = chunks.findIndex((c, j) => start >= chunkStarts[j]! && offset <= chunkStarts[j]! + c.length)
          if (length > 0 && home < 0) {
            spanning++
            spanningBytes += length
            assert.isFalse(chunks.some((c) => Bytes.sharesBuffer(frame, c)), `frame ${i} was not copied`)
          } else if (length > 0) {
            assert.isTrue(Bytes.sharesBuffer(frame, chunks[home]!), `frame ${i} was copied`)
          }
        })
        assert.strictEqual(frames.length, payloads.length)
        assert.deepStrictEqual({ ...stats }, {
          frames: payloads.length,
          copiedFrames: spanning,
          copiedBytes: spanningBytes
        })
      })
  )

  it.effect("a 4 GiB header with an 8 MiB limit fails with FrameTooLarge before any payload is buffered", () =>
    Effect.gen(function*() {
      const pulled = yield* Ref.make(0)
      const stats = LengthDelimited.makeStats()
      // The header is followed by an endless supply of payload: a decoder that waited for the
      // payload, or buffered it, would never finish.
      const input = Stream.concat(
        Stream.make(u8(0xff, 0xff, 0xff, 0xff, 1, 2, 3)),
        Stream.repeatValue(new Uint8Array(64 * 1024))
      ).pipe(Stream.tap(() => Ref.update(pulled, (n) => n + 1)))
      const before = process.memoryUsage().arrayBuffers
      const error = yield* input.pipe(LengthDelimited.decode({ stats }), Stream.runCollect, Effect.flip)
      const grown = process.memoryUsage().arrayBuffers - before
      assert.strictEqual(error._tag, "FrameTooLarge")
      assert.deepStrictEqual(error, new LengthDelimited.FrameTooLarge({ length: 2 ** 32 - 1, max: 8 * 1024 * 1024 }))
      assert.include(error.message, "exceeds the limit of 8388608")
      assert.isAtMost(yield* Ref.get(pulled), 2, "the decoder kept reading payload")
      assert.isBelow(grown, 16 * 1024 * 1024, "a large buffer was allocated")
      assert.deepStrictEqual({ ...stats }, { frames: 0, copiedFrames: 0, copiedBytes: 0 })
    }))

  it.effect("FrameTooLarge is raised on a header split across chunks too", () =>
    Effect.gen(function*() {
      const error = yield* decodeAll([u8(0, 0), u8(4), u8(1, 9)], { maxFrameLength: 1024 }).pipe(Effect.flip)
      assert.deepStrictEqual(error, new LengthDelimited.FrameTooLarge({ length: 1025, max: 1024 }))
    }))

  it.effect("input ending inside a payload fails with TruncatedFrame after the complete frames", () =>
    Effect.gen(function*() {
      const frames: Array<string> = []
      const chunk = Bytes.toUint8Array(Bytes.concatAll([frame4("ok"), frame4("cut short").subarray(0, 7)]))
      const error = yield* Stream.make(chunk).pipe(
        LengthDelimited.decode(),
        Stream.runForEach((frame) => Effect.sync(() => frames.push(Bytes.decodeUtf8(frame)))),
        Effect.flip
      )
      assert.deepStrictEqual(frames, ["ok"])
      assert.deepStrictEqual(error, new LengthDelimited.TruncatedFrame({ expected: 13, received: 7 }))
    }))

  it.effect("input ending inside a header fails with TruncatedFrame naming the header length", () =>
    Effect.gen(function*() {
      const error = yield* decodeAll([u8(0, 0)]).pipe(Effect.flip)
      assert.deepStrictEqual(error, new LengthDelimited.TruncatedFrame({ expected: 4, received: 2 }))
      assert.include(error.message, "2 of 4 bytes")
    }))

  it.effect("empty input and input ending on a frame boundary succeed", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* decodeAll([])).length, 0)
      assert.deepStrictEqual(text(yield* decodeAll([frame4("x"), new Uint8Array(0)])), ["x"])
    }))

  it.effect.each(
    [
      [{ lengthFieldLength: 0 }, "lengthFieldLength"],
      [{ lengthFieldLength: 9 }, "lengthFieldLength"],
      [{ lengthFieldLength: 2.5 }, "lengthFieldLength"],
      [{ lengthFieldOffset: -1 }, "lengthFieldOffset"],
      [{ numSkip: -2 }, "numSkip"],
      [{ maxFrameLength: Number.NaN }, "maxFrameLength"],
      [{ lengthAdjustment: Infinity }, "lengthAdjustment"],
      [{ endianness: "middle" as "big" }, "endianness"]
    ] as const
  )("invalid option %j fails with InvalidOptions before reading input", ([options, option]) =>
    Effect.gen(function*() {
      const pulled = yield* Ref.make(0)
      const error = yield* Stream.make(frame4("x")).pipe(
        Stream.tap(() => Ref.update(pulled, (n) => n + 1)),
        LengthDelimited.decode(options),
        Stream.runCollect,
        Effect.flip
      )
      assert.strictEqual(error._tag, "InvalidOptions")
      assert.strictEqual(error._tag === "InvalidOptions" && error.option, option)
      assert.strictEqual(yield* Ref.get(pulled), 0)
      assert.isTrue(Either.isLeft(LengthDelimited.makeDecoder(options)))
    }))

  it.effect("a length that is negative after adjustment fails with InvalidFrameLength", () =>
    Effect.gen(function*() {
      const error = yield* decodeAll([u8(0, 1, 7)], { lengthFieldLength: 2, lengthAdjustment: -2 }).pipe(Effect.flip)
      assert.deepStrictEqual(error, new LengthDelimited.InvalidFrameLength({ length: 1, lengthAdjustment: -2 }))
    }))

  it.effect("a frame that would end inside its own header fails with InvalidFrameLength", () =>
    Effect.gen(function*() {
      // numSkip 0 and a zero length: the frame would be 0 bytes long but its header is 2 bytes.
      const error = yield* decodeAll([u8(0, 0, 1)], { lengthFieldLength: 2, numSkip: 0 }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidFrameLength")
    }))

  // The layouts from tokio-util's `length_delimited` documentation.
  it.effect.each(
    [
      ["2-byte length, header stripped", { lengthFieldLength: 2 }, [0x00, 0x03, 65, 66, 67], [65, 66, 67]],
      ["2-byte length, header kept", { lengthFieldLength: 2, numSkip: 0, lengthAdjustment: 2 }, [0, 3, 65, 66, 67], [
        0,
        3,
        65,
        66,
        67
      ]],
      ["length counts the header", { lengthFieldLength: 2, lengthAdjustment: -2 }, [0, 5, 65, 66, 67], [65, 66, 67]],
      ["3-byte length at offset 2", { lengthFieldOffset: 2, lengthFieldLength: 3 }, [9, 9, 0, 0, 2, 65, 66], [65, 66]],
      [
        "3-byte length, then a 2-byte field, whole frame kept",
        {
          lengthFieldLength: 3,
          lengthAdjustment: 5,
          numSkip: 0
        },
        [0, 0, 1, 7, 7, 65],
        [0, 0, 1, 7, 7, 65]
      ],
      [
        "1-byte prefix, 2-byte length, skip the prefix and length",
        {
          lengthFieldOffset: 1,
          lengthFieldLength: 2,
          lengthAdjustment: 1,
          numSkip: 3
        },
        [0xca, 0, 2, 0xfe, 65, 66],
        [0xfe, 65, 66]
      ],
      ["little-endian 4-byte length", { endianness: "little" }, [2, 0, 0, 0, 65, 66], [65, 66]],
      ["8-byte length", { lengthFieldLength: 8 }, [0, 0, 0, 0, 0, 0, 0, 1, 65], [65]]
    ] as const
  )("tokio layout: %s", ([, options, wire, payload]) =>
    Effect.gen(function*() {
      for (const split of [0, 1, 2, 3]) {
        const frames = yield* decodeAll(cut(Uint8Array.from(wire), [split]), options)
        assert.deepStrictEqual(Chunk.toArray(Chunk.map(frames, (f) => Array.from(Bytes.toUint8Array(f)))), [
          [...payload]
        ])
      }
    }))

  it.effect("accepts Bytes chunks as well as Uint8Array", () =>
    Effect.gen(function*() {
      const wire = Bytes.concatAll([frame4("a"), frame4("b")])
      const frames = yield* Bytes.chunks(wire, 3).pipe(LengthDelimited.decode(), Stream.runCollect)
      assert.deepStrictEqual(text(frames), ["a", "b"])
    }))

  it.effect("upstream errors pass through unchanged after the frames before them", () =>
    Effect.gen(function*() {
      const frames: Array<string> = []
      const error = yield* Stream.make(frame4("first")).pipe(
        Stream.concat(Stream.fail("socket reset" as const)),
        LengthDelimited.decode(),
        Stream.runForEach((frame) => Effect.sync(() => frames.push(Bytes.decodeUtf8(frame)))),
        Effect.flip
      )
      assert.strictEqual(error, "socket reset")
      assert.deepStrictEqual(frames, ["first"])
    }))

  it.effect("interrupting mid-frame emits only complete frames, and a rerun starts fresh", () =>
    Effect.gen(function*() {
      const queue = yield* Queue.unbounded<Uint8Array>()
      const received: Array<string> = []
      const gotFirst = yield* Deferred.make<void>()
      const input = Stream.fromQueue(queue)
      const fiber = yield* input.pipe(
        LengthDelimited.decode(),
        Stream.runForEach((frame) =>
          Effect.sync(() => received.push(Bytes.decodeUtf8(frame))).pipe(
            Effect.zipRight(Deferred.succeed(gotFirst, void 0))
          )
        ),
        Effect.fork
      )
      const whole = frame4("complete")
      const half = frame4("never finished").subarray(0, 9)
      yield* Queue.offer(queue, Bytes.toUint8Array(Bytes.concatAll([whole, half])))
      yield* Deferred.await(gotFirst)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.deepStrictEqual(received, ["complete"])
      // The same transform, run again on new input, does not see the old half frame.
      yield* Queue.offerAll(queue, [frame4("again")])
      yield* Queue.shutdown(queue)
      const rerun = yield* Stream.make(frame4("again")).pipe(LengthDelimited.decode(), Stream.runCollect)
      assert.deepStrictEqual(text(rerun), ["again"])
    }))

  it.prop("length fields of every width and byte order are read exactly", [
    fc.integer({ min: 1, max: 8 }),
    fc.boolean(),
    fc.uint8Array({ minLength: 8, maxLength: 8 })
  ], ([width, littleEndian, field]) => {
    const header = field.subarray(0, width)
    const bigEndianBytes = littleEndian ? [...header].reverse() : [...header]
    const expected = Number(bigEndianBytes.reduce((n, b) => n * 256n + BigInt(b), 0n))
    // A limit of 0 makes every non-empty frame fail with its decoded length.
    const decoder = Either.getOrThrow(
      LengthDelimited.makeDecoder({
        lengthFieldLength: width,
        endianness: littleEndian ? "little" : "big",
        maxFrameLength: 0
      })
    )
    const error = decoder.decode(header.slice(), [])
    if (expected === 0) {
      assert.isUndefined(error)
    } else {
      assert.deepStrictEqual(error, new LengthDelimited.FrameTooLarge({ length: expected, max: 0 }))
    }
  }, { fastCheck: { numRuns: 2000 } })

  it("makeDecoder is the same machine, usable without a Stream", () => {
    const stats = LengthDelimited.makeStats()
    const decoder = Either.getOrThrow(LengthDelimited.makeDecoder({ lengthFieldLength: 2, stats }))
    const out: Array<Bytes.Bytes> = []
    assert.isUndefined(decoder.decode(u8(0, 2, 104, 105, 0), out))
    assert.deepStrictEqual(decoder.finish(), new LengthDelimited.TruncatedFrame({ expected: 2, received: 1 }))
    assert.isUndefined(decoder.decode(u8(1, 33), out))
    assert.isUndefined(decoder.finish())
    assert.deepStrictEqual(out.map(Bytes.decodeUtf8), ["hi", "!"])
    assert.strictEqual(decoder.stats, stats)
    assert.strictEqual(stats.frames, 2)
  })
})

describe("LengthDelimited.encode", () => {
  it.effect("writes each payload behind its length, one buffer per upstream chunk", () =>
    Effect.gen(function*() {
      const encoded = yield* Stream.make(Bytes.fromString("ab"), new Uint8Array([1])).pipe(
        LengthDelimited.encode({ lengthFieldLength: 2, endianness: "little" }),
        Stream.runCollect
      )
      assert.strictEqual(encoded.length, 1)
      assert.strictEqual(Bytes.toHex(Chunk.unsafeGet(encoded, 0)), "0200616201" + "00" + "01")
    }))

  it.effect("a payload too long for the length field fails with FrameTooLarge", () =>
    Effect.gen(function*() {
      const error = yield* Stream.make(new Uint8Array(256)).pipe(
        LengthDelimited.encode({ lengthFieldLength: 1 }),
        Stream.runCollect,
        Effect.flip
      )
      assert.deepStrictEqual(error, new LengthDelimited.FrameTooLarge({ length: 256, max: 255 }))
    }))

  it.effect("a payload above maxFrameLength fails with FrameTooLarge", () =>
    Effect.gen(function*() {
      const error = yield* Stream.make(new Uint8Array(11)).pipe(
        LengthDelimited.encode({ maxFrameLength: 10 }),
        Stream.runCollect,
        Effect.flip
      )
      assert.deepStrictEqual(error, new LengthDelimited.FrameTooLarge({ length: 11, max: 10 }))
    }))

  it.effect("an adjustment that makes the field negative fails with InvalidFrameLength", () =>
    Effect.gen(function*() {
      const error = yield* Stream.make(new Uint8Array(1)).pipe(
        LengthDelimited.encode({ lengthAdjustment: 3 }),
        Stream.runCollect,
        Effect.flip
      )
      assert.strictEqual(error._tag, "InvalidFrameLength")
    }))

  it.effect("header layouts the encoder cannot write fail with InvalidOptions", () =>
    Effect.gen(function*() {
      for (const options of [{ lengthFieldOffset: 1 }, { numSkip: 0 }, { lengthFieldLength: 9 }]) {
        const error = yield* Stream.make(new Uint8Array(1)).pipe(
          LengthDelimited.encode(options),
          Stream.runCollect,
          Effect.flip
        )
        assert.strictEqual(error._tag, "InvalidOptions")
      }
    }))
})
