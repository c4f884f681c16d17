import { describe, expect, it } from "@effect/vitest"
import { Actor, ActorSystem } from "@weft/actor"
import { Bytes } from "@weft/bytes"
import { Effect, Queue, TestClock } from "effect"
import { followTotals, idleTotalsInterval, makeCompressState } from "../src/workers/Compress.js"
import { CompressBatch, type CompressTotals, noTotals, type Totals } from "../src/workers/Compressor.js"

/**
 * A compressor (the `Compressor` protocol, on this thread) whose every job waits until the test
 * lets it finish, so the test decides whether a totals ask is queued behind a job.
 */
const gatedCompressor = (finishOne: Queue.Queue<void>) =>
  Actor.behavior<CompressBatch | CompressTotals>()({
    initialState: noTotals,
    handlers: {
      CompressBatch: ({ frames }, totals: Totals) =>
        Effect.as(Queue.take(finishOne), { ...totals, jobs: totals.jobs + 1, frames: totals.frames + frames }),
      CompressTotals: (_, totals) => Effect.succeed(Actor.reply(totals, totals))
    }
  })

const job = (frames: number) => new CompressBatch({ records: Bytes.fromUint8Array(new Uint8Array(4)), frames })

/** Lets every fiber that can run, run (no clock time passes). */
const settle = Effect.repeatN(Effect.yieldNow(), 50)

describe("the compress plugin's worker totals", () => {
  it.scoped("while jobs finish, the totals are asked for again at once, not after the idle interval", () =>
    Effect.gen(function*() {
      const finishOne = yield* Queue.unbounded<void>()
      const ref = yield* Actor.spawn(gatedCompressor(finishOne))
      const state = makeCompressState(1)
      state.workers.push({ id: 0, ref, totals: noTotals })
      yield* Effect.forkScoped(followTotals(state))
      yield* settle
      // Idle: the first ask found nothing new and waits out the idle interval.
      yield* Actor.tell(ref, job(10))
      yield* TestClock.adjust(idleTotalsInterval)
      yield* settle
      // That ask is queued behind job 1; job 2 arrives behind the ask.
      yield* Actor.tell(ref, job(20))
      yield* Queue.offer(finishOne, undefined)
      yield* settle
      expect(state.workers[0]!.totals).toMatchObject({ jobs: 1, frames: 10 })
      // Job 1 changed the totals, so the next ask went out at once, behind job 2: finishing job 2
      // shows up with no clock time passing.
      yield* Queue.offer(finishOne, undefined)
      yield* settle
      expect(state.workers[0]!.totals).toMatchObject({ jobs: 2, frames: 30 })
    }).pipe(Effect.provide(ActorSystem.layer())))

  it.scoped("once nothing changes, a worker is asked once per idle interval", () =>
    Effect.gen(function*() {
      let asks = 0
      const counting = Actor.behavior<CompressBatch | CompressTotals>()({
        initialState: noTotals,
        handlers: {
          CompressBatch: (_, totals: Totals) => Effect.succeed(totals),
          CompressTotals: (_, totals) => Effect.sync(() => Actor.reply(totals, (asks++, totals)))
        }
      })
      const state = makeCompressState(1)
      state.workers.push({ id: 0, ref: yield* Actor.spawn(counting), totals: noTotals })
      yield* Effect.forkScoped(followTotals(state))
      yield* settle
      expect(asks).toBe(1)
      for (let interval = 1; interval <= 3; interval++) {
        yield* TestClock.adjust(idleTotalsInterval)
        yield* settle
        expect(asks).toBe(1 + interval)
      }
    }).pipe(Effect.provide(ActorSystem.layer())))
})
