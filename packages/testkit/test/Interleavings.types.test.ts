import { describe, expectTypeOf, it } from "@effect/vitest"
import type { Effect } from "effect"
import { Interleavings, Strategy } from "../src/index.js"

declare const program: Effect.Effect<number, "invariant", "Service">

describe("Interleavings types", () => {
  it("check keeps the program's requirements and fails only with its own errors", () => {
    expectTypeOf(Interleavings.check(program)).toEqualTypeOf<
      Effect.Effect<
        Interleavings.CheckReport,
        Interleavings.InterleavingFailure | Interleavings.InvalidExplorationOption,
        "Service"
      >
    >()
    expectTypeOf(program.pipe(Interleavings.check({ runs: 10 }))).toEqualTypeOf(Interleavings.check(program))
  })

  it("replay returns the program's result and adds the ways a replay can end", () => {
    expectTypeOf(Interleavings.replay(program, { seed: 1, strategy: Strategy.pct() })).toEqualTypeOf<
      Effect.Effect<
        number,
        | "invariant"
        | Interleavings.Deadlock
        | Interleavings.StepLimitExceeded
        | Interleavings.InvalidExplorationOption,
        "Service"
      >
    >()
    expectTypeOf(program.pipe(Interleavings.replay({ decisions: [] }))).toEqualTypeOf(
      Interleavings.replay(program, { decisions: [] })
    )
  })

  it("an InterleavingFailure is an interleaving to replay", () => {
    expectTypeOf<Interleavings.InterleavingFailure>().toMatchTypeOf<Interleavings.Interleaving>()
  })

  it("mayInterrupt keeps the effect's type", () => {
    expectTypeOf(Interleavings.mayInterrupt(program)).toEqualTypeOf(program)
  })

  it("rejects what is not an interleaving or a strategy", () => {
    // @ts-expect-error: a seed alone does not say which strategy it belongs to
    Interleavings.replay(program, { seed: 1 })
    // @ts-expect-error: strategies are built by Strategy.random / Strategy.pct
    Interleavings.check(program, { strategy: "random" })
    // @ts-expect-error: decisions are data, not numbers
    Interleavings.replay(program, { decisions: [1, 2] })
  })
})
