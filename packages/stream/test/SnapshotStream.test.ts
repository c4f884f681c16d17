import { assert, describe, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { SnapshotStream } from "@weft/stream"
import { Chunk, Data, Effect, Exit, Fiber, Option, Ref, Scope, Stream, TestClock } from "effect"

const counter = (strategy: "suspend", capacity: number) =>
  SnapshotStream.make({
    initial: 0,
    step: (total: number, n: number) => [total + n, total + n] as const,
    capacity,
    strategy
  })

class StepFailed extends Data.TaggedError("StepFailed")<{ readonly event: number }> {}

// Lets every other fiber run until nothing is left to do.
const settle = Effect.yieldNow().pipe(Effect.repeatN(100))

describe("SnapshotStream (suspend)", () => {
  it.effect("delivers every snapshot in order and completes after the last one once the source ends", () =>
    Effect.scoped(Effect.gen(function*() {
      const snapshots = yield* counter("suspend", 4)
      const consumer = yield* Effect.fork(Stream.runCollect(snapshots.stream))
      yield* snapshots.sendAll([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      yield* snapshots.close
      const out = yield* Fiber.join(consumer)
      assert.deepStrictEqual(Chunk.toReadonlyArray(out), [1, 3, 6, 10, 15, 21, 28, 36, 45, 55])
    })))

  it.effect("steps without a snapshot emit nothing", () =>
    Effect.scoped(Effect.gen(function*() {
      const evens = yield* SnapshotStream.make({
        initial: 0,
        step: (seen: number, n: number) => n % 2 === 0 ? [seen + 1, n] as const : [seen + 1] as const,
        capacity: 8,
        strategy: "suspend"
      })
      yield* evens.sendAll([1, 2, 3, 4, 5])
      yield* evens.close
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Stream.runCollect(evens.stream)), [2, 4])
    })))

  it.effect("a slow consumer pushes back all the way to send", () =>
    Effect.scoped(Effect.gen(function*() {
      const snapshots = yield* counter("suspend", 2)
      let sent = 0
      const producer = yield* Effect.fork(Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i + 1),
        (n) => Effect.zipRight(snapshots.send(n), Effect.sync(() => sent++)),
        { discard: true }
      ))
      yield* settle
      // Nobody reads: 2 snapshots buffered, one batch of 2 events in the worker, 2 events queued.
      assert.isTrue(Option.isNone(yield* Fiber.poll(producer)))
      assert.isAtMost(sent, 2 + 2 + 2)
      const sentWhileBlocked = sent
      yield* settle
      assert.strictEqual(sent, sentWhileBlocked)
      // Reading lets it all through.
      const consumer = yield* Effect.fork(Stream.runCollect(snapshots.stream))
      yield* Fiber.join(producer)
      yield* snapshots.close
      const out = Chunk.toReadonlyArray(yield* Fiber.join(consumer))
      assert.strictEqual(out.length, 50)
      assert.strictEqual(out[49], (50 * 51) / 2)
    })))

  it.effect("an interrupted send that was waiting for room never delivers its event", () =>
    Effect.scoped(Effect.gen(function*() {
      const snapshots = yield* counter("suspend", 1)
      let accepted = 0
      // Fill every buffer on the way: events, the worker's batch and the snapshot channel.
      while (true) {
        const fiber = yield* Effect.fork(snapshots.send(1))
        yield* settle
        if (Option.isNone(yield* Fiber.poll(fiber))) {
          yield* Fiber.interrupt(fiber) // this send waited for room: interrupt it
          break
        }
        accepted++
      }
      yield* snapshots.send(1000).pipe(Effect.fork)
      const consumer = yield* Effect.fork(Stream.runCollect(snapshots.stream))
      yield* settle
      yield* snapshots.close
      const out = Chunk.toReadonlyArray(yield* Fiber.join(consumer))
      // Every accepted event, then 1000; the interrupted 1 is not among them.
      assert.deepStrictEqual(out, [...Array.from({ length: accepted }, (_, i) => i + 1), accepted + 1000])
    })))

  it.effect("a failing step fails the stream with its typed error after the earlier snapshots", () =>
    Effect.scoped(Effect.gen(function*() {
      const snapshots = yield* SnapshotStream.make({
        initial: 0,
        step: (total: number, n: number) =>
          n === 3 ? Effect.fail(new StepFailed({ event: n })) : Effect.succeed([total + n, total + n] as const),
        capacity: 8,
        strategy: "suspend"
      })
      yield* snapshots.sendAll([1, 2, 3, 4])
      const received: Array<number> = []
      const exit = yield* Stream.runForEach(snapshots.stream, (n) => Effect.sync(() => received.push(n))).pipe(
        Effect.exit
      )
      assert.deepStrictEqual(received, [1, 3])
      assert.deepStrictEqual(exit, Exit.fail(new StepFailed({ event: 3 })))
      // The worker is gone: sending fails instead of waiting forever.
      const closed = yield* Effect.flip(snapshots.send(5))
      assert.strictEqual(closed._tag, "ChannelClosed")
    })))

  it.effect("when the consumer is interrupted the worker stops and its finalizers run", () =>
    Effect.scoped(Effect.gen(function*() {
      const finalized = yield* Ref.make(0)
      const snapshots = yield* SnapshotStream.make({
        initial: 0,
        step: (total: number, n: number) =>
          Effect.gen(function*() {
            if (total === 0) yield* Effect.addFinalizer(() => Ref.update(finalized, (k) => k + 1))
            yield* Effect.sleep("1 second") // effectful work the interruption cuts short
            return [total + n, total + n] as const
          }),
        capacity: 4,
        strategy: "suspend"
      })
      const consumer = yield* Effect.fork(Stream.runDrain(snapshots.stream))
      yield* snapshots.send(1)
      yield* settle
      assert.strictEqual(yield* Ref.get(finalized), 0)
      yield* Fiber.interrupt(consumer)
      assert.strictEqual(yield* Ref.get(finalized), 1)
      const closed = yield* Effect.flip(snapshots.send(2))
      assert.strictEqual(closed._tag, "ChannelClosed")
    })))

  it.effect("a consumer that stops reading early (take) stops the worker too", () =>
    Effect.scoped(Effect.gen(function*() {
      const stopped = yield* Ref.make(false)
      const snapshots = yield* SnapshotStream.make({
        initial: 0,
        step: (total: number, n: number) =>
          Effect.gen(function*() {
            if (total === 0) yield* Effect.addFinalizer(() => Ref.set(stopped, true))
            return [total + n, total + n] as const
          }),
        capacity: 4,
        strategy: "suspend"
      })
      const producer = yield* Effect.fork(Effect.forever(snapshots.send(1)))
      const first = yield* Stream.runCollect(Stream.take(snapshots.stream, 3))
      assert.deepStrictEqual(Chunk.toReadonlyArray(first), [1, 2, 3])
      assert.isTrue(yield* Ref.get(stopped))
      const exit = yield* Fiber.await(producer)
      assert.isTrue(Exit.isFailure(exit)) // its send failed with ChannelClosed instead of hanging
    })))

  it.effect("closing the owning scope interrupts the worker and ends the stream", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const finalized = yield* Ref.make(false)
      const snapshots = yield* SnapshotStream.make({
        initial: 0,
        step: (total: number, n: number) =>
          Effect.gen(function*() {
            yield* Effect.addFinalizer(() => Ref.set(finalized, true))
            yield* Effect.never
            return [total + n] as const
          }),
        capacity: 4,
        strategy: "suspend"
      }).pipe(Scope.extend(scope))
      const consumer = yield* Effect.fork(Stream.runCollect(snapshots.stream))
      yield* snapshots.send(1)
      yield* settle
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(yield* Ref.get(finalized))
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(consumer)), [])
    }))

  it.effect("an effectful step runs on the Clock", () =>
    Effect.scoped(Effect.gen(function*() {
      const snapshots = yield* SnapshotStream.make({
        initial: "",
        step: (text: string, piece: string) =>
          Effect.as(Effect.sleep("1 minute"), [text + piece, text + piece] as const),
        capacity: 4,
        strategy: "suspend"
      })
      yield* snapshots.sendAll(["a", "b"])
      yield* snapshots.close
      const consumer = yield* Effect.fork(Stream.runCollect(snapshots.stream))
      yield* TestClock.adjust("1 minute")
      assert.isTrue(Option.isNone(yield* Fiber.poll(consumer)))
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(consumer)), ["a", "ab"])
    })))

  it.effect("a capacity below 1 is a typed InvalidArgument", () =>
    Effect.scoped(Effect.gen(function*() {
      const error = yield* Effect.flip(counter("suspend", 0))
      assert.instanceOf(error, SnapshotStream.InvalidArgument)
      assert.strictEqual(error.argument, "capacity")
    })))
})

