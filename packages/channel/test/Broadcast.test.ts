import { assert, describe, it } from "@effect/vitest"
import type { ChannelError } from "@weft/channel"
import { Broadcast, Readiness } from "@weft/channel"
import { Effect, Exit, FastCheck, Fiber, Option } from "effect"

const settle = Effect.gen(function*() {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
})

const upTo = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i)

describe("Broadcast", () => {
  it.effect("make rejects a capacity that is not a positive integer", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Broadcast.make<number>({ capacity: 0 }))
      assert.strictEqual(error._tag, "InvalidCapacity")
      assert.strictEqual(error.channel, "broadcast")
    }))

  it.effect("every subscriber sees every message sent after it subscribed, in order", () =>
    Effect.gen(function*() {
      const [tx, first] = yield* Broadcast.make<number>({ capacity: 4 })
      yield* Broadcast.send(tx, 1)
      const second = yield* Broadcast.subscribe(tx)
      yield* Broadcast.send(tx, 2)
      yield* Broadcast.send(tx, 3)
      assert.deepStrictEqual(
        [yield* Broadcast.recv(first), yield* Broadcast.recv(first), yield* Broadcast.recv(first)],
        [1, 2, 3]
      )
      assert.deepStrictEqual([yield* Broadcast.recv(second), yield* Broadcast.recv(second)], [2, 3])
      assert.isTrue(Option.isNone(yield* Broadcast.tryRecv(second)))
    }))

  it.effect("unsafeTrySend: sent, full (suspend policy) or closed, and wakes a waiting subscriber", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 1 })
      const waiting = yield* Effect.fork(Broadcast.recv(rx))
      yield* settle
      assert.deepStrictEqual([Broadcast.unsafeTrySend(tx, 1)], ["sent"])
      assert.strictEqual(yield* Fiber.join(waiting), 1)
      assert.deepStrictEqual([tx.pipe(Broadcast.unsafeTrySend(2)), Broadcast.unsafeTrySend(tx, 3)], ["sent", "full"])
      assert.strictEqual(yield* Broadcast.recv(rx), 2)
      const [dropping, lagging] = yield* Broadcast.make<number>({ capacity: 1, lag: "dropOldest" })
      assert.deepStrictEqual([Broadcast.unsafeTrySend(dropping, 1), Broadcast.unsafeTrySend(dropping, 2)], [
        "sent",
        "sent"
      ])
      assert.strictEqual((yield* Effect.flip(Broadcast.recv(lagging)))._tag, "Lagged")
      yield* Broadcast.close(tx)
      assert.strictEqual(Broadcast.unsafeTrySend(tx, 4), "closed")
    }))

  it.effect("suspend policy: send waits for the slowest subscriber, nobody misses anything", () =>
    Effect.gen(function*() {
      const [tx, fast] = yield* Broadcast.make<number>({ capacity: 2 })
      const slow = yield* Broadcast.subscribe(tx)
      yield* Broadcast.send(tx, 1)
      yield* Broadcast.send(tx, 2)
      assert.strictEqual(yield* Broadcast.recv(fast), 1)
      assert.strictEqual(yield* Broadcast.recv(fast), 2)
      const sender = yield* Effect.fork(Broadcast.send(tx, 3))
      yield* settle
      assert.isNull(sender.unsafePoll(), "the slow subscriber holds both slots")
      assert.strictEqual(yield* Broadcast.pending(slow), 2)
      assert.strictEqual(yield* Broadcast.recv(slow), 1)
      yield* Fiber.join(sender)
      assert.deepStrictEqual([yield* Broadcast.recv(slow), yield* Broadcast.recv(slow)], [2, 3])
      assert.strictEqual(yield* Broadcast.recv(fast), 3)
    }))

  it.effect("dropOldest policy: sends never wait; the lagging subscriber gets Lagged with the exact count", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 3, lag: "dropOldest" })
      const keeping = yield* Broadcast.subscribe(tx)
      for (let i = 1; i <= 3; i++) yield* Broadcast.send(tx, i)
      assert.strictEqual(yield* Broadcast.recv(keeping), 1)
      for (let i = 4; i <= 8; i++) yield* Broadcast.send(tx, i)
      const lag = yield* Effect.flip(Broadcast.recv(rx))
      assert.strictEqual(lag._tag, "Lagged")
      assert.strictEqual((lag as ChannelError.Lagged).skipped, 5)
      assert.deepStrictEqual([yield* Broadcast.recv(rx), yield* Broadcast.recv(rx), yield* Broadcast.recv(rx)], [
        6,
        7,
        8
      ])
      const lag2 = yield* Effect.flip(Broadcast.recv(keeping))
      assert.strictEqual((lag2 as ChannelError.Lagged).skipped, 4)
      assert.strictEqual(yield* Broadcast.recv(keeping), 6)
    }))

  it.effect("without subscribers nobody sees the message and send never waits", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 1 })
      yield* Broadcast.unsubscribe(rx)
      yield* Broadcast.unsubscribe(rx)
      assert.strictEqual(yield* Broadcast.subscriberCount(tx), 0)
      yield* Broadcast.send(tx, 1)
      yield* Broadcast.send(tx, 2)
      const late = yield* Broadcast.subscribe(tx)
      yield* Broadcast.send(tx, 3)
      assert.strictEqual(yield* Broadcast.recv(late), 3)
      assert.strictEqual((yield* Effect.flip(Broadcast.recv(rx)))._tag, "ChannelClosed")
    }))

  it.effect("unsubscribing a stuck subscriber releases waiting senders", () =>
    Effect.gen(function*() {
      const [tx, stuck] = yield* Broadcast.make<number>({ capacity: 1 })
      yield* Broadcast.send(tx, 1)
      const sender = yield* Effect.fork(Broadcast.send(tx, 2))
      yield* settle
      assert.isNull(sender.unsafePoll())
      yield* Broadcast.unsubscribe(stuck)
      yield* Fiber.join(sender)
    }))

  it.scoped("subscribeScoped unsubscribes when the scope closes", () =>
    Effect.gen(function*() {
      const [tx] = yield* Broadcast.make<number>({ capacity: 1 })
      yield* Effect.scoped(Broadcast.subscribeScoped(tx))
      assert.strictEqual(yield* Broadcast.subscriberCount(tx), 1)
    }))

  it.effect("close: subscribers read the rest, then ChannelClosed; sends and waiting sends fail", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 1 })
      yield* Broadcast.send(tx, 1)
      const sender = yield* Effect.fork(Broadcast.send(tx, 2))
      yield* settle
      yield* Broadcast.close(tx)
      assert.isTrue(yield* Broadcast.isClosed(tx))
      assert.strictEqual((yield* Effect.flip(Fiber.join(sender)))._tag, "ChannelClosed")
      assert.strictEqual(yield* Broadcast.recv(rx), 1)
      assert.strictEqual((yield* Effect.flip(Broadcast.recv(rx)))._tag, "ChannelClosed")
      assert.strictEqual((yield* Effect.flip(Broadcast.send(tx, 3)))._tag, "ChannelClosed")
      const late = yield* Broadcast.subscribe(tx)
      assert.strictEqual((yield* Effect.flip(Broadcast.recv(late)))._tag, "ChannelClosed")
    }))

  it.effect("same tick: an interrupted recv consumed nothing", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<string>({ capacity: 2 })
      const receiver = yield* Effect.fork(Broadcast.recv(rx))
      yield* settle
      yield* Broadcast.send(tx, "kept")
      receiver.unsafeInterruptAsFork(receiver.id())
      assert.isTrue(Exit.isInterrupted(yield* Fiber.await(receiver)))
      assert.strictEqual(yield* Broadcast.pending(rx), 1)
      assert.strictEqual(yield* Broadcast.recv(rx), "kept")
    }))

  it.effect("readiness: claim returns the next message per subscription", () =>
    Effect.gen(function*() {
      const [tx, a] = yield* Broadcast.make<number>({ capacity: 2 })
      const b = yield* Broadcast.subscribe(tx)
      assert.isUndefined(a[Readiness.TypeId].claim())
      let woke = 0
      b[Readiness.TypeId].onReady(() => woke++)
      yield* Broadcast.send(tx, 1)
      assert.strictEqual(woke, 1)
      assert.deepStrictEqual(a[Readiness.TypeId].claim(), Exit.succeed(1))
      assert.deepStrictEqual(b[Readiness.TypeId].claim(), Exit.succeed(1))
      assert.isUndefined(b[Readiness.TypeId].claim())
    }))

  it.effect.prop(
    "under random interrupts each message reaches every subscriber or none, and nothing is consumed twice",
    {
      capacity: FastCheck.integer({ min: 1, max: 4 }),
      count: FastCheck.integer({ min: 0, max: 25 }),
      subscribers: FastCheck.integer({ min: 1, max: 3 }),
      interrupts: FastCheck.array(
        FastCheck.record({ after: FastCheck.nat(20), target: FastCheck.nat() }),
        { maxLength: 4 }
      )
    },
    ({ capacity, count, interrupts, subscribers }) =>
      Effect.gen(function*() {
        const [tx, first] = yield* Broadcast.make<number>({ capacity })
        const subs = [first, ...(yield* Effect.forEach(upTo(subscribers - 1), () => Broadcast.subscribe(tx)))]
        let completed = 0
        const producer = yield* Effect.fork(Effect.forEach(upTo(count), (n) =>
          Effect.map(Broadcast.send(tx, n), () => {
            completed++
          })))
        const received = subs.map((): Array<number> => [])
        const consumers = yield* Effect.forEach(subs, (sub, s) =>
          Effect.fork(Effect.forever(Effect.zipRight(
            // Recorded in the continuation that receives the value: see the Mpsc conservation test.
            Effect.map(Broadcast.recv(sub), (n) => received[s]!.push(n)),
            Effect.yieldNow()
          ))))
        const fibers = [producer, ...consumers]
        for (const { after, target } of interrupts) {
          for (let i = 0; i < after; i++) yield* Effect.yieldNow()
          yield* Fiber.interrupt(fibers[target % fibers.length]!)
        }
        yield* Fiber.interrupt(producer)
        yield* Fiber.interruptAll(consumers)
        for (const [s, sub] of subs.entries()) {
          while (true) {
            const next = yield* Broadcast.tryRecv(sub)
            if (Option.isNone(next)) break
            received[s]!.push(next.value)
          }
        }
        const published = received[0]!.length
        assert.isAtLeast(published, completed)
        assert.isAtMost(published, completed + 1)
        for (const got of received) assert.deepStrictEqual(got, upTo(published))
      }),
    { fastCheck: { numRuns: 300 } }
  )

  it.effect.prop(
    "every subscriber sees every message in order, or Lagged with exactly the messages it missed",
    {
      capacity: FastCheck.integer({ min: 1, max: 5 }),
      lag: FastCheck.constantFrom("suspend" as const, "dropOldest" as const),
      count: FastCheck.integer({ min: 0, max: 30 }),
      pauses: FastCheck.array(FastCheck.nat(4), { minLength: 1, maxLength: 4 })
    },
    ({ capacity, count, lag, pauses }) =>
      Effect.gen(function*() {
        const [tx, first] = yield* Broadcast.make<number>({ capacity, lag })
        const subscriptions = [first, ...(yield* Effect.forEach(pauses.slice(1), () => Broadcast.subscribe(tx)))]
        const consumers = yield* Effect.forEach(subscriptions, (sub, s) =>
          Effect.fork(Effect.gen(function*() {
            const got: Array<number> = []
            let skipped = 0
            let expected = 0
            while (true) {
              const next = yield* Effect.either(Broadcast.recv(sub))
              if (next._tag === "Right") {
                assert.strictEqual(next.right, expected, "no gap without a Lagged notice")
                got.push(next.right)
                expected++
              } else if (next.left._tag === "Lagged") {
                assert.isAbove(next.left.skipped, 0)
                skipped += next.left.skipped
                expected += next.left.skipped
              } else return { got, skipped }
              for (let i = 0; i < pauses[s]!; i++) yield* Effect.yieldNow()
            }
          })))
        for (const n of upTo(count)) yield* Broadcast.send(tx, n)
        yield* Broadcast.close(tx)
        const results = yield* Effect.forEach(consumers, Fiber.join)
        for (const { got, skipped } of results) {
          assert.strictEqual(got.length + skipped, count, "each message is received or counted as skipped")
          if (lag === "suspend") assert.deepStrictEqual(got, upTo(count))
        }
      }),
    { fastCheck: { numRuns: 300 } }
  )
})
