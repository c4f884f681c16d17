import { assert, describe, it } from "@effect/vitest"
import type { MessageRef } from "@weft/arena"
import { Arena, ArenaMetrics } from "@weft/arena"
import { Effect, Exit, FastCheck as fc, Fiber, Logger, LogLevel, Metric, Option, Scope } from "effect"
import { maxRefcount } from "../src/internal/slots.js"

const textArena = (options: Partial<Arena.Options<string>> = {}) =>
  Arena.make<string>({ capacity: 4, bytesOf: (s) => s.length, ...options })

/** Lets forked fibers run until `n` allocations are queued; fails the test if they never are. */
const untilWaiting = <A>(arena: Arena.Arena<A>, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1_000; i++) {
      if ((yield* arena.stats).waiting === n) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`expected ${n} waiting allocations, have ${(yield* arena.stats).waiting}`)
  })

const values = <A>(arena: Arena.Arena<A>, refs: ReadonlyArray<MessageRef.MessageRef>) =>
  Effect.forEach(refs, (ref) => Arena.get(arena, ref))

describe("Arena.allocUpTo", () => {
  it.scoped("stores every value that fits in one call, in order, and counts them all", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 8, name: "alloc-many-metrics" })
      const refs = yield* Arena.allocUpTo(arena, ["a", "bb", "ccc"])
      assert.deepStrictEqual(yield* values(arena, refs), ["a", "bb", "ccc"])
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.bytes, stats.allocs, stats.highWater], [3, 6, 3, 3])
      const allocs = yield* Metric.value(ArenaMetrics.forArena("alloc-many-metrics").allocs)
      assert.strictEqual(allocs.count, 3)
      assert.deepStrictEqual(yield* Arena.allocUpTo(arena, []), [])
    }))

  it.scoped("adoptMany adopts the run allocUpTo stores at once, in one call; alloc uses adopt", () =>
    Effect.gen(function*() {
      const calls: Array<ReadonlyArray<string>> = []
      const arena = yield* textArena({
        capacity: 3,
        adopt: (s) => [...s].reverse().join(""),
        adoptMany: (run) => {
          calls.push(run)
          return run.map((s) => s.toUpperCase())
        }
      })
      // Only the prefix that fits is adopted, and weighed as it was given.
      const refs = yield* Arena.allocUpTo(arena, ["ab", "cd", "ef", "gh"])
      assert.deepStrictEqual(calls, [["ab", "cd", "ef"]])
      assert.deepStrictEqual(yield* values(arena, refs), ["AB", "CD", "EF"])
      assert.strictEqual((yield* arena.stats).bytes, 6)
      yield* Arena.releaseAll(arena, refs)
      const single = yield* arena.alloc("xy")
      assert.strictEqual(yield* Arena.get(arena, single), "yx")
      assert.deepStrictEqual(calls.length, 1)
    }))

  it.scoped("stores only the prefix that fits, by slots and by bytes; nothing beyond it", () =>
    Effect.gen(function*() {
      const bySlots = yield* textArena({ capacity: 2 })
      const refs = yield* bySlots.pipe(Arena.allocUpTo(["a", "b", "c"]))
      assert.deepStrictEqual(yield* values(bySlots, refs), ["a", "b"])
      assert.strictEqual((yield* bySlots.stats).allocs, 2)

      const byBytes = yield* textArena({ capacity: 8, maxBytes: 5 })
      const prefix = yield* Arena.allocUpTo(byBytes, ["aa", "bb", "cc"])
      assert.deepStrictEqual(yield* values(byBytes, prefix), ["aa", "bb"])
      assert.strictEqual((yield* byBytes.stats).bytes, 4)
    }))

  it.scoped("with no room at all it waits for the first value; after the wait, what fits joins it", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 3 })
      const held = yield* Arena.allocUpTo(arena, ["x", "y", "z"])
      const fiber = yield* Effect.fork(Arena.allocUpTo(arena, ["a", "b", "c", "d"]))
      yield* untilWaiting(arena, 1)
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      // Two slots free in one step: the waiter gets the first, and "b" joins it.
      assert.strictEqual(yield* Arena.releaseAll(arena, held.slice(0, 2)), 0)
      const refs = yield* Fiber.join(fiber)
      assert.deepStrictEqual(yield* values(arena, refs), ["a", "b"])
      assert.strictEqual((yield* arena.stats).live, 3)
    }))

  it.scoped("FIFO: an allocUpTo never stores ahead of a waiting alloc, and is served after it", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 2, maxBytes: 4 })
      const big = yield* arena.alloc("1234")
      const order: Array<string> = []
      const waiter = yield* Effect.fork(Effect.tap(arena.alloc("ww"), () => Effect.sync(() => order.push("alloc"))))
      yield* untilWaiting(arena, 1)
      // "a" would fit by itself once "1234" goes, but the waiter is ahead of it.
      const batch = yield* Effect.fork(
        Effect.tap(Arena.allocUpTo(arena, ["a", "b"]), () => Effect.sync(() => order.push("allocUpTo")))
      )
      yield* untilWaiting(arena, 2)
      yield* arena.release(big)
      yield* Fiber.join(waiter)
      const refs = yield* Fiber.join(batch)
      assert.deepStrictEqual(order, ["alloc", "allocUpTo"])
      assert.deepStrictEqual(yield* values(arena, refs), ["a"])
    }))

  it.scoped("errors: ArenaFull when nothing fits under onFull fail, PayloadTooLarge only for a first value", () =>
    Effect.gen(function*() {
      const failing = yield* textArena({ capacity: 1, onFull: "fail" })
      yield* failing.alloc("held")
      const full = yield* Effect.flip(Arena.allocUpTo(failing, ["a"]))
      assert.strictEqual(full._tag, "ArenaFull")

      const bounded = yield* textArena({ capacity: 8, maxBytes: 3 })
      const prefix = yield* Arena.allocUpTo(bounded, ["a", "toolarge", "b"])
      assert.deepStrictEqual(yield* values(bounded, prefix), ["a"])
      const tooLarge = yield* Effect.flip(Arena.allocUpTo(bounded, ["toolarge", "b"]))
      assert.strictEqual(tooLarge._tag, "PayloadTooLarge")
      assert.strictEqual((yield* bounded.stats).allocs, 1)
    }))

  it.effect("after close: ArenaClosed, and a waiting allocUpTo fails with it", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const arena = yield* Scope.extend(textArena({ capacity: 1 }), scope)
      yield* arena.alloc("held")
      const waiter = yield* Effect.fork(Arena.allocUpTo(arena, ["a", "b"]))
      yield* untilWaiting(arena, 1)
      yield* Scope.close(scope, Exit.void)
      const waited = yield* Effect.flip(Fiber.join(waiter))
      assert.strictEqual(waited._tag, "ArenaClosed")
      const closed = yield* Effect.flip(Arena.allocUpTo(arena, ["c"]))
      assert.strictEqual(closed._tag, "ArenaClosed")
    }).pipe(Logger.withMinimumLogLevel(LogLevel.None)))

  it.scoped("interrupted while waiting it stores nothing and leaves the queue", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const held = yield* arena.alloc("held")
      const fiber = yield* Effect.fork(Arena.allocUpTo(arena, ["a", "b"]))
      yield* untilWaiting(arena, 1)
      yield* Fiber.interrupt(fiber)
      yield* arena.release(held)
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.waiting, stats.allocs, stats.frees], [0, 0, 1, 1])
    }))

  it.scoped("interrupted just after room was granted it gives the slot back: the next waiter gets it", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const held = yield* arena.alloc("held")
      const first = yield* Effect.fork(Arena.allocUpTo(arena, ["first", "more"]))
      yield* untilWaiting(arena, 1)
      const second = yield* Effect.fork(arena.alloc("second"))
      yield* untilWaiting(arena, 2)
      yield* arena.release(held) // grants "first"; the interrupt lands before it runs again
      const exit = yield* Fiber.interrupt(first)
      const ref = yield* Fiber.join(second)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.strictEqual(yield* arena.get(ref), "second")
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.waiting, stats.allocs, stats.frees], [1, 0, 3, 2])
    }))

  it.effect.prop(
    "conservation: repeated allocUpTo against a releasing consumer stores every value once, in order",
    [fc.array(fc.string({ maxLength: 3 }), { maxLength: 40 }), fc.integer({ min: 1, max: 5 })],
    ([all, capacity]) =>
      Effect.gen(function*() {
        const arena = yield* textArena({ capacity, maxBytes: 3 + capacity })
        const outstanding: Array<MessageRef.MessageRef> = []
        let producing = true
        let maxLive = 0
        const consumer = yield* Effect.fork(Effect.whileLoop({
          while: () => producing || outstanding.length > 0,
          body: () =>
            Effect.zipRight(Effect.yieldNow(), Effect.suspend(() => Arena.releaseAll(arena, outstanding.splice(0)))),
          step: () => {}
        }))
        const stored: Array<string> = []
        let next = 0
        while (next < all.length) {
          const refs = yield* Arena.allocUpTo(arena, all.slice(next))
          assert.isAbove(refs.length, 0)
          maxLive = Math.max(maxLive, (yield* arena.stats).live)
          stored.push(...(yield* values(arena, refs)))
          outstanding.push(...refs)
          next += refs.length
        }
        producing = false
        yield* Fiber.join(consumer)
        assert.deepStrictEqual(stored, all)
        assert.isAtMost(maxLive, capacity)
        const stats = yield* arena.stats
        assert.deepStrictEqual([stats.live, stats.bytes, stats.waiting], [0, 0, 0])
        assert.deepStrictEqual([stats.allocs, stats.frees, stats.staleAccesses], [all.length, all.length, 0])
      }).pipe(Effect.scoped)
  )
})