describe("SnapshotStream (latest)", () => {
  it.effect("a slow consumer gets the newest snapshot with the count of those it skipped", () =>
    Effect.scoped(Effect.gen(function*() {
      const snapshots = yield* SnapshotStream.make({
        initial: 0,
        step: (total: number, n: number) => [total + n, total + n] as const,
        capacity: 64,
        strategy: "latest"
      })
      yield* snapshots.sendAll(Array.from({ length: 10 }, () => 1))
      yield* settle // the worker handles all ten before anyone reads
      yield* snapshots.sendAll([1, 1])
      yield* snapshots.close
      const out = Chunk.toReadonlyArray(yield* Stream.runCollect(snapshots.stream))
      assert.deepStrictEqual(out, [{ snapshot: 12, skipped: 11 }])
    })))

  it.effect("nothing is skipped when the consumer keeps up, and skipped + emitted = produced", () =>
    Effect.scoped(Effect.gen(function*() {
      const snapshots = yield* SnapshotStream.make({
        initial: 0,
        step: (total: number, n: number) => [total + n, total + n] as const,
        capacity: 4,
        strategy: "latest"
      })
      const received: Array<SnapshotStream.Conflated<number>> = []
      const consumer = yield* Effect.fork(
        Stream.runForEach(snapshots.stream, (c) => Effect.sync(() => received.push(c)))
      )
      for (let i = 1; i <= 5; i++) {
        yield* snapshots.send(1)
        yield* settle
      }
      // A burst the consumer cannot follow.
      yield* snapshots.sendAll([1, 1, 1, 1])
      yield* snapshots.close
      yield* Fiber.join(consumer)
      assert.deepStrictEqual(received.slice(0, 5), [1, 2, 3, 4, 5].map((snapshot) => ({ snapshot, skipped: 0 })))
      assert.strictEqual(received[received.length - 1]!.snapshot, 9)
      assert.strictEqual(received.reduce((n, c) => n + 1 + c.skipped, 0), 9)
    })))

  it.effect("latest: a failing step still fails the stream", () =>
    Effect.scoped(Effect.gen(function*() {
      const snapshots = yield* SnapshotStream.make({
        initial: 0,
        step: (_: number, n: number) =>
          n < 0 ? Effect.fail(new StepFailed({ event: n })) : Effect.succeed([n, n] as const),
        capacity: 4,
        strategy: "latest"
      })
      yield* snapshots.sendAll([1, -1])
      const exit = yield* Effect.exit(Stream.runCollect(snapshots.stream))
      assert.deepStrictEqual(exit, Exit.fail(new StepFailed({ event: -1 })))
    })))
})

