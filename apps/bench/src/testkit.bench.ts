/**
 * @weft/testkit: schedules explored per second by `Interleavings.check` on a small program (two
 * fibers, each updating a shared `Ref` and sending on a channel, joined), against running the same
 * program as many times on Effect's default scheduler — the price of controlling every choice.
 */
import { Mpsc } from "@weft/channel"
import { Interleavings } from "@weft/testkit"
import { Effect, Fiber, Ref } from "effect"
import { benchmark, type BenchmarkFile, expect } from "./harness.js"

const program = Effect.gen(function*() {
  const count = yield* Ref.make(0)
  const [tx, rx] = yield* Mpsc.bounded<number>(1)
  const worker = (n: number) => Effect.zipRight(Ref.update(count, (c) => c + n), Mpsc.send(tx, n))
  const fibers = yield* Effect.all([Effect.fork(worker(1)), Effect.fork(worker(2))])
  const received = (yield* Mpsc.recv(rx)) + (yield* Mpsc.recv(rx))
  yield* Fiber.joinAll(fibers)
  if ((yield* Ref.get(count)) !== 3 || received !== 3) return yield* Effect.dieMessage("wrong totals")
})

interface Explored {
  readonly schedules: number
}

export const benchmarks: BenchmarkFile = ({ quick }) => {
  const runs = quick ? 20 : 2_000
  return [
    benchmark<Explored>({
      package: "testkit",
      name: "2 fibers, a Ref and a bounded(1) channel: schedules explored by check vs plain runs",
      unit: "schedule",
      opsPerRun: runs,
      goal: "informational: the cost of a controlled, recorded schedule over a plain run",
      check: (result) => expect(result.schedules === runs, () => `explored ${result.schedules}, expected ${runs}`),
      contenders: [
        {
          name: "weft Interleavings.check (random, preemption 0.1)",
          role: "weft",
          // `runs` seeded schedules; the unforced run 0 is part of the price.
          run: () =>
            Effect.runPromise(
              Effect.map(Interleavings.check(program, { runs, seed: 1 }), (report) => ({ schedules: report.runs }))
            )
        },
        {
          name: "the same program run on the default scheduler",
          role: "limit",
          run: () => Effect.runPromise(Effect.as(Effect.repeatN(program, runs - 1), { schedules: runs }))
        }
      ]
    })
  ]
}
