/**
 * `pnpm stress`: runs the conservation scenario (random producers, consumers and interrupts) until
 * 10^6 messages were sent, and prints how many were lost, duplicated or reordered. All must be 0.
 * Usage: `tsx test/stress.ts [messages] [seed]`.
 */
import { Effect, FastCheck } from "effect"
import { run, scenario } from "./support/conservation.js"

const target = Number(process.argv[2] ?? 1_000_000)
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31)

const program = Effect.gen(function*() {
  const totals = { scenarios: 0, sent: 0, lost: 0, duplicated: 0, outOfOrder: 0, phantom: 0 }
  const started = Date.now()
  for (let round = 0; totals.sent < target; round++) {
    for (const s of FastCheck.sample(scenario, { seed: seed + round, numRuns: 1000 })) {
      const report = yield* run(s)
      totals.scenarios++
      totals.sent += report.sent
      totals.lost += report.lost
      totals.duplicated += report.duplicated
      totals.outOfOrder += report.outOfOrder
      totals.phantom += report.phantom
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  process.stdout.write(
    `channel stress (seed ${seed}): ${totals.scenarios} scenarios, ${totals.sent} messages sent in ${seconds}s — `
      + `lost ${totals.lost}, duplicated ${totals.duplicated}, out of order ${totals.outOfOrder}, `
      + `phantom ${totals.phantom}\n`
  )
  if (totals.lost + totals.duplicated + totals.outOfOrder + totals.phantom > 0) process.exitCode = 1
})

Effect.runPromise(program)