describe("SnapshotStream ownership", () => {
  // The worker keeps one 8-byte buffer and overwrites it for every event, as a parser reusing
  // its scratch space would. Event k fills the buffer with byte k.
  const reusedBuffer = (copy: boolean) =>
    SnapshotStream.make({
      initial: new Uint8Array(8),
      step: (buffer: Uint8Array, k: number) => {
        buffer.fill(k)
        const view = Bytes.fromUint8Array(buffer)
        return [buffer, copy ? Bytes.copy(view) : view] as const
      },
      capacity: 16,
      strategy: "suspend"
    })

  it.effect("snapshots copied out of the reused buffer never change afterwards", () =>
    Effect.scoped(Effect.gen(function*() {
      const snapshots = yield* reusedBuffer(true)
      const seen: Array<Bytes.Bytes> = []
      const firstSeen: Array<string> = []
      const consumer = yield* Effect.fork(Stream.runForEach(snapshots.stream, (bytes) =>
        Effect.sync(() => {
          seen.push(bytes)
          firstSeen.push(Bytes.toHex(bytes))
        })))
      for (let k = 1; k <= 20; k++) {
        yield* snapshots.send(k)
        yield* settle // the worker reuses its buffer after each snapshot was read
      }
      yield* snapshots.close
      yield* Fiber.join(consumer)
      assert.strictEqual(seen.length, 20)
      seen.forEach((bytes, i) => {
        assert.strictEqual(Bytes.toHex(bytes), firstSeen[i])
        assert.strictEqual(Bytes.toHex(bytes), (i + 1).toString(16).padStart(2, "0").repeat(8))
      })
    })))

  it.effect("control: without the copy, emitted snapshots would change under the consumer", () =>
    Effect.scoped(Effect.gen(function*() {
      const snapshots = yield* reusedBuffer(false)
      yield* snapshots.sendAll([1, 2, 3])
      yield* snapshots.close
      const out = Chunk.toReadonlyArray(yield* Stream.runCollect(snapshots.stream))
      // Every view shows the last write: this is what the copy above prevents.
      assert.deepStrictEqual(out.map(Bytes.toHex), ["0303030303030303", "0303030303030303", "0303030303030303"])
    })))
})
