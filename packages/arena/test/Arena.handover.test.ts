import { assert, describe, it } from "@effect/vitest"
import { Arena } from "@weft/arena"
import type { Fiber as F } from "effect"
import { Effect, Exit, Fiber, Scheduler } from "effect"

/**
 * A scheduler that defers every task to the macrotask queue and makes one chosen fiber yield once,
 * at its `steps`-th step after `arm`. Effect's default scheduler yields every 2048 steps and resets
 * its count when a fiber resumes, so a resumed waiter runs the last steps of `alloc` without ever
 * yielding; this one can stop it at each of those steps in turn.
 */
const armedScheduler = () => {
  let target: F.RuntimeFiber<unknown, unknown> | undefined
  let remaining = 0
  const scheduler = Scheduler.make(
    (task) => setImmediate(task),
    (fiber) => {
      if (fiber !== target || --remaining > 0) return false
      target = undefined
      return 0
    }
  )
  const arm = (fiber: F.RuntimeFiber<unknown, unknown>, steps: number) =>
    Effect.sync(() => {
      target = fiber
      remaining = steps
    })
  return { scheduler, arm }
}

const untilWaiting = <A>(arena: Arena.Arena<A>, n: number) =>
  Effect.gen(function*() {
    while ((yield* arena.stats).waiting !== n) yield* Effect.yieldNow()
  })

/**
 * A full arena, one waiting allocation; a release grants it the slot, the waiter is stopped at its
 * `steps`-th step after resuming and interrupted there. Whatever the step, the slot is either the
 * waiter's result or free again.
 */
const grantThenInterrupt = (
  steps: number,
  allocate: (arena: Arena.Arena<string>) => Effect.Effect<unknown, unknown>,
  expectedLive: (value: unknown) => number
) =>
  Effect.scoped(Effect.gen(function*() {
    const { arm, scheduler } = armedScheduler()
    yield* Effect.withScheduler(
      Effect.gen(function*() {
        const arena = yield* Arena.make<string>({ capacity: 2 })
        const holders = yield* Arena.allocUpTo(arena, ["a", "b"])
        const waiter = yield* Effect.fork(allocate(arena))
        yield* untilWaiting(arena, 1)
        yield* arm(waiter, steps)
        yield* Arena.releaseAll(arena, holders)
        yield* Effect.yieldNow()
        const exit = yield* Fiber.interrupt(waiter)
        const live = (yield* arena.stats).live
        assert.strictEqual(
          live,
          Exit.isSuccess(exit) ? expectedLive(exit.value) : 0,
          `stopped at step ${steps}: ${Exit.isSuccess(exit) ? "succeeded" : "interrupted"} with ${live} live`
        )
      }),
      scheduler
    )
  }))

/** An arena with room: the allocation stores at once and is stopped and interrupted at `steps`. */
const storeThenInterrupt = (
  steps: number,
  allocate: (arena: Arena.Arena<string>) => Effect.Effect<unknown, unknown>,
  expectedLive: (value: unknown) => number
) =>
  Effect.scoped(Effect.gen(function*() {
    const { arm, scheduler } = armedScheduler()
    yield* Effect.withScheduler(
      Effect.gen(function*() {
        const arena = yield* Arena.make<string>({ capacity: 2 })
        const fiber = yield* Effect.fork(allocate(arena))
        yield* arm(fiber, steps)
        yield* Effect.yieldNow()
        const exit = yield* Fiber.interrupt(fiber)
        const live = (yield* arena.stats).live
        assert.strictEqual(
          live,
          Exit.isSuccess(exit) ? expectedLive(exit.value) : 0,
          `stopped at step ${steps}: ${Exit.isSuccess(exit) ? "succeeded" : "interrupted"} with ${live} live`
        )
      }),
      scheduler
    )
  }))

const stepsToTry = Array.from({ length: 30 }, (_, i) => i + 1)

describe("Arena: an allocation with room is the caller's result in the step that stores it", () => {
  it.effect("alloc, tryAlloc and allocUpTo", () =>
    Effect.forEach(stepsToTry, (steps) =>
      Effect.all([
        storeThenInterrupt(steps, (arena) => Arena.alloc(arena, "v"), () => 1),
        storeThenInterrupt(steps, (arena) => Arena.tryAlloc(arena, "v"), () => 1),
        storeThenInterrupt(
          steps,
          (arena) => Arena.allocUpTo(arena, ["v", "w"]),
          (refs) => (refs as ReadonlyArray<unknown>).length
        )
      ]), { discard: true }))
})

describe("Arena: a granted slot reaches the waiter or is freed, at whatever step the interrupt lands", () => {
  it.effect("alloc", () =>
    Effect.forEach(stepsToTry, (steps) => grantThenInterrupt(steps, (arena) => Arena.alloc(arena, "w"), () => 1), {
      discard: true
    }))

  it.effect("allocUpTo", () =>
    Effect.forEach(
      stepsToTry,
      (steps) =>
        grantThenInterrupt(
          steps,
          (arena) => Arena.allocUpTo(arena, ["w", "x"]),
          (refs) => (refs as ReadonlyArray<unknown>).length
        ),
      { discard: true }
    ))

  it.effect("allocScoped in its own scope: the scope releases what the waiter took", () =>
    Effect.forEach(
      stepsToTry,
      (steps) => grantThenInterrupt(steps, (arena) => Effect.scoped(Arena.allocScoped(arena, "w")), () => 0),
      { discard: true }
    ))
})
