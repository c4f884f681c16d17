import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Series from "../../src/dashboard/Series.js"

const latency = (count: number, p50Ms: number, p99Ms: number) => ({
  count,
  p50Ms,
  p99Ms,
  maxMs: p99Ms,
  windowSeconds: 10
})
const arena = { capacity: 100, live: 5, bytes: 0, highWater: 5, waiting: 0 }

const sample = (
  at: number,
  framesIn: number,
  acked: number,
  plugins: Series.Sample["plugins"] = {},
  workers: Series.Sample["workers"] = []
): Series.Sample => ({
  at,
  framesIn,
  acked,
  recentLatency: latency(acked, 1.5, 12),
  arena,
  plugins,
  workers
})

describe("Series", () => {
  it("each worker's jobs per second and queue depth, from its growing job count", () => {
    const series = Series.make()
    const worker = (id: number, jobs: number, mailbox: number) => ({ id, jobs, mailbox, frames: jobs * 100 })
    const first = Series.record(series, sample(1_000, 0, 0, {}, [worker(0, 10, 3)]))
    expect(first.workers).toEqual({ "worker-0": { queued: 3, jobsPerSecond: null } })
    const second = Series.record(series, sample(3_000, 0, 0, {}, [worker(0, 50, 1), worker(1, 4, 0)]))
    expect(second.workers).toEqual({
      "worker-0": { queued: 1, jobsPerSecond: 20 },
      "worker-1": { queued: 0, jobsPerSecond: null }
    })
  })

  it("rates are per second between samples; the first point has none", () => {
    const series = Series.make()
    const first = Series.record(series, sample(10_000, 100, 0, { sink: { mailbox: 2, processed: 50 } }))
    expect(first).toMatchObject({ t: 10_000, framesInPerSecond: null, ackedPerSecond: null, p50Ms: null, p99Ms: null })
    expect(first.plugins).toEqual({ sink: { mailbox: 2, handledPerSecond: null } })
    // Two seconds later (a late sample): the step is wider, the rate still per second.
    const second = Series.record(
      series,
      sample(12_000, 4_100, 3_000, { sink: { mailbox: 0, processed: 3_050 }, chaos: { mailbox: 1, processed: 9 } })
    )
    expect(second).toMatchObject({ framesInPerSecond: 2_000, ackedPerSecond: 1_500, p50Ms: 1.5, p99Ms: 12 })
    // A plugin added since the previous sample has no rate yet.
    expect(second.plugins).toEqual({
      sink: { mailbox: 0, handledPerSecond: 1_500 },
      chaos: { mailbox: 1, handledPerSecond: null }
    })
    expect(series.points).toEqual([first, second])
  })

  it.prop(
    "keeps the newest `capacity` points, in time order, with rates from consecutive samples",
    {
      capacity: FastCheck.integer({ min: 1, max: 20 }),
      steps: FastCheck.array(
        FastCheck.record({ ms: FastCheck.integer({ min: 1, max: 5_000 }), frames: FastCheck.nat(100_000) }),
        { maxLength: 60 }
      )
    },
    ({ capacity, steps }) => {
      const series = Series.make(capacity)
      const expected: Array<number | null> = []
      let at = 0
      let framesIn = 0
      steps.forEach(({ frames, ms }, i) => {
        at += ms
        framesIn += frames
        Series.record(series, sample(at, framesIn, 0))
        expected.push(i === 0 ? null : Math.round(frames / (ms / 1000)))
      })
      expect(series.points.length).toBe(Math.min(capacity, steps.length))
      expect(series.points.map((point) => point.framesInPerSecond)).toEqual(expected.slice(-capacity))
      for (let i = 1; i < series.points.length; i++) {
        expect(series.points[i]!.t).toBeGreaterThan(series.points[i - 1]!.t)
      }
    }
  )
})