describe("Arena.retainAll / releaseAll", () => {
  it.scoped("retainAll adds `times` owners to each ref; releaseAll drops one from each", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const refs = yield* Arena.allocUpTo(arena, ["a", "b"])
      yield* Arena.retainAll(arena, refs, 2)
      assert.strictEqual(yield* Arena.releaseAll(arena, refs), 0)
      assert.strictEqual(yield* arena.pipe(Arena.releaseAll(refs)), 0)
      assert.strictEqual((yield* arena.stats).live, 2)
      assert.strictEqual(yield* Arena.releaseAll(arena, refs), 0)
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.frees], [0, 2])
    }))

  it.scoped("retainAll defaults to one, counts a duplicate twice, and accepts 0 as a no-op", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const [a] = yield* Arena.allocUpTo(arena, ["a"])
      yield* Arena.retainAll(arena, [a!, a!])
      yield* arena.pipe(Arena.retainAll([a!], 0))
      yield* Arena.releaseAll(arena, [a!, a!])
      assert.strictEqual((yield* arena.stats).live, 1)
      yield* arena.release(a!)
      assert.strictEqual((yield* arena.stats).live, 0)
    }))

  it.scoped("retainAll is all or nothing: a stale ref or an overflow changes no count", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const [a, b] = yield* Arena.allocUpTo(arena, ["a", "b"])
      const stale = yield* arena.alloc("gone")
      yield* arena.release(stale)
      const error = yield* Effect.flip(Arena.retainAll(arena, [a!, b!, stale], 3))
      assert.strictEqual(error._tag, "StaleRef")
      // Still exactly one owner each: one release frees both.
      yield* Arena.releaseAll(arena, [a!, b!])
      assert.strictEqual((yield* arena.stats).live, 0)

      const [c, d] = yield* Arena.allocUpTo(arena, ["c", "d"])
      yield* Arena.retainAll(arena, [d!], maxRefcount - 2)
      const overflow = yield* Effect.flip(Arena.retainAll(arena, [c!, d!], 2))
      assert.strictEqual(overflow._tag, "RefcountOverflow")
      yield* arena.release(c!)
      assert.isTrue(Option.isNone(yield* arena.getOption(c!)))
      const invalid = yield* Effect.flip(Arena.retainAll(arena, [d!], -1))
      assert.strictEqual(invalid._tag, "InvalidCount")
      assert.include(invalid.message, "-1")
    }))

  it.scoped("releaseAll skips and counts stale refs, never touching the message that reused the slot", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const old = yield* arena.alloc("old")
      yield* arena.release(old)
      const reused = yield* arena.alloc("new") // same slot, next generation
      assert.strictEqual(yield* Arena.releaseAll(arena, [old, old]), 2)
      assert.strictEqual(yield* arena.get(reused), "new")
      assert.strictEqual((yield* arena.stats).staleAccesses, 2)
    }))

  it.scoped("releaseAll hands the freed room to waiting allocations, in order", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 2 })
      const held = yield* Arena.allocUpTo(arena, ["x", "y"])
      const first = yield* Effect.fork(arena.alloc("first"))
      yield* untilWaiting(arena, 1)
      const second = yield* Effect.fork(arena.alloc("second"))
      yield* untilWaiting(arena, 2)
      yield* Arena.releaseAll(arena, held)
      assert.strictEqual(yield* arena.get(yield* Fiber.join(first)), "first")
      assert.strictEqual(yield* arena.get(yield* Fiber.join(second)), "second")
    }))

  it.effect("after close both fail with ArenaClosed", () =>
    Effect.gen(function*() {
      const refs = yield* Effect.scoped(Effect.gen(function*() {
        const arena = yield* textArena()
        return { arena, refs: yield* Arena.allocUpTo(arena, ["a"]) }
      }))
      assert.strictEqual((yield* Effect.flip(Arena.retainAll(refs.arena, refs.refs)))._tag, "ArenaClosed")
      assert.strictEqual((yield* Effect.flip(Arena.releaseAll(refs.arena, refs.refs)))._tag, "ArenaClosed")
    }))
})
