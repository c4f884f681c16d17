import { assert, describe, it } from "@effect/vitest"
import { MessageArena } from "@weft/arena"
import { Bytes } from "@weft/bytes"
import { Effect, Exit, Fiber, Layer, Option, Scope } from "effect"

/** A 64 KiB "socket read" and a small frame viewing part of it, as a zero-copy decoder yields. */
const chunkAndFrame = (frameSize: number) => {
  const chunk = new Uint8Array(64 * 1024).fill(7)
  const frame = Bytes.slice(Bytes.fromUint8Array(chunk), 100, 100 + frameSize)
  return { chunk, frame }
}

describe("MessageArena", () => {
  it.effect("the layer provides the service; bytes are counted by Bytes.size", () =>
    Effect.gen(function*() {
      const arena = yield* MessageArena.MessageArena
      const a = yield* arena.alloc(Bytes.fromString("hello"))
      const b = yield* arena.alloc(Bytes.make(1, 2, 3))
      assert.strictEqual(Bytes.decodeUtf8(yield* arena.get(a)), "hello")
      let stats = yield* arena.stats
      assert.deepStrictEqual([stats.capacity, stats.live, stats.bytes], [8, 2, 8])
      yield* arena.release(a)
      stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.bytes], [1, 3])
      yield* arena.release(b)
    }).pipe(Effect.provide(MessageArena.layer({ capacity: 8 }))))

  it.effect("an invalid configuration fails the layer with InvalidArenaConfig", () =>
    Effect.gen(function*() {
      const build = (options: MessageArena.Options) =>
        Effect.flip(Effect.scoped(Layer.build(MessageArena.layer(options))))
      assert.strictEqual((yield* build({ capacity: 0 })).option, "capacity")
      assert.strictEqual((yield* build({ capacity: -3 })).option, "capacity")
      assert.strictEqual((yield* build({ capacity: 4, maxBytes: -1 })).option, "maxBytes")
      const error = yield* build({ capacity: 4, copyIn: { belowBytes: -1 } })
      assert.strictEqual(error.option, "copyIn")
      const notBoolean = { belowBytes: 8, batched: "yes" } as unknown as MessageArena.CopyIn
      assert.strictEqual((yield* build({ capacity: 4, copyIn: notBoolean })).option, "copyIn")
      assert.match(error.message, /belowBytes/)
    }))

  it.effect("maxBytes applies backpressure in bytes: a waiter gets room when enough bytes are freed", () =>
    Effect.gen(function*() {
      const arena = yield* MessageArena.MessageArena
      const first = yield* arena.alloc(Bytes.fromUint8Array(new Uint8Array(60)))
      const waiter = yield* Effect.fork(arena.alloc(Bytes.fromUint8Array(new Uint8Array(50))))
      for (let i = 0; i < 100 && (yield* arena.stats).waiting === 0; i++) yield* Effect.yieldNow()
      assert.deepStrictEqual([(yield* arena.stats).waiting, (yield* arena.stats).live], [1, 1])
      yield* arena.release(first)
      const ref = yield* Fiber.join(waiter)
      assert.strictEqual(Bytes.size(yield* arena.get(ref)), 50)
      assert.strictEqual((yield* arena.stats).bytes, 50)
      const tooLarge = yield* Effect.flip(arena.alloc(Bytes.fromUint8Array(new Uint8Array(101))))
      assert.strictEqual(tooLarge._tag, "PayloadTooLarge")
    }).pipe(Effect.provide(MessageArena.layer({ capacity: 8, maxBytes: 100 }))))

  it.scoped("copyIn never (the default): frames are stored as the views they are and pin their chunk", () =>
    Effect.gen(function*() {
      const arena = yield* MessageArena.make({ capacity: 4 })
      const { chunk, frame } = chunkAndFrame(64)
      const stored = yield* arena.get(yield* arena.alloc(frame))
      assert.strictEqual(stored, frame)
      assert.isTrue(Bytes.sharesBuffer(stored, chunk))
    }))

  it.scoped("copyIn always: stored frames own their memory, same content, same byte count", () =>
    Effect.gen(function*() {
      const arena = yield* MessageArena.make({ capacity: 4, copyIn: "always" })
      const { chunk, frame } = chunkAndFrame(64)
      const stored = yield* arena.get(yield* arena.alloc(frame))
      assert.isFalse(Bytes.sharesBuffer(stored, chunk))
      assert.strictEqual(Bytes.toUint8Array(stored).buffer.byteLength, 64)
      assert.isTrue(Bytes.equals(stored, frame))
      assert.strictEqual((yield* arena.stats).bytes, 64)
      // A frame that spans its whole buffer pins nothing extra: it is not copied.
      const owned = Bytes.fromUint8Array(new Uint8Array(32))
      assert.strictEqual(yield* arena.get(yield* arena.alloc(owned)), owned)
    }))

  it.scoped("copyIn { belowBytes }: small frames are copied, large ones stay zero-copy", () =>
    Effect.gen(function*() {
      const arena = yield* MessageArena.make({ capacity: 4, copyIn: { belowBytes: 128 } })
      const small = chunkAndFrame(127)
      const large = chunkAndFrame(128)
      const storedSmall = yield* arena.get(yield* arena.alloc(small.frame))
      const storedLarge = yield* arena.get(yield* arena.alloc(large.frame))
      assert.isFalse(Bytes.sharesBuffer(storedSmall, small.chunk))
      assert.isTrue(Bytes.equals(storedSmall, small.frame))
      assert.strictEqual(storedLarge, large.frame)
      // tryAlloc and a waiting alloc copy too.
      const viaTry = yield* arena.tryAlloc(chunkAndFrame(8).frame)
      const storedTry = yield* arena.get(Option.getOrThrow(viaTry))
      assert.strictEqual(Bytes.toUint8Array(storedTry).buffer.byteLength, 8)
    }))

  it.scoped("copyIn { belowBytes, batched }: one allocUpTo's small frames share one buffer of exactly their size", () =>
    Effect.gen(function*() {
      const arena = yield* MessageArena.make({ capacity: 8, copyIn: { belowBytes: 128, batched: true } })
      const chunk = Bytes.fromUint8Array(new Uint8Array(64 * 1024).map((_, i) => i % 251))
      const frames = [
        Bytes.slice(chunk, 0, 10),
        Bytes.slice(chunk, 10, 210), // 200 bytes: not copied
        Bytes.slice(chunk, 210, 237),
        Bytes.fromUint8Array(new Uint8Array([1, 2, 3])) // spans its buffer: not copied
      ]
      const stored = yield* Effect.flatMap(
        arena.allocUpTo(frames),
        (refs) => Effect.forEach(refs, (ref) => arena.get(ref))
      )
      for (let i = 0; i < frames.length; i++) assert.isTrue(Bytes.equals(stored[i]!, frames[i]!))
      assert.strictEqual(stored[1], frames[1])
      assert.strictEqual(stored[3], frames[3])
      assert.isFalse(Bytes.sharesBuffer(stored[0]!, chunk))
      assert.isTrue(Bytes.sharesBuffer(stored[0]!, stored[2]!))
      assert.strictEqual(Bytes.toUint8Array(stored[0]!).buffer.byteLength, 10 + 27)
      assert.strictEqual((yield* arena.stats).bytes, 10 + 200 + 27 + 3)
      // A single alloc copies its frame on its own.
      const alone = yield* arena.get(yield* arena.alloc(Bytes.slice(chunk, 300, 305)))
      assert.strictEqual(Bytes.toUint8Array(alone).buffer.byteLength, 5)
    }))

  it.effect("closing the layer frees everything and later calls fail with ArenaClosed", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(MessageArena.layer({ capacity: 2, name: "layer-close" }), scope)
      const arena = yield* Effect.provide(MessageArena.MessageArena, context)
      const ref = yield* arena.alloc(Bytes.fromString("leaked"))
      yield* Scope.close(scope, Exit.void)
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.closed, stats.leaked, stats.live], [true, 1, 0])
      const error = yield* Effect.flip(arena.get(ref))
      assert.strictEqual(error._tag, "ArenaClosed")
      assert.strictEqual(error._tag === "ArenaClosed" && error.arena, "layer-close")
      assert.strictEqual((yield* Effect.flip(arena.alloc(Bytes.empty)))._tag, "ArenaClosed")
    }))
})
