import { assert, describe, it } from "@effect/vitest"
import { Mpsc } from "@weft/channel"
import { Chunk, Effect, Fiber } from "effect"

// Inside a span (every @effect/platform HTTP handler runs in one), Effect wraps object defects in a
// Proxy. The channels' internal "nothing ready" signal must still be recognised there.
describe("receiving inside a traced fiber", () => {
  it.effect("recv on an empty channel waits for the next send instead of dying", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Mpsc.bounded<number>(4)
      const fiber = yield* Effect.fork(Mpsc.recv(rx).pipe(Effect.withSpan("handler")))
      yield* Effect.yieldNow()
      yield* Mpsc.send(tx, 7)
      assert.strictEqual(yield* Fiber.join(fiber), 7)
    }))

  it.effect("recvUpTo on an empty channel waits for the next send instead of dying", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Mpsc.bounded<number>(4)
      const fiber = yield* Effect.fork(Mpsc.recvUpTo(rx, 8).pipe(Effect.withSpan("handler")))
      yield* Effect.yieldNow()
      yield* Mpsc.sendAll(tx, [1, 2])
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(fiber)), [1, 2])
    }))
})
