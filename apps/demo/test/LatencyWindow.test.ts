import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck } from "effect"
import * as Acks from "../src/Acks.js"
import * as LatencyWindow from "../src/LatencyWindow.js"
import { sendFrames, start, waitUntil } from "./helpers.js"

/** One bucket's width: quantiles of equal buckets differ by at most this factor. */
const bucketRatio = 2 ** (1 / 8)

describe("LatencyWindow", () => {
  it("after a spike, the window comes back down while since-start keeps it", () => {
    const recorder = Acks.makeRecorder()
    const window = LatencyWindow.make(recorder.get, 10)
    // Second 0: a burst of slow frames; then 11 quiet seconds of fast ones.
    Acks.record(recorder, 400, 1000)
    for (let second = 0; second <= 11; second++) {
      LatencyWindow.rotate(window)
      Acks.record(recorder, 2, 100)
    }
    const sinceStart = Acks.summarize(recorder.get())
    const recent = LatencyWindow.summarize(window)
    expect(sinceStart.p99Ms).toBeGreaterThan(300)
    // Fast frames only: ten whole seconds and the current one (a 10-11 s window).
    expect(recent.count).toBe(1100)
    expect(recent.p99Ms / 2).toBeLessThan(bucketRatio)
    expect(recent.maxMs / 2).toBeLessThan(bucketRatio)
  })

  it("before the window has passed, it is everything since the start", () => {
    const recorder = Acks.makeRecorder()
    const window = LatencyWindow.make(recorder.get, 10)
    expect(LatencyWindow.summarize(window)).toEqual({ count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 })
    Acks.record(recorder, 5, 3)
    LatencyWindow.rotate(window)
    Acks.record(recorder, 7)
    expect(LatencyWindow.summarize(window).count).toBe(4)
  })

  it.prop(
    "the window holds exactly what was recorded after the rotation `steps` rotations ago",
    [
      FastCheck.integer({ min: 1, max: 6 }),
      FastCheck.array(
        FastCheck.oneof(FastCheck.constant("rotate" as const), FastCheck.double({ min: 0.001, max: 1e5, noNaN: true })),
        { maxLength: 200 }
      )
    ],
    ([steps, ops]) => {
      const recorder = Acks.makeRecorder()
      const window = LatencyWindow.make(recorder.get, steps)
      // The model: records per rotation period.
      const periods: Array<Array<number>> = [[]]
      for (const op of ops) {
        if (op === "rotate") {
          LatencyWindow.rotate(window)
          periods.push([])
        } else {
          Acks.record(recorder, op)
          periods.at(-1)!.push(op)
        }
      }
      const rotations = periods.length - 1
      const inWindow = (rotations <= steps ? periods : periods.slice(rotations - steps)).flat()
      const expected = Acks.makeRecorder()
      for (const ms of inWindow) Acks.record(expected, ms)
      const exact = Acks.summarize(expected.get())
      const recent = LatencyWindow.summarize(window)
      expect(recent.count).toBe(exact.count)
      for (const key of ["p50Ms", "p99Ms", "maxMs"] as const) {
        if (exact.count === 0) expect(recent[key]).toBe(0)
        else {
          expect(recent[key]).toBeGreaterThanOrEqual(exact[key] / bucketRatio - 0.001)
          expect(recent[key]).toBeLessThanOrEqual(exact[key] * bucketRatio + 0.001)
        }
      }
    }
  )

  it.scopedLive("the gateway's snapshot has the recent latency beside the since-start one", () =>
    Effect.gen(function*() {
      const { gateway } = yield* start({ plugins: ["stats", "sink"] })
      yield* sendFrames(gateway.tcpAddress.port, [["t", "a"], ["t", "b"], ["t", "c"]])
      yield* waitUntil("3 frames durable", Effect.map(gateway.snapshot(), (s) => s.latency.count === 3))
      const snapshot = yield* gateway.snapshot()
      // Well within the first 10 seconds: the window is everything so far.
      const { maxMs, ...recent } = snapshot.recentLatency
      expect(recent).toEqual({
        count: 3,
        p50Ms: snapshot.latency.p50Ms,
        p99Ms: snapshot.latency.p99Ms,
        windowSeconds: 10
      })
      expect(maxMs).toBeGreaterThanOrEqual(snapshot.latency.maxMs / bucketRatio - 0.001)
      expect(maxMs).toBeLessThanOrEqual(snapshot.latency.maxMs)
    }))
})
