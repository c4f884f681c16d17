import { assert, describe, it } from "@effect/vitest"
import { Mpsc, Readiness } from "@weft/channel"
import { Array as Arr, Chunk, Effect, Exit, FastCheck, Fiber, Option, Queue } from "effect"
import * as Conservation from "./support/conservation.js"

/** `[0, 1, ..., n - 1]` (empty for 0, unlike `Array.range`). */
const upTo = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i)

/** Runs queued fibers: every forked fiber gets to run until it parks. */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
})

/** Drains everything still buffered without waiting. */
const drain = <A>(rx: Mpsc.Receiver<A>) =>
  Effect.gen(function*() {
    const out: Array<A> = []
    while (true) {
      const next = yield* Mpsc.tryRecv(rx).pipe(Effect.catchTag("ChannelClosed", () => Effect.succeedNone))
      if (Option.isNone(next)) return out
      out.push(next.value)
    }
  })

describe("Mpsc", () => {
  describe("construction", () => {
    it.effect("bounded rejects capacities that are not positive integers, with the facts", () =>
      Effect.gen(function*() {
        for (const capacity of [0, -1, 1.5, Number.NaN, Infinity]) {
          const error = yield* Effect.flip(Mpsc.bounded<number>(capacity))
          assert.strictEqual(error._tag, "InvalidCapacity")
          assert.isTrue(Object.is(error.capacity, capacity))
          assert.include(error.message, "positive integer")
        }
      }))

    it.effect("capacity reports the bound; unbounded reports Infinity", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(7)
        assert.strictEqual(Mpsc.capacity(tx), 7)
        assert.strictEqual(Mpsc.capacity(rx), 7)
        const [utx] = yield* Mpsc.unbounded<number>()
        assert.strictEqual(Mpsc.capacity(utx), Infinity)
      }))
  })

  describe("send and receive", () => {
    it("recv completes synchronously when a message is buffered (no fiber suspension)", () => {
      const [tx, rx] = Effect.runSync(Mpsc.bounded<string>(4))
      Effect.runSync(Mpsc.send(tx, "a"))
      Effect.runSync(Mpsc.send(tx, "b"))
      assert.strictEqual(Effect.runSync(Mpsc.recv(rx)), "a")
      assert.strictEqual(Effect.runSync(Mpsc.recv(rx)), "b")
      assert.strictEqual(Effect.runSync(Mpsc.size(rx)), 0)
    })

    it.effect("messages arrive in send order", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(8)
        const consumer = yield* Effect.fork(Effect.forEach(Arr.range(1, 100), () => Mpsc.recv(rx)))
        for (let i = 1; i <= 100; i++) yield* Mpsc.send(tx, i)
        assert.deepStrictEqual(yield* Fiber.join(consumer), Arr.range(1, 100))
      }))

    it.effect("send waits while full and completes once a slot frees", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(2)
        yield* Mpsc.sendAll(tx, [1, 2])
        const sender = yield* Effect.fork(Mpsc.send(tx, 3))
        yield* settle
        assert.isNull(sender.unsafePoll(), "send must wait while the channel is full")
        assert.strictEqual(yield* Mpsc.size(tx), 2)
        assert.strictEqual(yield* Mpsc.recv(rx), 1)
        yield* Fiber.join(sender)
        assert.deepStrictEqual(yield* drain(rx), [2, 3])
      }))

    it.effect("recv waits while empty and takes the message sent later", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<string>(2)
        const receiver = yield* Effect.fork(Mpsc.recv(rx))
        yield* settle
        assert.isNull(receiver.unsafePoll())
        yield* Mpsc.send(tx, "late")
        assert.strictEqual(yield* Fiber.join(receiver), "late")
        assert.strictEqual(yield* Mpsc.size(rx), 0)
      }))

    it.effect("trySend reports false when full and sends nothing then", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(1)
        assert.isTrue(yield* Mpsc.trySend(tx, 1))
        assert.isFalse(yield* Mpsc.trySend(tx, 2))
        assert.deepStrictEqual(yield* drain(rx), [1])
      }))

    it.effect("unsafeTrySend sends synchronously, reports full and closed, and sends nothing then", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(2)
        assert.strictEqual(Mpsc.unsafeTrySend(tx, 1), "sent")
        assert.strictEqual(tx.pipe(Mpsc.unsafeTrySend(2)), "sent")
        assert.strictEqual(Mpsc.unsafeTrySend(tx, 3), "full")
        assert.strictEqual(yield* Mpsc.size(rx), 2)
        assert.deepStrictEqual(yield* drain(rx), [1, 2])
        yield* Mpsc.close(tx)
        assert.strictEqual(Mpsc.unsafeTrySend(tx, 4), "closed")
        assert.isTrue(Exit.isFailure(yield* Effect.exit(Mpsc.recv(rx))), "nothing was sent after close")
      }))

    it.effect("unsafeTrySend wakes a waiting receiver and respects permits", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<string>(1)
        const receiver = yield* Effect.fork(Mpsc.recv(rx))
        yield* settle
        assert.strictEqual(Mpsc.unsafeTrySend(tx, "woken"), "sent")
        assert.strictEqual(yield* Fiber.join(receiver), "woken")
        const permit = yield* Mpsc.reserve(tx)
        assert.strictEqual(Mpsc.unsafeTrySend(tx, "no room"), "full", "the reserved slot is not free")
        yield* permit.send("reserved")
        assert.strictEqual(yield* Mpsc.recv(rx), "reserved")
        assert.strictEqual(yield* Mpsc.size(rx), 0)
      }))

    it.effect("unsafeTrySendAll sends what fits, in order, and returns where it stopped; closed, nothing", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(3)
        const permit = yield* Mpsc.reserve(tx)
        assert.strictEqual(Mpsc.unsafeTrySendAll(tx, [1, 2, 3, 4]), 2, "the reserved slot is not free")
        assert.strictEqual(Mpsc.unsafeTrySendAll(tx, [1, 2, 3, 4], 2), 2, "full: nothing more")
        assert.deepStrictEqual(yield* drain(rx), [1, 2])
        assert.strictEqual(tx.pipe(Mpsc.unsafeTrySendAll([1, 2, 3, 4], 2)), 4, "from index 2 on, all fit")
        assert.strictEqual(Mpsc.unsafeTrySendAll(tx, [], 0), 0)
        yield* permit.release
        assert.deepStrictEqual(yield* drain(rx), [3, 4])
        yield* Mpsc.close(tx)
        assert.strictEqual(Mpsc.unsafeTrySendAll(tx, [5, 6], 1), 1, "closed: the index it was given")
        assert.isTrue(Exit.isFailure(yield* Effect.exit(Mpsc.recv(rx))), "nothing was sent after close")
      }))

    it.effect("unsafeTrySendAll wakes every waiting receiver it has a message for", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<string>(4)
        const receivers = yield* Effect.forEach(Arr.range(1, 3), () => Effect.fork(Mpsc.recv(rx)))
        yield* settle
        assert.strictEqual(Mpsc.unsafeTrySendAll(tx, ["a", "b"]), 2)
        const done = yield* Effect.forEach(receivers, (fiber) => Fiber.poll(fiber))
        yield* settle
        const received = yield* Effect.forEach(receivers.slice(0, 2), Fiber.join)
        assert.deepStrictEqual(received.sort(), ["a", "b"])
        assert.isTrue(done.every(Option.isNone), "woken, not run inside the call")
        assert.isTrue(Option.isNone(yield* Fiber.poll(receivers[2]!)), "the third still waits")
        yield* Fiber.interrupt(receivers[2]!)
      }))

    it.effect("sendAll larger than the capacity delivers everything in order to a concurrent consumer", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(3)
        const consumer = yield* Effect.fork(Effect.forEach(Arr.range(1, 50), () => Mpsc.recv(rx)))
        yield* Mpsc.sendAll(tx, Arr.range(1, 50))
        assert.deepStrictEqual(yield* Fiber.join(consumer), Arr.range(1, 50))
      }))

    it.effect("sendAll accepts any iterable", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.unbounded<string>()
        yield* Mpsc.sendAll(tx, new Set(["x", "y"]))
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Mpsc.recvUpTo(rx, 10)), ["x", "y"])
      }))

    it.effect("recvUpTo takes up to max in order and leaves the rest", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(16)
        yield* Mpsc.sendAll(tx, Arr.range(1, 10))
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Mpsc.recvUpTo(rx, 4)), [1, 2, 3, 4])
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* rx.pipe(Mpsc.recvUpTo(100))), [5, 6, 7, 8, 9, 10])
        assert.strictEqual(yield* Mpsc.size(rx), 0)
      }))

    it.effect("recvUpTo waits only while empty and never returns an empty chunk", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(16)
        const batch = yield* Effect.fork(Mpsc.recvUpTo(rx, 8))
        yield* settle
        assert.isNull(batch.unsafePoll())
        yield* Mpsc.send(tx, 42)
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(batch)), [42])
      }))

    it.effect("recvUpTo with max below 1 takes one message", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        yield* Mpsc.sendAll(tx, [1, 2])
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Mpsc.recvUpTo(rx, 0)), [1])
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Mpsc.recvUpTo(rx, -5)), [2])
      }))

    it.effect("recvUpTo frees room for waiting senders", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(2)
        yield* Mpsc.sendAll(tx, [1, 2])
        const senders = yield* Effect.fork(Effect.all([Mpsc.send(tx, 3), Mpsc.send(tx, 4)], { concurrency: 2 }))
        yield* settle
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Mpsc.recvUpTo(rx, 2)), [1, 2])
        yield* Fiber.join(senders)
        assert.deepStrictEqual((yield* drain(rx)).sort(), [3, 4])
      }))

    it.effect("tryRecv: None when empty, Some when buffered, ChannelClosed when closed and drained", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(2)
        assert.isTrue(Option.isNone(yield* Mpsc.tryRecv(rx)))
        yield* Mpsc.send(tx, 1)
        assert.deepStrictEqual(yield* Mpsc.tryRecv(rx), Option.some(1))
        yield* Mpsc.close(tx)
        const error = yield* Effect.flip(Mpsc.tryRecv(rx))
        assert.strictEqual(error._tag, "ChannelClosed")
      }))

    it.effect("undefined is a message like any other", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<undefined>(2)
        yield* Mpsc.send(tx, undefined)
        assert.strictEqual(yield* Mpsc.size(rx), 1)
        assert.strictEqual(yield* Mpsc.recv(rx), undefined)
        assert.strictEqual(yield* Mpsc.size(rx), 0)
      }))

    it.effect("unbounded never waits and keeps order across buffer growth", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.unbounded<number>()
        for (let i = 0; i < 1000; i++) yield* Mpsc.send(tx, i)
        assert.strictEqual(yield* Mpsc.size(tx), 1000)
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Mpsc.recvUpTo(rx, 2000)), Arr.range(0, 999))
      }))
  })

  describe("close", () => {
    it.effect("receivers drain what is buffered, then see ChannelClosed; sends fail", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        yield* Mpsc.sendAll(tx, [1, 2])
        yield* Mpsc.close(rx)
        assert.isTrue(yield* Mpsc.isClosed(tx))
        assert.strictEqual((yield* Effect.flip(Mpsc.send(tx, 3)))._tag, "ChannelClosed")
        assert.strictEqual((yield* Effect.flip(Mpsc.trySend(tx, 3)))._tag, "ChannelClosed")
        assert.strictEqual(yield* Mpsc.recv(rx), 1)
        assert.strictEqual(yield* Mpsc.recv(rx), 2)
        const end = yield* Effect.flip(Mpsc.recv(rx))
        assert.strictEqual(end._tag, "ChannelClosed")
        assert.strictEqual(end.channel, "mpsc")
        assert.strictEqual((yield* Effect.flip(Mpsc.recvUpTo(rx, 4)))._tag, "ChannelClosed")
        assert.strictEqual(yield* Mpsc.size(rx), 0)
      }))

    it.effect("close wakes waiting receivers and senders with ChannelClosed; the waiting message is not delivered", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(1)
        const [tx2, rx2] = yield* Mpsc.bounded<number>(1)
        yield* Mpsc.send(tx2, 1)
        const receiver = yield* Effect.fork(Mpsc.recv(rx))
        const sender = yield* Effect.fork(Mpsc.send(tx2, 2))
        yield* settle
        yield* Mpsc.close(tx)
        yield* Mpsc.close(tx2)
        assert.strictEqual((yield* Effect.flip(Fiber.join(receiver)))._tag, "ChannelClosed")
        assert.strictEqual((yield* Effect.flip(Fiber.join(sender)))._tag, "ChannelClosed")
        assert.deepStrictEqual(yield* drain(rx2), [1])
      }))

    it.effect("closing twice is harmless", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(1)
        yield* Mpsc.close(tx)
        yield* Mpsc.close(rx)
        assert.isTrue(yield* Mpsc.isClosed(rx))
      }))
  })

  describe("multiple consumers", () => {
    it.effect("cloned receivers compete: every message goes to exactly one", () =>
      Effect.gen(function*() {
        const [tx, rx1] = yield* Mpsc.bounded<number>(4)
        const rx2 = yield* Mpsc.clone(rx1)
        const take = (rx: Mpsc.Receiver<number>) =>
          Effect.gen(function*() {
            const got: Array<number> = []
            while (true) {
              const next = yield* Mpsc.recv(rx).pipe(Effect.option)
              if (Option.isNone(next)) return got
              got.push(next.value)
              yield* Effect.yieldNow()
            }
          })
        const a = yield* Effect.fork(take(rx1))
        const b = yield* Effect.fork(take(rx2))
        yield* Mpsc.sendAll(tx, Arr.range(1, 200))
        yield* Mpsc.close(tx)
        const gotA = yield* Fiber.join(a)
        const gotB = yield* Fiber.join(b)
        assert.isAbove(gotA.length, 0)
        assert.isAbove(gotB.length, 0)
        assert.deepStrictEqual([...gotA, ...gotB].sort((x, y) => x - y), Arr.range(1, 200))
      }))
  })

  describe("permits", () => {
    it.effect("reserve holds a slot until the permit sends or is released", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<string>(1)
        const permit = yield* Mpsc.reserve(tx)
        assert.isFalse(yield* Mpsc.trySend(tx, "other"), "the reserved slot is taken")
        yield* permit.send("mine")
        assert.deepStrictEqual(yield* drain(rx), ["mine"])
        const again = yield* Effect.flip(permit.send("twice"))
        assert.strictEqual(again._tag, "PermitUsed")
        assert.strictEqual(yield* Mpsc.size(rx), 0, "a used permit sends nothing")
        const unused = yield* Mpsc.reserve(tx)
        yield* unused.release
        yield* unused.release
        assert.isTrue(yield* Mpsc.trySend(tx, "after release"))
        assert.isFalse(yield* Mpsc.trySend(tx, "full again"), "a double release frees only one slot")
      }))

    it.effect("reserve waits while full; interrupted, it reserved nothing", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(1)
        yield* Mpsc.send(tx, 1)
        const waiting = yield* Effect.fork(Mpsc.reserve(tx))
        yield* settle
        assert.isNull(waiting.unsafePoll())
        yield* Fiber.interrupt(waiting)
        assert.strictEqual(yield* Mpsc.recv(rx), 1)
        assert.isTrue(yield* Mpsc.trySend(tx, 2), "the slot was not kept by the interrupted reserve")
      }))

    it.effect("a permit used after close fails with ChannelClosed and frees its slot", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(1)
        const permit = yield* Mpsc.reserve(tx)
        yield* Mpsc.close(rx)
        assert.strictEqual((yield* Effect.flip(permit.send(1)))._tag, "ChannelClosed")
        assert.strictEqual(yield* Mpsc.size(rx), 0)
      }))
  })

  describe("cancellation safety", () => {
    it.effect("an interrupted waiting recv consumed nothing", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        const receiver = yield* Effect.fork(Mpsc.recv(rx))
        yield* settle
        yield* Fiber.interrupt(receiver)
        yield* Mpsc.send(tx, 1)
        assert.strictEqual(yield* Mpsc.size(rx), 1)
        assert.strictEqual(yield* Mpsc.recv(rx), 1)
      }))

    it.effect("canary (Effect's race loss): an interrupted Queue.take that an offer woke loses the element", () =>
      Effect.gen(function*() {
        // Why this package exists, measured on the Effect in use. It fails only when Effect fixes the race.
        const queue = yield* Queue.bounded<number>(4)
        const taker = yield* Effect.fork(Queue.take(queue))
        yield* settle
        yield* Queue.offer(queue, 1)
        taker.unsafeInterruptAsFork(taker.id())
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(taker)))
        assert.strictEqual(
          yield* Queue.size(queue),
          0,
          "Effect fixed this: an interrupted Queue.take no longer loses the element it was woken for. weft's docs cite this canary (docs/architecture.md): update them and retire the canary."
        )
      }))

    it.effect("same tick: a send wakes a waiting recv that is then interrupted — the message stays", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        const receiver = yield* Effect.fork(Mpsc.recv(rx))
        yield* settle
        // Both happen before the receiver fiber runs again.
        yield* Mpsc.send(tx, 1)
        receiver.unsafeInterruptAsFork(receiver.id())
        const exit = yield* Fiber.await(receiver)
        assert.isTrue(Exit.isInterrupted(exit), "the receiver was interrupted, not handed the message")
        assert.strictEqual(yield* Mpsc.size(rx), 1)
        assert.strictEqual(yield* Mpsc.recv(rx), 1)
      }))

    it.effect("same tick: the wakeup an interrupted receiver got passes on to the next waiting receiver", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        const first = yield* Effect.fork(Mpsc.recv(rx))
        yield* settle
        const second = yield* Effect.fork(Mpsc.recv(rx))
        yield* settle
        yield* Mpsc.send(tx, 7)
        first.unsafeInterruptAsFork(first.id())
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(first)))
        assert.strictEqual(yield* Fiber.join(second), 7)
        assert.strictEqual(yield* Mpsc.size(rx), 0)
      }))

    it.effect("same tick: an interrupted recvUpTo consumed nothing", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        const receiver = yield* Effect.fork(Mpsc.recvUpTo(rx, 10))
        yield* settle
        yield* Mpsc.sendAll(tx, [1, 2, 3])
        receiver.unsafeInterruptAsFork(receiver.id())
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(receiver)))
        assert.deepStrictEqual(yield* drain(rx), [1, 2, 3])
      }))

    it.effect("same tick: a send woken by a freed slot and then interrupted did not deliver; the slot passes on", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<string>(1)
        yield* Mpsc.send(tx, "a")
        const first = yield* Effect.fork(Mpsc.send(tx, "b"))
        yield* settle
        const second = yield* Effect.fork(Mpsc.send(tx, "c"))
        yield* settle
        assert.strictEqual(yield* Mpsc.recv(rx), "a")
        first.unsafeInterruptAsFork(first.id())
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(first)))
        yield* Fiber.join(second)
        assert.deepStrictEqual(yield* drain(rx), ["c"], "b was never delivered, c took the freed slot")
      }))

    it.effect("a sendAll cut short by a close says how many messages it got in: ChannelClosed { accepted }", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(3)
        const sender = yield* Effect.fork(Mpsc.sendAll(tx, Arr.range(1, 10)))
        yield* settle
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Mpsc.recvUpTo(rx, 2)), [1, 2])
        yield* settle
        yield* Mpsc.close(rx)
        const error = yield* Effect.flip(Fiber.join(sender))
        assert.strictEqual(error._tag, "ChannelClosed")
        assert.strictEqual(error.accepted, 5)
        assert.strictEqual(error.message, "the mpsc channel is closed; the first 5 message(s) were accepted")
        assert.deepStrictEqual(yield* drain(rx), [3, 4, 5], "the accepted messages are still delivered")
        const already = yield* Effect.flip(Mpsc.sendAll(tx, [11, 12]))
        assert.strictEqual(already.accepted, 0)
        assert.isUndefined((yield* Effect.flip(Mpsc.send(tx, 13))).accepted, "only a batch send reports accepted")
      }))

    it.effect("an interrupted sendAll delivered a prefix, each message once", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(3)
        const sender = yield* Effect.fork(Mpsc.sendAll(tx, Arr.range(1, 10)))
        yield* settle
        assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Mpsc.recvUpTo(rx, 2)), [1, 2])
        yield* settle
        yield* Fiber.interrupt(sender)
        assert.deepStrictEqual(yield* drain(rx), [3, 4, 5])
      }))
  })

  describe("readiness", () => {
    it.effect("poll and awaitReadable never consume", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        assert.isFalse(yield* Mpsc.poll(rx))
        const waiter = yield* Effect.fork(Mpsc.awaitReadable(rx))
        yield* settle
        assert.isNull(waiter.unsafePoll())
        yield* Mpsc.send(tx, 1)
        yield* Fiber.join(waiter)
        assert.isTrue(yield* Mpsc.poll(rx))
        assert.strictEqual(yield* Mpsc.size(rx), 1)
        assert.strictEqual(yield* Mpsc.recv(rx), 1)
      }))

    it.effect("a receiver parked behind awaitReadable still gets the message", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        const waiter = yield* Effect.fork(Mpsc.awaitReadable(rx))
        yield* settle
        const receiver = yield* Effect.fork(Mpsc.recv(rx))
        yield* settle
        yield* Mpsc.send(tx, 5)
        yield* Fiber.join(waiter)
        assert.strictEqual(yield* Fiber.join(receiver), 5)
      }))

    it.effect("claim: undefined when empty, the value when ready, the same failure once ended", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        const readiness = rx[Readiness.TypeId]
        assert.isTrue(Readiness.isClaimable(rx))
        assert.isUndefined(readiness.claim())
        yield* Mpsc.send(tx, 1)
        assert.deepStrictEqual(readiness.claim(), Exit.succeed(1))
        assert.strictEqual(yield* Mpsc.size(rx), 0)
        yield* Mpsc.close(tx)
        const end = readiness.claim()
        assert.isTrue(end !== undefined && Exit.isFailure(end))
        assert.strictEqual(readiness.claim(), end)
      }))

    it.effect("onReady wakes once per registration; unregistering a fired waker passes the wakeup on", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        const readiness = rx[Readiness.TypeId]
        let wakes = 0
        const unregister = readiness.onReady(() => wakes++)
        const receiver = yield* Effect.fork(Mpsc.recv(rx))
        yield* settle
        yield* Mpsc.send(tx, 9)
        assert.strictEqual(wakes, 1, "the first waiter was woken")
        assert.isNull(receiver.unsafePoll(), "one message wakes one waiter")
        // The waker's owner (think: a select that chose another branch) takes nothing.
        unregister()
        unregister()
        assert.strictEqual(yield* Fiber.join(receiver), 9)
        yield* Mpsc.send(tx, 10)
        assert.strictEqual(wakes, 1, "a waker runs at most once")
        assert.deepStrictEqual(yield* drain(rx), [10])
      }))

    it.effect("onReady calls the waker at once when already ready; a cancelled waker never runs", () =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        const readiness = rx[Readiness.TypeId]
        let late = 0
        readiness.onReady(() => late++)()
        yield* Mpsc.send(tx, 1)
        assert.strictEqual(late, 0)
        let now = 0
        readiness.onReady(() => now++)
        assert.strictEqual(now, 1)
      }))
  })

  describe("properties", () => {
    it.effect.prop(
      "messages are conserved under random interrupts: received once, or still in the channel",
      [Conservation.scenario],
      ([scenario]) =>
        Effect.gen(function*() {
          const report = yield* Conservation.run(scenario)
          assert.deepStrictEqual(
            {
              lost: report.lost,
              duplicated: report.duplicated,
              outOfOrder: report.outOfOrder,
              phantom: report.phantom
            },
            { lost: 0, duplicated: 0, outOfOrder: 0, phantom: 0 }
          )
          assert.isAtLeast(report.delivered, report.sent)
        }),
      { fastCheck: { numRuns: 1000 }, timeout: 120_000 }
    )

    it.effect.prop(
      "per-producer FIFO order holds with several producers and batched receives",
      {
        capacity: FastCheck.integer({ min: 1, max: 8 }),
        counts: FastCheck.array(FastCheck.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 4 }),
        max: FastCheck.integer({ min: 1, max: 10 })
      },
      ({ capacity, counts, max }) =>
        Effect.gen(function*() {
          const [tx, rx] = yield* Mpsc.bounded<readonly [number, number]>(capacity)
          const total = counts.reduce((a, b) => a + b, 0)
          yield* Effect.forEach(counts, (count, p) =>
            Effect.fork(Effect.forEach(upTo(count), (i) =>
              Effect.zipRight(Mpsc.send(tx, [p, i] as const), Effect.yieldNow()))))
          const received: Array<readonly [number, number]> = []
          while (received.length < total) {
            received.push(...(yield* Mpsc.recvUpTo(rx, max)))
          }
          counts.forEach((count, p) => {
            const sequence = received.filter(([q]) =>
              q === p
            ).map(([, i]) =>
              i
            )
            assert.deepStrictEqual(sequence, upTo(count))
          })
          assert.strictEqual(yield* Mpsc.size(rx), 0)
        }),
      { fastCheck: { numRuns: 200 } }
    )
  })
})
