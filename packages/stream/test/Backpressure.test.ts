import { assert, describe, it } from "@effect/vitest"
import { Backpressure } from "@weft/stream"
import type { Duration } from "effect"
import {
  Chunk,
  Deferred,
  Effect,
  Exit,
  FastCheck as fc,
  Fiber,
  Option,
  Ref,
  Stream,
  Supervisor,
  TestClock
} from "effect"

// Counts calls in flight and the maximum ever seen, measured inside `f`.
const inFlightMeter = () => {
  const meter = { current: 0, max: 0, started: 0, interrupted: 0, finished: 0 }
  const measure = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      meter.started++
      meter.current++
      meter.max = Math.max(meter.max, meter.current)
      return effect.pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            meter.current--
            if (Exit.isInterrupted(exit)) meter.interrupted++
            else meter.finished++
          })
        )
      )
    })
  return { meter, measure }
}

// Runs `effect` under a supervisor that tracks every fiber it forks; returns its exit and the
// fibers still alive afterwards.
const supervised = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const supervisor = yield* Supervisor.track
    const exit = yield* Effect.exit(Effect.supervised(effect, supervisor))
    const alive = (yield* supervisor.value).filter((fiber) => fiber.unsafePoll() === null)
    return { exit, alive }
  })

describe("Backpressure.mapConcurrent", () => {
  it.effect.prop(
    "keeps the upstream's order and never runs more than n at once, whatever the latencies",
    {
      latencies: fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 }),
      concurrency: fc.integer({ min: 1, max: 8 }),
      bufferSize: fc.integer({ min: 1, max: 16 }),
      chunkSize: fc.integer({ min: 1, max: 10 })
    },
    ({ bufferSize, chunkSize, concurrency, latencies }) =>
      Effect.gen(function*() {
        const { measure, meter } = inFlightMeter()
        const fiber = yield* Stream.fromIterable(latencies.map((latency, index) => ({ latency, index }))).pipe(
          Stream.rechunk(chunkSize),
          Backpressure.mapConcurrent(
            concurrency,
            ({ index, latency }) => measure(Effect.as(Effect.sleep(latency), index * 10)),
            { bufferSize }
          ),
          Stream.runCollect,
          Effect.fork
        )
        yield* TestClock.adjust(latencies.reduce((a, b) => a + b, 1))
        const out = yield* Fiber.join(fiber)
        assert.deepStrictEqual(Chunk.toReadonlyArray(out), latencies.map((_, index) => index * 10))
        assert.isAtMost(meter.max, concurrency)
        assert.strictEqual(meter.started, latencies.length)
        assert.strictEqual(meter.interrupted, 0)
      }),
    { fastCheck: { numRuns: 60 } }
  )

  it.effect("uses all n workers when the work allows it, and never more", () =>
    Effect.gen(function*() {
      const { measure, meter } = inFlightMeter()
      const fiber = yield* Stream.range(1, 100).pipe(
        Backpressure.mapConcurrent(5, (n) => measure(Effect.as(Effect.sleep("10 millis"), n))),
        Stream.runCollect,
        Effect.fork
      )
      yield* TestClock.adjust("1 second")
      const out = yield* Fiber.join(fiber)
      assert.strictEqual(out.length, 100)
      assert.strictEqual(meter.max, 5)
    }))

  it.effect("the first failure interrupts in-flight work, fails the stream and leaks no fiber", () =>
    Effect.gen(function*() {
      const { measure, meter } = inFlightMeter()
      const program = Stream.range(1, 1000).pipe(
        Backpressure.mapConcurrent(
          4,
          (n) =>
            measure(
              n === 3 ? Effect.zipRight(Effect.sleep("5 millis"), Effect.fail(`boom ${n}` as const)) : Effect.as(
                Effect.sleep("1 hour"),
                n
              )
            )
        ),
        Stream.runCollect
      )
      const fiber = yield* Effect.fork(supervised(program))
      yield* TestClock.adjust("10 millis")
      const { alive, exit } = yield* Fiber.join(fiber)
      assert.deepStrictEqual(exit, Exit.fail("boom 3" as const))
      assert.strictEqual(meter.current, 0)
      assert.strictEqual(meter.interrupted, 3) // the three other in-flight calls
      assert.strictEqual(meter.started, 4) // nothing started after the failure
      assert.strictEqual(alive.length, 0)
    }))

  it.effect("a defect in f becomes the stream's defect", () =>
    Effect.gen(function*() {
      const exit = yield* Stream.range(1, 10).pipe(
        Backpressure.mapConcurrent(2, (n) => n === 4 ? Effect.die("bad") : Effect.succeed(n)),
        Stream.runDrain,
        Effect.exit
      )
      assert.deepStrictEqual(exit, Exit.die("bad"))
    }))

  it.effect("interrupting the consumer interrupts every worker and the producer", () =>
    Effect.gen(function*() {
      const { measure, meter } = inFlightMeter()
      const upstreamEnded = yield* Ref.make(false)
      const program = Stream.iterate(0, (n) => n + 1).pipe(
        Stream.ensuring(Ref.set(upstreamEnded, true)),
        Backpressure.mapConcurrent(3, (n) => measure(Effect.as(Effect.sleep("1 second"), n))),
        Stream.runDrain
      )
      const fiber = yield* Effect.fork(supervised(
        Effect.fork(program).pipe(
          Effect.tap(() => TestClock.adjust("2500 millis")),
          Effect.flatMap(Fiber.interrupt)
        )
      ))
      const { alive } = yield* Fiber.join(fiber)
      assert.strictEqual(meter.current, 0)
      assert.strictEqual(meter.interrupted, 3)
      assert.strictEqual(meter.finished, 6)
      assert.isTrue(yield* Ref.get(upstreamEnded))
      assert.strictEqual(alive.length, 0)
    }))

  it.effect("an upstream failure fails the stream with the upstream's error", () =>
    Effect.gen(function*() {
      const { measure, meter } = inFlightMeter()
      const fiber = yield* Stream.range(1, 3).pipe(
        Stream.concat(Stream.fail("upstream broke" as const)),
        Backpressure.mapConcurrent(2, (n) => measure(Effect.as(Effect.sleep("1 hour"), n))),
        Stream.runCollect,
        Effect.exit,
        Effect.fork
      )
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.join(fiber)
      assert.deepStrictEqual(exit, Exit.fail("upstream broke" as const))
      assert.strictEqual(meter.current, 0)
    }))

  it.effect("memory stays bounded: pulled but not emitted ≤ n + bufferSize with single-element upstream chunks", () =>
    Effect.gen(function*() {
      let pulled = 0
      let emitted = 0
      let worst = 0
      const gate = yield* Deferred.make<void>()
      let stopped = false
      const fiber = yield* Stream.range(1, 10_000).pipe(
        Stream.rechunk(1),
        Stream.tap(() => Effect.sync(() => pulled++)),
        Backpressure.mapConcurrent(4, (n) => Effect.succeed(n), { bufferSize: 8 }),
        // Counted when a chunk is handed downstream: from then on it is the consumer's memory.
        Stream.runForEachChunk((chunk) =>
          Effect.gen(function*() {
            emitted += chunk.length
            worst = Math.max(worst, pulled - emitted)
            if (!stopped && emitted >= 10) {
              stopped = true
              yield* Deferred.await(gate) // a consumer that stops for a while
            }
          })
        ),
        Effect.fork
      )
      yield* Effect.yieldNow().pipe(Effect.repeatN(200))
      // While the consumer is stopped, the producer has stopped too.
      assert.isTrue(stopped)
      const emittedWhileStopped = emitted
      assert.isAtMost(pulled - emitted, 4 + 8)
      yield* Effect.yieldNow().pipe(Effect.repeatN(50))
      assert.strictEqual(emitted, emittedWhileStopped)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fiber)
      assert.strictEqual(emitted, 10_000)
      assert.isAtMost(worst, 4 + 8)
    }))

  it.effect("ending the consumer early (take) stops the work", () =>
    Effect.gen(function*() {
      let calls = 0
      const out = yield* Stream.iterate(1, (n) => n + 1).pipe(
        Backpressure.mapConcurrent(2, (n) => Effect.sync(() => (calls++, n)), { bufferSize: 4 }),
        Stream.take(5),
        Stream.runCollect
      )
      assert.deepStrictEqual(Chunk.toReadonlyArray(out), [1, 2, 3, 4, 5])
      assert.isAtMost(calls, 5 + 2 + 4 + 1)
    }))

  it.effect("data-first and data-last forms agree", () =>
    Effect.gen(function*() {
      const f = (n: number) => Effect.succeed(n + 1)
      const a = yield* Stream.runCollect(Backpressure.mapConcurrent(Stream.range(1, 50), 3, f))
      const b = yield* Stream.runCollect(Stream.range(1, 50).pipe(Backpressure.mapConcurrent(3, f)))
      assert.deepStrictEqual(Chunk.toReadonlyArray(a), Chunk.toReadonlyArray(b))
    }))

  it.effect("an invalid concurrency or bufferSize is a typed InvalidArgument and f never runs", () =>
    Effect.gen(function*() {
      let calls = 0
      const f = (n: number) => Effect.sync(() => (calls++, n))
      const zero = yield* Effect.flip(Stream.runDrain(Backpressure.mapConcurrent(Stream.make(1), 0, f)))
      assert.instanceOf(zero, Backpressure.InvalidArgument)
      assert.strictEqual(zero._tag, "InvalidArgument")
      assert.strictEqual(zero.argument, "concurrency")
      assert.strictEqual(zero.value, 0)
      const fraction = yield* Effect.flip(
        Stream.runDrain(Backpressure.mapConcurrentUnordered(Stream.make(1), 2, f, { bufferSize: 1.5 }))
      )
      assert.strictEqual(fraction.argument, "bufferSize")
      assert.include(fraction.message, "positive integer")
      assert.strictEqual(calls, 0)
    }))

  it.effect("works on a large stream of synchronous effects", () =>
    Effect.gen(function*() {
      const out = yield* Stream.range(0, 99_999).pipe(
        Backpressure.mapConcurrent(8, (n) => Effect.sync(() => n * 2)),
        Stream.runFold(0, (acc, n) => acc + n)
      )
      assert.strictEqual(out, 99_999 * 100_000)
    }))
})

