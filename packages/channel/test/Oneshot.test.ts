import { assert, describe, it } from "@effect/vitest"
import { Oneshot, Readiness } from "@weft/channel"
import { Effect, Exit, Fiber, Option } from "effect"

const settle = Effect.gen(function*() {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
})

describe("Oneshot", () => {
  it.effect("delivers the one value to a waiting receiver; afterwards the channel has ended", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Oneshot.make<number>()
      const receiver = yield* Effect.fork(Oneshot.recv(rx))
      yield* settle
      assert.isNull(receiver.unsafePoll())
      yield* Oneshot.send(tx, 42)
      assert.strictEqual(yield* Fiber.join(receiver), 42)
      assert.strictEqual((yield* Effect.flip(Oneshot.recv(rx)))._tag, "ChannelClosed")
    }))

  it.effect("a second send fails with ChannelClosed and does not replace the value", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Oneshot.make<string>()
      yield* Oneshot.send(tx, "first")
      assert.isTrue(yield* Oneshot.isClosed(tx))
      assert.strictEqual((yield* Effect.flip(Oneshot.send(tx, "second")))._tag, "ChannelClosed")
      assert.strictEqual(yield* Oneshot.recv(rx), "first")
    }))

  it.effect("the sender can fail it with a typed error that every receive reports", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Oneshot.make<number, { readonly reason: string }>()
      yield* tx.pipe(Oneshot.fail({ reason: "boom" }))
      assert.deepStrictEqual(yield* Effect.flip(Oneshot.recv(rx)), { reason: "boom" })
      assert.deepStrictEqual(yield* Effect.flip(Oneshot.recv(rx)), { reason: "boom" })
      assert.strictEqual((yield* Effect.flip(Oneshot.send(tx, 1)))._tag, "ChannelClosed")
    }))

  it.effect("close without a value ends it with ChannelClosed; close after a send keeps the value", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Oneshot.make<number>()
      const receiver = yield* Effect.fork(Oneshot.recv(rx))
      yield* settle
      yield* Oneshot.close(tx)
      const closed = yield* Effect.flip(Fiber.join(receiver))
      assert.strictEqual(closed._tag, "ChannelClosed")
      assert.strictEqual(closed.channel, "oneshot")
      assert.strictEqual(closed.message, "the oneshot channel is closed")
      const [tx2, rx2] = yield* Oneshot.make<number>()
      yield* Oneshot.send(tx2, 7)
      yield* Oneshot.close(rx2)
      assert.strictEqual(yield* Oneshot.recv(rx2), 7)
    }))

  it.effect("tryRecv: None while pending, the value once, then ChannelClosed", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Oneshot.make<number>()
      assert.isTrue(Option.isNone(yield* Oneshot.tryRecv(rx)))
      yield* Oneshot.send(tx, 1)
      assert.deepStrictEqual(yield* Oneshot.tryRecv(rx), Option.some(1))
      assert.strictEqual((yield* Effect.flip(Oneshot.tryRecv(rx)))._tag, "ChannelClosed")
    }))

  it.effect("same tick: an interrupted recv leaves the value for the next receive", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Oneshot.make<string>()
      const receiver = yield* Effect.fork(Oneshot.recv(rx))
      yield* settle
      yield* Oneshot.send(tx, "kept")
      receiver.unsafeInterruptAsFork(receiver.id())
      assert.isTrue(Exit.isInterrupted(yield* Fiber.await(receiver)))
      assert.isTrue(yield* Oneshot.poll(rx))
      assert.strictEqual(yield* Oneshot.recv(rx), "kept")
    }))

  it.effect("readiness: claim takes the value once, then returns the same end", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Oneshot.make<number>()
      const readiness = rx[Readiness.TypeId]
      assert.isUndefined(readiness.claim())
      let woke = 0
      readiness.onReady(() => woke++)
      yield* Oneshot.send(tx, 3)
      assert.strictEqual(woke, 1)
      assert.deepStrictEqual(readiness.claim(), Exit.succeed(3))
      const end = readiness.claim()
      assert.isTrue(end !== undefined && Exit.isFailure(end))
      assert.strictEqual(readiness.claim(), end)
    }))
})
