import { describe, expect, it } from "@effect/vitest"
import { Chunk, Clock, Effect, Either, Exit, Fiber, Option, Scope, Stream, TestClock } from "effect"
import * as Ticks from "../../src/dashboard/Ticks.js"
import type * as Gateway from "../../src/Gateway.js"

/** Sources that count their snapshots; 100 frames in per second of the test clock. */
const counting = () => {
  const calls = { snapshots: 0 }
  const sources: Ticks.Sources<{ readonly view: number }> = {
    snapshot: () =>
      Effect.map(Clock.currentTimeMillis, (at) => {
        calls.snapshots++
        return { at, framesIn: at / 10, bytesIn: at } as unknown as Gateway.Snapshot
      }),
    view: Effect.succeed({ view: 1 }),
    history: () => [{ t: 1 } as never]
  }
  return { calls, sources }
}

/** The next tick of a pulled stream, parsed. */
const next = (pull: Effect.Effect<Chunk.Chunk<string>, Option.Option<never>>) =>
  Effect.map(pull, (chunk) => {
    expect(Chunk.size(chunk)).toBe(1)
    return JSON.parse(Chunk.unsafeHead(chunk)) as Ticks.Tick<{ readonly view: number }>
  })

describe("Ticks", () => {
  it.scoped("subscribers with the same parameters share one ticker: one snapshot per tick", () =>
    Effect.gen(function*() {
      const { calls, sources } = counting()
      const ticks = yield* Ticks.make(sources)
      const a = yield* Stream.toPull(ticks({ intervalMs: 500, top: 10 }))
      const b = yield* Stream.toPull(ticks({ intervalMs: 500, top: 10 }))
      // The first tick is taken when the ticker starts, and carries the history.
      const [a1, b1] = [yield* next(a), yield* next(b)]
      expect(calls.snapshots).toBe(1)
      expect([a1.skipped, a1.history, a1.dashboard]).toEqual([0, [{ t: 1 }], { view: 1 }])
      expect(b1).toEqual(a1)
      yield* TestClock.adjust("500 millis")
      const [a2, b2] = [yield* next(a), yield* next(b)]
      expect(calls.snapshots).toBe(2)
      expect(a2).toEqual(b2)
      expect([a2.skipped, a2.history, a2.framesPerSecond, a2.bytesPerSecond]).toEqual([0, undefined, 100, 1000])
      // Other parameters: a ticker of their own.
      const c = yield* Stream.toPull(ticks({ intervalMs: 500, top: 3 }))
      yield* next(c)
      expect(calls.snapshots).toBe(3)
    }))

  it.scoped("a subscriber that falls behind gets the newest tick and how many it skipped", () =>
    Effect.gen(function*() {
      const { sources } = counting()
      const ticks = yield* Ticks.make(sources)
      const pull = yield* Stream.toPull(ticks({ intervalMs: 100, top: 10 }))
      const first = yield* next(pull)
      yield* TestClock.adjust("350 millis")
      const latest = yield* next(pull)
      expect(latest.skipped).toBe(2)
      expect(latest.at - first.at).toBe(300)
      // Nothing newer yet: the next pull waits for the next tick.
      const waiting = yield* Effect.fork(next(pull))
      yield* TestClock.adjust("49 millis")
      expect(waiting.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      expect((yield* Fiber.join(waiting)).skipped).toBe(0)
    }))

  it.scoped("the last subscriber to leave stops its ticker; the next one starts a new one", () =>
    Effect.gen(function*() {
      const { calls, sources } = counting()
      const ticks = yield* Ticks.make(sources)
      const first = yield* Scope.make()
      const second = yield* Scope.make()
      const a = yield* Scope.extend(Stream.toPull(ticks({ intervalMs: 500, top: 10 })), first)
      const b = yield* Scope.extend(Stream.toPull(ticks({ intervalMs: 500, top: 10 })), second)
      yield* next(a)
      yield* next(b)
      yield* Scope.close(first, Exit.void)
      yield* TestClock.adjust("500 millis")
      expect(calls.snapshots).toBe(2)
      yield* Scope.close(second, Exit.void)
      yield* TestClock.adjust("5 seconds")
      expect(calls.snapshots).toBe(2)
      const c = yield* Stream.toPull(ticks({ intervalMs: 500, top: 10 }))
      expect((yield* next(c)).history).toEqual([{ t: 1 }])
      expect(calls.snapshots).toBe(3)
    }))

  it.scoped("an interrupted wait for the next tick loses nothing; closing the ticks ends every stream", () =>
    Effect.gen(function*() {
      const { sources } = counting()
      const scope = yield* Scope.make()
      const ticks = yield* Scope.extend(Ticks.make(sources), scope)
      const pull = yield* Stream.toPull(ticks({ intervalMs: 500, top: 10 }))
      yield* next(pull)
      const waiting = yield* Effect.fork(next(pull))
      yield* TestClock.adjust("100 millis")
      yield* Fiber.interrupt(waiting)
      yield* TestClock.adjust("400 millis")
      // The tick published while nobody waited is still there for the next pull.
      expect((yield* next(pull)).skipped).toBe(0)
      const rest = yield* Effect.fork(Stream.runCollect(ticks({ intervalMs: 500, top: 10 })))
      yield* TestClock.adjust(0)
      yield* Scope.close(scope, Exit.void)
      expect(Chunk.size(yield* Fiber.join(rest))).toBe(1)
      const ended = yield* Effect.either(pull)
      expect(Either.isLeft(ended) && Option.isNone(ended.left)).toBe(true)
    }))
})
