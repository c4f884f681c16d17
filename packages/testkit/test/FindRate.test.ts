/**
 * `pnpm stress` only: how many runs each strategy needs to find each known bug, over 40 seeds
 * (runs to find: median / mean / max; "missed" if not within 2000 runs). Printed, not asserted:
 * the CI tests assert the budgets.
 */
import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Interleavings, Strategy } from "../src/index.js"
import { arenaBeforeFix, checkThenTake, racyCounter } from "./fixtures/programs.js"

const strategies = {
  "random (preemption 0.1)": Strategy.random(),
  "random (order only)": Strategy.random({ preemption: 0 }),
  "pct (depth 2)": Strategy.pct({ depth: 2 }),
  "pct (depth 3)": Strategy.pct({ depth: 3 })
}

const bugs = { "arena before 26a0645": arenaBeforeFix, "lost update": racyCounter, "check-then-take": checkThenTake }

describe.runIf(process.env.WEFT_STRESS === "1")("runs to find each known bug", () => {
  it.effect("per strategy, over 40 seeds", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      for (const [bug, program] of Object.entries(bugs)) {
        for (const [name, strategy] of Object.entries(strategies)) {
          const found: Array<number> = []
          for (let seed = 1; seed <= 40; seed++) {
            const result = yield* Effect.either(
              Interleavings.check(program, { runs: 2000, seed, strategy, shrinkRuns: 0 })
            )
            if (result._tag === "Left" && result.left._tag === "InterleavingFailure") found.push(result.left.run)
          }
          found.sort((a, b) => a - b)
          const mean = found.reduce((a, b) => a + b, 0) / Math.max(1, found.length)
          lines.push(
            found.length === 0
              ? `${bug} | ${name} | missed in all 40 seeds (2000 runs each)`
              : `${bug} | ${name} | found ${found.length}/40 | median ${found[found.length >> 1]}, mean ${
                mean.toFixed(1)
              }, max ${found.at(-1)}`
          )
        }
      }
      process.stdout.write(`testkit runs to find:\n${lines.join("\n")}\n`)
    }), 600_000)
})
