import { assert, describe, it } from "@effect/vitest"
import { Arena } from "@weft/arena"
import { Effect, Exit } from "effect"
import { Interleavings, Strategy } from "../src/index.js"
import { runs } from "./budget.js"
import { arenaBeforeFix, grantVersusInterrupt } from "./fixtures/programs.js"

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
      yield* Interleavings.replay(arenaBeforeFix, { decisions: [] })
      const failure = yield* Effect.flip(Interleavings.check(arenaBeforeFix, { runs: 200, seed: 1 }))
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag !== "InterleavingFailure") return
      assert.strictEqual(failure.reason, "failed")
      assert.include(failure.message, "an interrupted alloc kept its slot")
      assert.isAbove(failure.run, 0)
      const replayed = yield* Effect.exit(Interleavings.replay(arenaBeforeFix, failure))
      assert.isTrue(Exit.isFailure(replayed))
    }))

  it.effect("PCT finds it too", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.flip(
        Interleavings.check(arenaBeforeFix, { runs: 1000, seed: 1, strategy: Strategy.pct({ depth: 2 }) })
      )
      assert.strictEqual(failure._tag, "InterleavingFailure")
    }))

  it.effect("today's arena passes the same exploration", () =>
    Effect.gen(function*() {
      yield* Interleavings.check(today, { runs: runs(300) })
      yield* Interleavings.check(today, { runs: runs(200), strategy: Strategy.pct({ depth: 2 }) })
    }))
})
