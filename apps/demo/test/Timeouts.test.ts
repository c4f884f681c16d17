import { describe, expect, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { Effect, Exit, FastCheck as fc, Scope, TestClock } from "effect"
import * as Timeouts from "../src/Timeouts.js"

const options = { idleTimeout: "10 seconds", frameDeadline: "2 seconds", headerBytes: 4 } as const

/** A tracker on the TestClock, with one watched connection that records when it was closed. */
const setup = Effect.gen(function*() {
  const counts = { idleTimeouts: 0, frameDeadlines: 0 }
  const tracker = yield* Timeouts.make(options, counts)
  const closed = { count: 0 }
  const watched = tracker.watch("peer", () => closed.count++)
  return { counts, tracker, watched, closed }
})

const frame = (payload: number) => Bytes.fromUint8Array(new Uint8Array(payload))

describe("Timeouts", () => {
  it.scoped("an idle connection is closed once idleTimeout passes, not before", () =>
    Effect.gen(function*() {
      const { closed, counts, tracker, watched } = yield* setup
      yield* TestClock.adjust("9 seconds")
      expect(closed.count).toBe(0)
      // Bytes of whole frames reset the idle clock.
      tracker.received(watched, 14)
      tracker.ingesting(watched, [frame(10)])
      tracker.ingested(watched)
      yield* TestClock.adjust("9 seconds")
      expect(closed.count).toBe(0)
      yield* TestClock.adjust("1 second")
      expect(closed.count).toBe(1)
      expect(watched.expired).toBeInstanceOf(Timeouts.IdleTimeout)
      expect(watched.expired).toMatchObject({ peer: "peer", limitMs: 10_000 })
      expect(counts).toEqual({ idleTimeouts: 1, frameDeadlines: 0 })
      expect(tracker.size).toBe(0)
    }))

  it.scoped("a started frame must be whole within frameDeadline, however steadily its bytes come", () =>
    Effect.gen(function*() {
      const { closed, counts, tracker, watched } = yield* setup
      // One byte every 500 ms: never idle, but the frame (4 + 100 bytes) is never done.
      for (let i = 0; i < 3; i++) {
        tracker.received(watched, 1)
        yield* TestClock.adjust("500 millis")
      }
      expect(closed.count).toBe(0)
      tracker.received(watched, 1)
      yield* TestClock.adjust("500 millis")
      expect(closed.count).toBe(1)
      expect(watched.expired).toBeInstanceOf(Timeouts.FrameDeadline)
      expect(watched.expired).toMatchObject({ limitMs: 2000, receivedBytes: 4, elapsedMs: 2000 })
      expect(counts).toEqual({ idleTimeouts: 0, frameDeadlines: 1 })
    }))

  it.scoped("completing a frame stops its clock; the next frame's first byte starts a new one", () =>
    Effect.gen(function*() {
      const { closed, tracker, watched } = yield* setup
      tracker.received(watched, 4)
      yield* TestClock.adjust("1400 millis")
      // The rest of frame 1 and the first 2 bytes of frame 2, decoded and ingested at once.
      tracker.received(watched, 10 + 2)
      tracker.ingesting(watched, [frame(10)])
      tracker.ingested(watched)
      yield* TestClock.adjust("1400 millis")
      expect(closed.count).toBe(0)
      yield* TestClock.adjust("600 millis")
      expect(watched.expired).toMatchObject({ _tag: "FrameDeadline", receivedBytes: 2 })
    }))

  it.scoped("time spent ingesting is never charged to the client", () =>
    Effect.gen(function*() {
      const { closed, tracker, watched } = yield* setup
      tracker.received(watched, 14 + 3)
      tracker.ingesting(watched, [frame(10)])
      // Ingest holds (a full arena, a slow plugin) far beyond both limits.
      yield* TestClock.adjust("1 minute")
      expect(closed.count).toBe(0)
      tracker.ingested(watched)
      // The unfinished frame's deadline runs from the end of ingest.
      yield* TestClock.adjust("1900 millis")
      expect(closed.count).toBe(0)
      yield* TestClock.adjust("100 millis")
      expect(watched.expired?._tag).toBe("FrameDeadline")
    }))

  it.scoped("an unwatched connection (half-closed, or ended) is never closed", () =>
    Effect.gen(function*() {
      const { closed, tracker, watched } = yield* setup
      tracker.received(watched, 1)
      tracker.unwatch(watched)
      tracker.unwatch(watched)
      yield* TestClock.adjust("1 minute")
      expect(closed.count).toBe(0)
      expect(watched.expired).toBeUndefined()
    }))

  it.effect("interrupted (its scope closed), the sweeper closes nothing more", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { closed } = yield* Scope.extend(setup, scope)
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust("1 minute")
      expect(closed.count).toBe(0)
    }))

  // Driven by hand (no sweeper fiber): a sweep just before every read, the worst moment for the client.
  it.prop(
    "a client whose frames each arrive within frameDeadline, with gaps under idleTimeout, is never closed",
    [
      fc.array(
        fc.record({
          payload: fc.integer({ min: 0, max: 64 }),
          reads: fc.integer({ min: 1, max: 5 }),
          gapMs: fc.integer({ min: 0, max: 9_999 })
        }),
        { maxLength: 20 }
      )
    ],
    ([frames]) => {
      let now = 0
      const closed = { count: 0 }
      const tracker = new Timeouts.Tracker(10_000, 2_000, 4, { idleTimeouts: 0, frameDeadlines: 0 }, () => now)
      const watched = tracker.watch("peer", () => closed.count++)
      for (const { gapMs, payload, reads } of frames) {
        // The frame's bytes in `reads` reads, its last one less than the deadline after its first.
        const size = 4 + payload
        const step = Math.ceil(size / reads)
        for (let sent = 0; sent < size; sent += step) {
          now += sent === 0 ? gapMs : 1999 / reads
          tracker.sweep()
          tracker.received(watched, Math.min(step, size - sent))
        }
        tracker.ingesting(watched, [frame(payload)])
        tracker.ingested(watched)
      }
      expect(closed.count).toBe(0)
    }
  )

  it("the same client is closed once one frame takes frameDeadline (the property's boundary)", () => {
    let now = 0
    const tracker = new Timeouts.Tracker(10_000, 2_000, 4, { idleTimeouts: 0, frameDeadlines: 0 }, () => now)
    const watched = tracker.watch("peer", () => {})
    tracker.received(watched, 2)
    now += 2000
    tracker.sweep()
    expect(watched.expired?._tag).toBe("FrameDeadline")
  })
})
