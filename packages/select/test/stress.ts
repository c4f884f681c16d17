/**
 * `pnpm stress`: runs randomized conservation scenarios (25 times the property test's size,
 * consumers interrupted at random points; every fourth one over a channel, a Mailbox, a Stream and
 * a timer) until 10^6 messages have gone through selects, then prints how many messages were lost
 * or duplicated. Exits non-zero unless both are 0.
 */
import { Effect } from "effect"
import { randomScenario, run, runMixed } from "./conservation.js"

const target = Number(process.env.STRESS_MESSAGES ?? 1_000_000)
const firstSeed = Number(process.env.STRESS_SEED ?? Date.now() % 1_000_000)

const program = Effect.gen(function*() {
  let messages = 0
  let scenarios = 0
  let lost = 0
  let duplicated = 0
  let left = 0
  const failing: Array<number> = []
  const started = Date.now()
  while (messages < target) {
    const seed = firstSeed + scenarios
    // Every fourth scenario mixes a channel, a Mailbox, a Stream and a timer in one select.
    const outcome = yield* (scenarios % 4 === 3 ? runMixed : run)(randomScenario(seed, 25))
    scenarios++
    messages += outcome.sent
    left += outcome.leftInChannels
    lost += outcome.lost
    duplicated += outcome.duplicated
    if ((outcome.lost > 0 || outcome.duplicated > 0) && failing.length < 10) failing.push(seed)
    if (scenarios % 1000 === 0) {
      yield* Effect.sync(() => process.stdout.write(`  ${messages} messages, ${scenarios} scenarios\n`))
    }
  }
  return { messages, scenarios, lost, duplicated, left, failing, seconds: (Date.now() - started) / 1000 }
})

const result = await Effect.runPromise(program)
console.log(
  `stress: ${result.messages} messages in ${result.scenarios} scenarios (first seed ${firstSeed}), `
    + `${result.seconds.toFixed(1)} s; still in channels at the end: ${result.left}`
)
console.log(`lost: ${result.lost}`)
console.log(`duplicated: ${result.duplicated}`)
if (result.lost !== 0 || result.duplicated !== 0) {
  console.log(`failing seeds: ${result.failing.join(", ")}`)
  process.exit(1)
}
