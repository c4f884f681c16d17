import { assert, describe, it } from "@effect/vitest"
import { Arena } from "@weft/arena"
import { Effect, Exit, Fiber } from "effect"
import { Interleavings, Strategy } from "../src/index.js"
import { runs } from "./budget.js"
import { ArenaBeforeFix } from "./fixtures/arenaBeforeFix.js"

/** The slice of an arena the scenario uses. */
interface Slots<Ref> {
  readonly alloc: Effect.Effect<Ref, unknown>
  readonly release: (ref: Ref) => Effect.Effect<void, unknown>
  readonly live: Effect.Effect<number>
}

/**
 * Grant vs interrupt: a full arena of one slot, a waiting allocation, and — concurrently — a
 * release that grants it the slot and an interrupt of the waiter. Whichever wins, the slot is the
 * waiter's result or free again: never live with nobody holding it.
 */
const grantVersusInterrupt = <Ref>(slots: Slots<Ref>) =>
  Effect.gen(function*() {
    const held = yield* slots.alloc
    const waiter = yield* Effect.fork(slots.alloc)
    const releaser = yield* Effect.fork(slots.release(held))
    const interrupter = yield* Effect.fork(Fiber.interrupt(waiter))
    yield* Fiber.join(releaser)
    yield* Fiber.join(interrupter)
    const exit = yield* Fiber.await(waiter)
    const owned = Exit.isSuccess(exit) ? 1 : 0
    const live = yield* slots.live
    if (live !== owned) {
      return yield* Effect.dieMessage(`${live} slot(s) live but ${owned} held: an interrupted alloc kept its slot`)
    }
  })

const beforeFix = Effect.suspend(() => {
  const arena = new ArenaBeforeFix(1)
  return grantVersusInterrupt({
    alloc: arena.alloc(),
    release: (ref) => arena.release(ref),
    live: Effect.sync(() => arena.live)
  })
})

const today = Effect.scoped(Effect.gen(function*() {
  const arena = yield* Arena.make<string>({ capacity: 1 })
  yield* grantVersusInterrupt({
    alloc: arena.alloc("payload"),
    release: (ref) => arena.release(ref),
    live: Effect.map(arena.stats, (stats) => stats.live)
  })
}))

describe("arena: grant vs interrupt", () => {
  it.effect("finds the interrupted-alloc-keeps-its-slot defect in the pre-26a0645 protocol", () =>
    Effect.gen(function*() {
      // Effect's default scheduler never shows it: the unforced run passes.
      yield* Interleavings.replay(beforeFix, { decisions: [] })
      const failure = yield* Effect.flip(Interleavings.check(beforeFix, { runs: 200, seed: 1 }))
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag !== "InterleavingFailure") return
      assert.strictEqual(failure.reason, "failed")
      assert.include(failure.message, "an interrupted alloc kept its slot")
      assert.isAbove(failure.run, 0)
      const replayed = yield* Effect.exit(Interleavings.replay(beforeFix, failure))
      assert.isTrue(Exit.isFailure(replayed))
    }))

  it.effect("PCT finds it too", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.flip(
        Interleavings.check(beforeFix, { runs: 1000, seed: 1, strategy: Strategy.pct({ depth: 2 }) })
      )
      assert.strictEqual(failure._tag, "InterleavingFailure")
    }))

  it.effect("today's arena passes the same exploration", () =>
    Effect.gen(function*() {
      yield* Interleavings.check(today, { runs: runs(300) })
      yield* Interleavings.check(today, { runs: runs(200), strategy: Strategy.pct({ depth: 2 }) })
    }))
})
