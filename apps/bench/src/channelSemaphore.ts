/**
 * @weft/channel's `Semaphore` against Effect's own (`Effect.makeSemaphore`), the way an Effect user
 * bounds concurrency: with many fibers waiting (64 fibers, 2 permits, each holding its permit
 * across a yield), where Effect's semaphore wakes every waiter per release; and with nobody
 * waiting (one fiber), the cost of `withPermit` itself.
 */
import { Semaphore } from "@weft/channel"
import { Effect } from "effect"
import { type Benchmark, benchmark, expect } from "./harness.js"

interface Tally {
  readonly entered: number
  readonly mostAtOnce: number
}

type Guard = (effect: Effect.Effect<void>) => Effect.Effect<void>

/** `fibers` fibers, each entering the guarded region `rounds` times, holding it across one yield. */
const contend = (makeGuard: Effect.Effect<Guard>, fibers: number, rounds: number): Effect.Effect<Tally> =>
  Effect.gen(function*() {
    const guard = yield* makeGuard
    let entered = 0
    let holding = 0
    let mostAtOnce = 0
    const region = guard(Effect.zipRight(
      Effect.sync(() => {
        entered++
        mostAtOnce = Math.max(mostAtOnce, ++holding)
      }),
      Effect.map(Effect.yieldNow(), () => void holding--)
    ))
    yield* Effect.forEach(
      Array.from({ length: fibers }),
      () => Effect.repeatN(region, rounds - 1),
      { concurrency: "unbounded", discard: true }
    )
    return { entered, mostAtOnce }
  })

const weftGuard = (permits: number): Effect.Effect<Guard> =>
  Effect.map(Effect.orDie(Semaphore.make(permits)), (semaphore) => Semaphore.withPermit(semaphore))

const effectGuard = (permits: number): Effect.Effect<Guard> =>
  Effect.map(Effect.makeSemaphore(permits), (semaphore) => semaphore.withPermits(1))

/** The semaphore rows of channel.bench.ts. */
export const semaphoreRows = (quick: boolean): ReadonlyArray<Benchmark<Tally>> => {
  const fibers = 64
  const rounds = quick ? 4 : 200
  const alone = quick ? 1_000 : 200_000
  const checkFor = (total: number, permits: number) => (result: Tally) => {
    expect(result.entered === total, () => `entered ${result.entered} times, expected ${total}`)
    expect(result.mostAtOnce <= permits, () => `${result.mostAtOnce} holders at once of ${permits} permits`)
  }
  const run = (effect: Effect.Effect<Tally>) => () => Effect.runPromise(effect)
  return [
    benchmark<Tally>({
      package: "channel",
      name: `semaphore, ${fibers} fibers contending for 2 permits (each held across a yield)`,
      unit: "permit",
      opsPerRun: fibers * rounds,
      goal: "faster than Effect's own (no goal in an issue)",
      check: checkFor(fibers * rounds, 2),
      contenders: [
        { name: "weft Semaphore.withPermit", role: "weft", run: run(contend(weftGuard(2), fibers, rounds)) },
        { name: "effect Semaphore.withPermits(1)", role: "peer", run: run(contend(effectGuard(2), fibers, rounds)) }
      ]
    }),
    benchmark<Tally>({
      package: "channel",
      name: "semaphore, 1 fiber, nobody waiting",
      unit: "permit",
      opsPerRun: alone,
      goal: "no goal in an issue: what withPermit costs uncontended",
      check: checkFor(alone, 1),
      contenders: [
        { name: "weft Semaphore.withPermit", role: "weft", run: run(contend(weftGuard(1), 1, alone)) },
        { name: "effect Semaphore.withPermits(1)", role: "peer", run: run(contend(effectGuard(1), 1, alone)) }
      ]
    })
  ]
}
