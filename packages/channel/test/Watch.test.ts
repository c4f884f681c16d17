import { assert, describe, it } from "@effect/vitest"
import { Readiness, Watch } from "@weft/channel"
import { Effect, Exit, FastCheck, Fiber } from "effect"

const settle = Effect.gen(function*() {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
})

describe("Watch", () => {
  it.effect("borrow reads the latest value; version counts the changes", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Watch.make(0)
      assert.strictEqual(yield* Watch.borrow(rx), 0)
      assert.strictEqual(yield* Watch.version(rx), 0)
      yield* Watch.send(tx, 5)
      assert.strictEqual(yield* tx.pipe(Watch.update((n) => n * 2)), 10)
      assert.strictEqual(yield* Watch.borrow(rx), 10)
      assert.strictEqual(yield* Watch.version(tx), 2)
      assert.isTrue(yield* Watch.hasChanged(rx), "borrow does not mark a version seen")
    }))

  it.effect("changed waits for a newer version, returns the latest value and marks it seen", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Watch.make("a")
      const waiter = yield* Effect.fork(Watch.changed(rx))
      yield* settle
      assert.isNull(waiter.unsafePoll(), "the initial version counts as seen")
      yield* Watch.send(tx, "b")
      yield* Watch.send(tx, "c")
      assert.strictEqual(yield* Fiber.join(waiter), "c")
      assert.isFalse(yield* Watch.hasChanged(rx))
      assert.isFalse(yield* Watch.poll(rx))
    }))

  it.effect("every receiver sees the change; subscribe starts at the current version", () =>
    Effect.gen(function*() {
      const [tx, rx1] = yield* Watch.make(0)
      const rx2 = yield* Watch.clone(rx1)
      yield* Watch.send(tx, 1)
      const rx3 = yield* Watch.subscribe(tx)
      assert.strictEqual(yield* Watch.changed(rx1), 1)
      assert.strictEqual(yield* Watch.changed(rx2), 1)
      assert.isFalse(yield* Watch.hasChanged(rx3))
    }))

  it.effect("close: a pending change is still delivered, then ChannelClosed; borrow keeps working", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Watch.make(0)
      const idle = yield* Watch.subscribe(tx)
      const waiter = yield* Effect.fork(Watch.changed(idle))
      yield* Watch.send(tx, 1)
      yield* Fiber.join(waiter)
      const waiting = yield* Effect.fork(Watch.changed(idle))
      yield* settle
      yield* Watch.close(tx)
      const closed = yield* Effect.flip(Fiber.join(waiting))
      assert.strictEqual(closed._tag, "ChannelClosed")
      assert.strictEqual(closed.channel, "watch")
      assert.strictEqual(yield* Watch.changed(rx), 1)
      assert.strictEqual((yield* Effect.flip(Watch.changed(rx)))._tag, "ChannelClosed")
      assert.strictEqual((yield* Effect.flip(Watch.send(tx, 2)))._tag, "ChannelClosed")
      assert.strictEqual(yield* Watch.borrow(rx), 1)
    }))

  it.effect("same tick: an interrupted changed marks nothing seen", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Watch.make(0)
      const waiter = yield* Effect.fork(Watch.changed(rx))
      yield* settle
      yield* Watch.send(tx, 1)
      waiter.unsafeInterruptAsFork(waiter.id())
      assert.isTrue(Exit.isInterrupted(yield* Fiber.await(waiter)))
      assert.isTrue(yield* Watch.hasChanged(rx))
      assert.strictEqual(yield* Watch.changed(rx), 1)
    }))

  it.effect("markSeen consumes the pending change", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Watch.make(0)
      yield* Watch.send(tx, 4)
      assert.strictEqual(yield* Watch.markSeen(rx), 4)
      assert.isUndefined(rx[Readiness.TypeId].claim())
    }))

  it.effect.prop(
    "a receiver sees strictly increasing versions that end at the last one, and values match them",
    {
      values: FastCheck.array(FastCheck.integer(), { minLength: 1, maxLength: 40 }),
      pauses: FastCheck.array(FastCheck.nat(3), { minLength: 1, maxLength: 40 })
    },
    ({ pauses, values }) =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Watch.make<readonly [number, number]>([0, 0])
        const seen: Array<readonly [number, number]> = []
        const watcher = yield* Effect.fork(Effect.forever(Effect.gen(function*() {
          seen.push(yield* Watch.changed(rx))
          for (let i = 0; i < pauses[seen.length % pauses.length]!; i++) yield* Effect.yieldNow()
        })))
        for (let i = 0; i < values.length; i++) {
          yield* Watch.send(tx, [i + 1, values[i]!])
          for (let j = 0; j < pauses[i % pauses.length]!; j++) yield* Effect.yieldNow()
        }
        yield* settle
        yield* Fiber.interrupt(watcher)
        for (let i = 1; i < seen.length; i++) assert.isAbove(seen[i]![0], seen[i - 1]![0])
        for (const [version, value] of seen) assert.strictEqual(value, values[version - 1])
        assert.strictEqual(seen[seen.length - 1]![0], values.length, "the last version is always seen")
        assert.strictEqual(yield* Watch.version(rx), values.length)
      }),
    { fastCheck: { numRuns: 200 } }
  )
})
