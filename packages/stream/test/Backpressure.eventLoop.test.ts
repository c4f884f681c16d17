import { assert, describe, it } from "@effect/vitest"
import { Backpressure } from "@weft/stream"
import { Cause, Data, Effect, Exit, Fiber, Stream } from "effect"

class Starved extends Data.TaggedError("Starved")<{ readonly elapsedMillis: number }> {}

// Real time, bounded: synchronous work that still runs this long after the timer was due means
// the timer never got its turn.
const starvedAfterMillis = 3_000

/**
 * Runs `stream` (infinite, synchronous) and interrupts it from a real `setTimeout` due after
 * 5 ms. Returns how late the timer fired, and how the stream ended.
 */
const interruptFromTimer = <E>(stream: (guard: () => Starved | undefined) => Stream.Stream<unknown, E>) =>
  Effect.gen(function*() {
    const started = performance.now()
    const guard = () => {
      const elapsedMillis = performance.now() - started
      return elapsedMillis > starvedAfterMillis ? new Starved({ elapsedMillis }) : undefined
    }
    const fiber = yield* Effect.fork(Stream.runDrain(stream(guard)))
    let lateByMillis: number | undefined = undefined
    const due = performance.now() + 5
    const timer = setTimeout(() => {
      lateByMillis = performance.now() - due
      fiber.unsafeInterruptAsFork(fiber.id())
    }, 5)
    const exit = yield* Fiber.await(fiber)
    clearTimeout(timer)
    return { exit, lateByMillis }
  })

// Infinite, in chunks of 4096: workers get whole batches to run inline.
const naturals = Stream.range(0, Number.MAX_SAFE_INTEGER)

// Synchronous element work, checking the clock once every 4096 calls.
const syncWork = (guard: () => Starved | undefined) => {
  let calls = 0
  return (n: number): Effect.Effect<number, Starved> => {
    const starved = ++calls % 4096 === 0 ? guard() : undefined
    return starved === undefined ? Effect.succeed(n + 1) : Effect.fail(starved)
  }
}

describe("Backpressure: synchronous work yields to the event loop", () => {
  for (
    const [name, run] of [
      [
        "mapConcurrent",
        (guard: () => Starved | undefined) => naturals.pipe(Backpressure.mapConcurrent(4, syncWork(guard)))
      ],
      [
        "mapConcurrentUnordered",
        (guard: () => Starved | undefined) => naturals.pipe(Backpressure.mapConcurrentUnordered(4, syncWork(guard)))
      ],
      [
        "forEachConcurrent",
        (guard: () => Starved | undefined) =>
          Stream.fromEffect(naturals.pipe(Backpressure.forEachConcurrent(4, syncWork(guard))))
      ],
      ["mapConcurrent with Effect.suspend", (guard: () => Starved | undefined) => {
        const work = syncWork(guard)
        return naturals.pipe(Backpressure.mapConcurrent(4, (n: number) => Effect.suspend(() => work(n))))
      }]
    ] as const
  ) {
    it.live(
      `${name}: a setTimeout fires, and its interrupt arrives, during an infinite synchronous run`,
      () =>
        Effect.gen(function*() {
          const { exit, lateByMillis } = yield* interruptFromTimer(run)
          assert.isTrue(Exit.isInterrupted(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "completed")
          assert.isDefined(lateByMillis)
          // The budget is 10 ms of work between yields; the bound leaves room for a loaded machine
          // (before the budget, the timer waited for the guard: 3 s, or forever without it).
          assert.isBelow(lateByMillis!, 1_000)
        }),
      { timeout: 10_000 }
    )
  }
})