describe("Backpressure.mapConcurrentUnordered", () => {
  it.effect("emits in completion order and loses nothing", () =>
    Effect.gen(function*() {
      const fiber = yield* Stream.make(1, 2, 3, 4).pipe(
        Backpressure.mapConcurrentUnordered(4, (n) => Effect.as(Effect.sleep(`${(5 - n) * 10} millis`), n)),
        Stream.runCollect,
        Effect.fork
      )
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(fiber)), [4, 3, 2, 1])
    }))

  it.effect.prop(
    "emits every result exactly once with at most n in flight",
    {
      latencies: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 60 }),
      concurrency: fc.integer({ min: 1, max: 6 })
    },
    ({ concurrency, latencies }) =>
      Effect.gen(function*() {
        const { measure, meter } = inFlightMeter()
        const fiber = yield* Stream.fromIterable(latencies.map((latency, index) => ({ latency, index }))).pipe(
          Backpressure.mapConcurrentUnordered(
            concurrency,
            ({ index, latency }) => measure(Effect.as(Effect.sleep(latency), index))
          ),
          Stream.runCollect,
          Effect.fork
        )
        yield* TestClock.adjust(latencies.reduce((a, b) => a + b, 1))
        const out = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
        assert.deepStrictEqual([...out].sort((a, b) => a - b), latencies.map((_, index) => index))
        assert.isAtMost(meter.max, concurrency)
      }),
    { fastCheck: { numRuns: 40 } }
  )

  it.effect("the first failure interrupts the others and leaks no fiber", () =>
    Effect.gen(function*() {
      const { measure, meter } = inFlightMeter()
      const program = Stream.range(1, 100).pipe(
        Backpressure.mapConcurrentUnordered(
          3,
          (n) => measure(n === 2 ? Effect.fail("nope" as const) : Effect.as(Effect.sleep("1 hour"), n))
        ),
        Stream.runDrain
      )
      const { alive, exit } = yield* supervised(program)
      assert.deepStrictEqual(exit, Exit.fail("nope" as const))
      assert.strictEqual(meter.current, 0)
      assert.strictEqual(alive.length, 0)
    }))
})

