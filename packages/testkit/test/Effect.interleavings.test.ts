import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { Interleavings, Strategy } from "../src/index.js"

/**
 * One fiber holds a semaphore's only permit while another, which the explorer may interrupt,
 * waits for it. Effect 3.22's `withPermits` takes the permit in one step and enters the guarded
 * region in the next, inside `restore`: preempted between the two and interrupted there, the
 * second fiber leaves with the permit taken, and the next `withPermits` waits forever.
 */
const permitAfterInterrupt = Effect.gen(function*() {
  const lock = yield* Effect.makeSemaphore(1)
  const holder = yield* Effect.fork(lock.withPermits(1)(Effect.yieldNow()))
  const waiter = yield* Effect.fork(Interleavings.mayInterrupt(lock.withPermits(1)(Effect.void)))
  yield* Fiber.await(holder)
  yield* Fiber.await(waiter)
  yield* lock.withPermits(1)(Effect.void)
})

describe("Effect 3.22 under preemptive schedules", () => {
  it.effect("Semaphore.withPermits keeps a permit when interrupted between taking it and its region", () =>
    Effect.gen(function*() {
      // On the schedules Effect's default scheduler produces (no preemption) it holds…
      yield* Interleavings.check(permitAfterInterrupt, {
        runs: 300,
        seed: 5,
        strategy: Strategy.random({ preemption: 0, interruption: 0.3 })
      })
      // …with a yield between the take and the region, the permit leaks: a deadlock.
      const failure = yield* Effect.flip(
        Interleavings.check(permitAfterInterrupt, {
          runs: 1000,
          seed: 5,
          strategy: Strategy.random({ interruption: 0.2 })
        })
      )
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag !== "InterleavingFailure") return
      assert.strictEqual(failure.reason, "deadlock")
      assert.isTrue(failure.decisions.some((decision) => decision._tag === "Interrupt"))
    }))
})
