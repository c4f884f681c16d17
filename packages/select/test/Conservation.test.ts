import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck } from "effect"
import { randomScenario, run, runMixed } from "./conservation.js"

describe("conservation of messages", () => {
  it.effect(
    "random producers, selects over 2–5 channels and random interrupts: nothing lost, nothing duplicated",
    () =>
      Effect.gen(function*() {
        const seeds = FastCheck.sample(FastCheck.integer({ min: 0, max: 2 ** 31 - 1 }), {
          numRuns: 10_000,
          seed: 20261123
        })
        let sent = 0
        let left = 0
        for (const seed of seeds) {
          const scenario = randomScenario(seed)
          const outcome = yield* run(scenario)
          if (outcome.lost !== 0 || outcome.duplicated !== 0) {
            assert.fail(`scenario ${JSON.stringify(scenario)}: ${JSON.stringify(outcome)}`)
          }
          assert.strictEqual(outcome.received + outcome.leftInChannels, outcome.sent)
          sent += outcome.sent
          left += outcome.leftInChannels
        }
        assert.isAbove(sent, 10_000)
        // The scenarios must really leave messages behind in interrupted runs, or they test little.
        assert.isAbove(left, 0)
      }),
    60_000
  )

  it.effect(
    "a channel, a Mailbox and a Stream in one select, with random interrupts: nothing lost, nothing duplicated",
    () =>
      Effect.gen(function*() {
        const seeds = FastCheck.sample(FastCheck.integer({ min: 0, max: 2 ** 31 - 1 }), { numRuns: 1_000, seed: 7 })
        for (const seed of seeds) {
          const scenario = randomScenario(seed)
          const outcome = yield* runMixed(scenario)
          if (outcome.lost !== 0 || outcome.duplicated !== 0) {
            assert.fail(`mixed scenario ${JSON.stringify(scenario)}: ${JSON.stringify(outcome)}`)
          }
          assert.strictEqual(outcome.received + outcome.leftInChannels, outcome.sent)
        }
      }),
    60_000
  )
})