describe("Backpressure.forEachConcurrent", () => {
  it.effect("runs every element with at most n in flight and completes after the last", () =>
    Effect.gen(function*() {
      const { measure, meter } = inFlightMeter()
      const seen = new Set<number>()
      const fiber = yield* Stream.range(1, 40).pipe(
        Backpressure.forEachConcurrent(
          3,
          (n) => measure(Effect.zipRight(Effect.sleep("10 millis"), Effect.sync(() => seen.add(n))))
        ),
        Effect.fork
      )
      yield* TestClock.adjust("100 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber))) // 40 / 3 rounds of 10 ms: not yet
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(seen.size, 40)
      assert.strictEqual(meter.max, 3)
    }))

  it.effect("fails with the first failure after interrupting in-flight calls", () =>
    Effect.gen(function*() {
      const { measure, meter } = inFlightMeter()
      const fiber = yield* Stream.range(1, 100).pipe(
        Backpressure.forEachConcurrent(4, (n) =>
          measure(
            n === 6
              ? Effect.zipRight(Effect.sleep("15 millis"), Effect.fail("bad 6" as const))
              : Effect.sleep("10 millis")
          )),
        supervised,
        Effect.fork
      )
      yield* TestClock.adjust("1 second")
      const { alive, exit } = yield* Fiber.join(fiber)
      assert.deepStrictEqual(exit, Exit.fail("bad 6" as const))
      assert.strictEqual(meter.current, 0)
      assert.isAbove(meter.interrupted, 0)
      assert.isBelow(meter.started, 100)
      assert.strictEqual(alive.length, 0)
    }))

  it.effect("interruption stops the workers and leaks no fiber", () =>
    Effect.gen(function*() {
      const { measure, meter } = inFlightMeter()
      const fiber = yield* Stream.iterate(0, (n) => n + 1).pipe(
        Backpressure.forEachConcurrent(2, () => measure(Effect.sleep("1 second"))),
        Effect.fork
      )
      yield* TestClock.adjust("1500 millis")
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(meter.current, 0)
      assert.strictEqual(meter.finished, 2)
      assert.strictEqual(meter.interrupted, 2)
    }))
})

describe("Backpressure.chunksTimeout", () => {
  it.effect("emits full chunks without waiting for the clock", () =>
    Effect.gen(function*() {
      const out = yield* Stream.range(1, 10).pipe(Backpressure.chunksTimeout(4, "1 hour"), Stream.runCollect)
      assert.deepStrictEqual(Chunk.toReadonlyArray(out).map(Chunk.toReadonlyArray), [[1, 2, 3, 4], [5, 6, 7, 8], [
        9,
        10
      ]])
    }))

  it.effect("emits a partial chunk exactly when the duration has passed since its first element", () =>
    Effect.gen(function*() {
      const received: Array<ReadonlyArray<number>> = []
      const fiber = yield* Stream.make(1, 2, 3).pipe(
        Stream.concat(Stream.fromEffect(Effect.as(Effect.sleep("1 hour"), 4))),
        Backpressure.chunksTimeout(10, "100 millis"),
        Stream.runForEach((chunk) => Effect.sync(() => received.push(Chunk.toReadonlyArray(chunk)))),
        Effect.fork
      )
      yield* TestClock.adjust("99 millis")
      assert.deepStrictEqual(received, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(received, [[1, 2, 3]])
      yield* TestClock.adjust("1 hour")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(received, [[1, 2, 3], [4]])
    }))

  it.effect.prop(
    "never loses, duplicates or reorders an element, and never exceeds the size",
    {
      gaps: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 50 }),
      size: fc.integer({ min: 1, max: 6 }),
      timeout: fc.integer({ min: 1, max: 60 })
    },
    ({ gaps, size, timeout }) =>
      Effect.gen(function*() {
        const fiber = yield* Stream.fromIterable(gaps.map((gap, index) => ({ gap, index }))).pipe(
          Stream.mapEffect(({ gap, index }) => Effect.as(Effect.sleep(gap), index)),
          Backpressure.chunksTimeout(size, timeout),
          Stream.runCollect,
          Effect.fork
        )
        yield* TestClock.adjust(gaps.reduce((a, b) => a + b, 0) + timeout + 1)
        const chunks = Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map(Chunk.toReadonlyArray)
        assert.deepStrictEqual(chunks.flat(), gaps.map((_, index) => index))
        for (const chunk of chunks) {
          assert.isAtLeast(chunk.length, 1)
          assert.isAtMost(chunk.length, size)
        }
      }),
    { fastCheck: { numRuns: 40 } }
  )

  it.effect("an upstream failure is delivered after the elements before it", () =>
    Effect.gen(function*() {
      const exit = yield* Stream.make(1, 2).pipe(
        Stream.concat(Stream.fail("late failure" as const)),
        Backpressure.chunksTimeout(5, "1 second"),
        Stream.runCollect,
        Effect.exit,
        Effect.fork,
        Effect.tap(() => TestClock.adjust("1 second")),
        Effect.flatMap(Fiber.join)
      )
      assert.deepStrictEqual(exit, Exit.fail("late failure" as const))
    }))

  it.effect("a negative, NaN or malformed duration is a typed InvalidArgument, like a bad size", () =>
    Effect.gen(function*() {
      const invalid: ReadonlyArray<Duration.DurationInput> = [
        -1,
        Number.NaN,
        "-5 millis",
        [-1, 0],
        -1n,
        "soon" as Duration.DurationInput
      ]
      for (const duration of invalid) {
        const error = yield* Effect.flip(Stream.runDrain(Backpressure.chunksTimeout(Stream.make(1), 4, duration)))
        assert.strictEqual(error._tag, "InvalidArgument")
        assert.deepInclude(error, { operation: "chunksTimeout", argument: "duration", value: duration })
      }
      // Zero is allowed: every chunk is emitted with what is there.
      const out = yield* Stream.runCollect(Backpressure.chunksTimeout(Stream.make(1, 2), 4, 0))
      assert.deepStrictEqual(Chunk.toReadonlyArray(out).flatMap((chunk) => Chunk.toReadonlyArray(chunk)), [1, 2])
    }))

  it.effect("a size below 1 is a typed InvalidArgument", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Stream.runDrain(Backpressure.chunksTimeout(Stream.make(1), 0, "1 second")))
      assert.strictEqual(error._tag, "InvalidArgument")
      assert.strictEqual(error.argument, "size")
    }))
})

describe("Backpressure.withPermits", () => {
  it.effect("streams sharing a semaphore pull one at a time", () =>
    Effect.gen(function*() {
      const semaphore = yield* Effect.makeSemaphore(1)
      const { measure, meter } = inFlightMeter()
      const gated = (id: number) =>
        Stream.repeatEffect(measure(Effect.as(Effect.sleep("10 millis"), id))).pipe(
          Stream.take(5),
          Backpressure.withPermits(semaphore)
        )
      const fiber = yield* Stream.merge(gated(1), gated(2)).pipe(Stream.runCollect, Effect.fork)
      yield* TestClock.adjust("1 second")
      const out = yield* Fiber.join(fiber)
      assert.strictEqual(out.length, 10)
      assert.strictEqual(meter.max, 1)
      // Without the gate both streams would pull at once.
      const { measure: measureFree, meter: free } = inFlightMeter()
      const ungated = (id: number) =>
        Stream.repeatEffect(measureFree(Effect.as(Effect.sleep("10 millis"), id))).pipe(Stream.take(5))
      const control = yield* Stream.merge(ungated(1), ungated(2)).pipe(Stream.runCollect, Effect.fork)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(control)
      assert.strictEqual(free.max, 2)
    }))

  it.effect("interrupted while waiting for permits, it acquired nothing", () =>
    Effect.gen(function*() {
      const semaphore = yield* Effect.makeSemaphore(2)
      yield* semaphore.take(2)
      const fiber = yield* Stream.make(1, 2, 3).pipe(
        Backpressure.withPermits(semaphore, 2),
        Stream.runDrain,
        Effect.fork
      )
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      yield* semaphore.release(2)
      // Both permits are free again: nothing was taken by the interrupted stream.
      assert.isTrue(yield* semaphore.withPermitsIfAvailable(2)(Effect.succeed(true)).pipe(Effect.map(Option.isSome)))
    }))

  it.effect("interrupted during a pull, it gives its permits back", () =>
    Effect.gen(function*() {
      const semaphore = yield* Effect.makeSemaphore(1)
      const pulling = yield* Deferred.make<void>()
      const fiber = yield* Stream.fromEffect(Effect.zipRight(Deferred.succeed(pulling, undefined), Effect.never)).pipe(
        Backpressure.withPermits(semaphore),
        Stream.runDrain,
        Effect.fork
      )
      yield* Deferred.await(pulling)
      assert.isTrue(Option.isNone(yield* semaphore.withPermitsIfAvailable(1)(Effect.void))) // held by the pull
      yield* Fiber.interrupt(fiber)
      assert.isTrue(Option.isSome(yield* semaphore.withPermitsIfAvailable(1)(Effect.void)))
    }))

  it.effect("a permit count below 1 is a typed InvalidArgument", () =>
    Effect.gen(function*() {
      const semaphore = yield* Effect.makeSemaphore(1)
      const error = yield* Effect.flip(Stream.runDrain(Backpressure.withPermits(Stream.make(1), semaphore, 0)))
      assert.strictEqual(error.argument, "permits")
    }))
})
