import { assert, describe, it } from "@effect/vitest"
import type { MessageRef } from "@weft/arena"
import { Arena, ArenaMetrics } from "@weft/arena"
import {
  Chunk,
  Duration,
  Effect,
  Exit,
  FastCheck as fc,
  Fiber,
  Logger,
  Metric,
  Option,
  Ref,
  Scope,
  TestClock
} from "effect"
import * as internal from "../src/internal/arena.js"
import { maxRefcount } from "../src/internal/slots.js"

/** Lets forked fibers run until `n` allocations are queued; fails the test if they never are. */
const untilWaiting = <A>(arena: Arena.Arena<A>, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1_000; i++) {
      if ((yield* arena.stats).waiting === n) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`expected ${n} waiting allocations, have ${(yield* arena.stats).waiting}`)
  })

const textArena = (options: Partial<Arena.Options<string>> = {}) =>
  Arena.make<string>({ capacity: 4, bytesOf: (s) => s.length, ...options })

/** Asserts an error's tag and narrows it to that case. */
const expectTag = <E extends { readonly _tag: string }, T extends E["_tag"]>(
  error: E,
  tag: T
): Extract<E, { readonly _tag: T }> => {
  assert.strictEqual(error._tag, tag)
  return error as Extract<E, { readonly _tag: T }>
}

/** The internal view, for the hooks the generation tests need. */
const impl = <A>(arena: Arena.Arena<A>) => arena as internal.ArenaImpl<A>

describe("Arena: refs, generations, refcounts", () => {
  it.scoped("alloc stores, get returns exactly the stored value, stats count it", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const value = "payload"
      const ref = yield* arena.alloc(value)
      assert.strictEqual(yield* arena.get(ref), value)
      assert.deepStrictEqual(yield* arena.getOption(ref), Option.some(value))
      const stats = yield* arena.stats
      assert.strictEqual(stats.live, 1)
      assert.strictEqual(stats.bytes, 7)
      assert.strictEqual(stats.allocs, 1)
      assert.strictEqual(stats.frees, 0)
      assert.strictEqual(stats.staleAccesses, 0)
    }))

  it.scoped("release frees the slot: the ref turns stale with the slot's new generation", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const ref = yield* arena.alloc("x")
      yield* arena.release(ref)
      const error = expectTag(yield* Effect.flip(arena.get(ref)), "StaleRef")
      assert.isTrue(error.ref === ref)
      assert.strictEqual(error.currentGeneration, ref.generation + 1)
      assert.match(error.message, /ref\(0@0\) is stale/)
      assert.deepStrictEqual(yield* arena.getOption(ref), Option.none())
      const stats = yield* arena.stats
      assert.strictEqual(stats.live, 0)
      assert.strictEqual(stats.bytes, 0)
      assert.strictEqual(stats.frees, 1)
      assert.strictEqual(stats.staleAccesses, 2)
    }))

  it.scoped("a reused slot gets a new generation; the old ref never reads the new message", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const old = yield* arena.alloc("old")
      yield* arena.release(old)
      const fresh = yield* arena.alloc("new")
      assert.strictEqual(fresh.index, old.index)
      assert.strictEqual(fresh.generation, old.generation + 1)
      assert.strictEqual((yield* Effect.flip(arena.get(old)))._tag, "StaleRef")
      assert.strictEqual(yield* arena.get(fresh), "new")
    }))

  it.scoped("retain adds an owner: the message survives until the last release", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const ref = yield* arena.alloc("shared")
      yield* arena.retain(ref)
      yield* arena.retain(ref)
      yield* arena.release(ref)
      yield* arena.release(ref)
      assert.strictEqual(yield* arena.get(ref), "shared")
      assert.strictEqual((yield* arena.stats).frees, 0)
      yield* arena.release(ref)
      assert.isTrue(Option.isNone(yield* arena.getOption(ref)))
      assert.strictEqual((yield* arena.stats).frees, 1)
    }))

  it.scoped("retain after free fails with StaleRef and revives nothing", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const ref = yield* arena.alloc("x")
      yield* arena.release(ref)
      const error = yield* Effect.flip(arena.retain(ref))
      assert.strictEqual(error._tag, "StaleRef")
      assert.strictEqual((yield* arena.stats).live, 0)
      assert.isTrue(Option.isNone(yield* arena.getOption(ref)))
    }))

  it.scoped("a double release fails with StaleRef and leaves the message that reused the slot intact", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const first = yield* arena.alloc("first")
      yield* arena.release(first)
      const second = yield* arena.alloc("second") // same slot
      const error = expectTag(yield* Effect.flip(arena.release(first)), "StaleRef")
      assert.strictEqual(error.currentGeneration, second.generation)
      assert.strictEqual(yield* arena.get(second), "second")
      const stats = yield* arena.stats
      assert.strictEqual(stats.live, 1)
      assert.strictEqual(stats.frees, 1)
    }))

  it.scoped("a ref from a larger arena is stale here, with no current generation", () =>
    Effect.gen(function*() {
      const big = yield* textArena({ capacity: 8 })
      const small = yield* textArena({ capacity: 1 })
      let foreign = yield* big.alloc("a")
      for (let i = 0; i < 5; i++) foreign = yield* big.alloc("b")
      assert.strictEqual(foreign.index, 5)
      const error = expectTag(yield* Effect.flip(small.get(foreign)), "StaleRef")
      assert.isUndefined(error.currentGeneration)
      assert.match(error.message, /does not belong to this arena/)
      assert.strictEqual((yield* Effect.flip(small.release(foreign)))._tag, "StaleRef")
    }))

  it.scoped("retain at the 32-bit maximum fails with RefcountOverflow and leaves the count alone", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const ref = yield* arena.alloc("x")
      impl(arena).slots.refcounts[ref.index] = maxRefcount
      const error = yield* Effect.flip(arena.retain(ref))
      assert.strictEqual(error._tag, "RefcountOverflow")
      assert.strictEqual(impl(arena).slots.refcounts[ref.index], maxRefcount)
      assert.strictEqual((yield* Effect.flip(arena.use(ref, Effect.succeed)))._tag, "RefcountOverflow")
    }))

  it.scoped("the module functions work data-first and data-last", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const ref = yield* Arena.alloc(arena, "a")
      const piped = yield* arena.pipe(Arena.alloc("b"))
      assert.strictEqual(yield* Arena.get(arena, ref), "a")
      assert.strictEqual(yield* arena.pipe(Arena.get(piped)), "b")
      yield* arena.pipe(Arena.retain(piped))
      yield* Arena.release(arena, piped)
      assert.deepStrictEqual(yield* arena.pipe(Arena.getOption(piped)), Option.some("b"))
      assert.strictEqual(yield* arena.pipe(Arena.use(ref, (s: string) => Effect.succeed(s.toUpperCase()))), "A")
      assert.deepStrictEqual(
        Option.map(yield* arena.pipe(Arena.tryAlloc("c")), (r) => r.index),
        Option.some(2)
      )
      assert.strictEqual((yield* Arena.stats(arena)).live, 3)
    }))
})

describe("Arena: generations wrap", () => {
  it.scoped("one slot driven through a whole wrap of a 3-bit generation (the 2^32 code path, narrowed)", () =>
    Effect.gen(function*() {
      const arena = yield* internal.make<string>({ capacity: 1 }, 3)
      const seen: Array<MessageRef.MessageRef> = []
      for (let i = 0; i < 2 ** 3 + 2; i++) {
        const ref = yield* arena.alloc(`m${i}`)
        seen.push(ref)
        assert.strictEqual(yield* arena.get(ref), `m${i}`)
        for (const old of seen.slice(Math.max(0, seen.length - 8), -1)) {
          assert.isTrue(Option.isNone(yield* arena.getOption(old)), `${old} must be stale while ${ref} is live`)
        }
        yield* arena.release(ref)
      }
      assert.deepStrictEqual(seen.map((r) => r.generation), [0, 1, 2, 3, 4, 5, 6, 7, 0, 1])
      const stats = yield* arena.stats
      assert.strictEqual(stats.allocs, 10)
      assert.strictEqual(stats.frees, 10)
      assert.strictEqual(stats.live, 0)
    }))

  it.scoped("at full 32-bit width a generation wraps from 2^32 - 1 to 0 and stays exact", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      impl(arena).slots.generations[0] = 2 ** 32 - 2 // the hook: skip the first 2^32 - 2 reuses
      const refs: Array<MessageRef.MessageRef> = []
      for (let i = 0; i < 4; i++) {
        const ref = yield* arena.alloc(`m${i}`)
        refs.push(ref)
        yield* arena.release(ref)
      }
      assert.deepStrictEqual(refs.map((r) => r.generation), [2 ** 32 - 2, 2 ** 32 - 1, 0, 1])
      const live = yield* arena.alloc("live")
      assert.strictEqual(live.generation, 2)
      for (const old of refs) {
        const error = yield* Effect.flip(arena.get(old))
        assert.strictEqual(error._tag === "StaleRef" && error.currentGeneration, 2)
      }
      assert.strictEqual(yield* arena.get(live), "live")
    }))
})

describe("Arena: configuration and bad input", () => {
  it.effect("capacity must be an integer from 1 to 2^24", () =>
    Effect.gen(function*() {
      for (const capacity of [0, -1, 1.5, Number.NaN, 2 ** 24 + 1]) {
        const error = yield* Effect.flip(Effect.scoped(Arena.make<string>({ capacity })))
        assert.strictEqual(error._tag, "InvalidArenaConfig")
        assert.strictEqual(error.option, "capacity")
        assert.isTrue(Object.is(error.value, capacity))
        assert.match(error.message, /capacity/)
      }
      const smallest = yield* Effect.scoped(Effect.flatMap(Arena.make<string>({ capacity: 1 }), Arena.stats))
      assert.strictEqual(smallest.capacity, 1)
    }))

  it.effect("maxBytes must be a positive integer and needs bytesOf; onFull must be known", () =>
    Effect.gen(function*() {
      const fail = (options: Arena.Options<string>) => Effect.flip(Effect.scoped(Arena.make(options)))
      assert.strictEqual((yield* fail({ capacity: 1, maxBytes: 0, bytesOf: (s) => s.length })).option, "maxBytes")
      assert.strictEqual((yield* fail({ capacity: 1, maxBytes: 2.5, bytesOf: (s) => s.length })).option, "maxBytes")
      assert.strictEqual((yield* fail({ capacity: 1, maxBytes: 10 })).option, "bytesOf")
      const onFull = "drop" as unknown as "fail"
      assert.strictEqual((yield* fail({ capacity: 1, onFull })).option, "onFull")
    }))

  it.scoped("a payload heavier than maxBytes fails at once with PayloadTooLarge instead of waiting", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ maxBytes: 4 })
      const error = expectTag(yield* Effect.flip(arena.alloc("12345")), "PayloadTooLarge")
      assert.deepStrictEqual([error.size, error.maxBytes], [5, 4])
      assert.strictEqual((yield* Effect.flip(arena.tryAlloc("12345")))._tag, "PayloadTooLarge")
      assert.strictEqual((yield* Effect.flip(Effect.scoped(arena.allocScoped("12345"))))._tag, "PayloadTooLarge")
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.waiting, stats.allocs], [0, 0, 0])
    }))
})

describe("Arena: bounded, with backpressure", () => {
  it.scoped("onFull fail: a full arena fails with ArenaFull and the facts", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 2, onFull: "fail" })
      yield* arena.alloc("ab")
      yield* arena.alloc("cde")
      const error = expectTag(yield* Effect.flip(arena.alloc("f")), "ArenaFull")
      assert.deepStrictEqual([error.capacity, error.live, error.bytes], [2, 2, 5])
      assert.strictEqual((yield* arena.stats).allocs, 2)
    }))

  it.scoped("onFull fail counts bytes too: maxBytes full is full", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 8, maxBytes: 5, onFull: "fail" })
      yield* arena.alloc("abcd")
      const error = yield* Effect.flip(arena.alloc("ef"))
      assert.strictEqual(error._tag === "ArenaFull" && error.bytes, 4)
      yield* arena.alloc("g") // 5 bytes exactly still fits
      assert.strictEqual((yield* arena.stats).bytes, 5)
    }))

  it.scoped("tryAlloc returns None when full, Some when there is room", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const ref = yield* arena.tryAlloc("a")
      assert.isTrue(Option.isSome(ref))
      assert.isTrue(Option.isNone(yield* arena.tryAlloc("b")))
      yield* arena.release(Option.getOrThrow(ref))
      assert.isTrue(Option.isSome(yield* arena.tryAlloc("c")))
      assert.strictEqual((yield* arena.stats).allocs, 2)
    }))

  it.scoped("a full arena suspends alloc until a release makes room, then hands the room to the waiter", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const held = yield* arena.alloc("held")
      const waiter = yield* Effect.fork(arena.alloc("next"))
      yield* untilWaiting(arena, 1)
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiter)))
      yield* arena.release(held)
      const ref = yield* Fiber.join(waiter)
      assert.strictEqual(yield* arena.get(ref), "next")
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.waiting, stats.allocs, stats.frees], [1, 0, 2, 1])
    }))

  it.scoped("waiters are served in FIFO order", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const held = yield* arena.alloc("held")
      const order: Array<number> = []
      const fibers: Array<Fiber.RuntimeFiber<void, unknown>> = []
      for (let i = 0; i < 5; i++) {
        // Each waiter records its turn and passes the slot on.
        const waiter = arena.alloc(`w${i}`).pipe(
          Effect.tap(() => Effect.sync(() => order.push(i))),
          Effect.flatMap((ref) => arena.release(ref))
        )
        fibers.push(yield* Effect.fork(waiter))
        yield* untilWaiting(arena, i + 1)
      }
      yield* arena.release(held)
      yield* Fiber.joinAll(fibers)
      assert.deepStrictEqual(order, [0, 1, 2, 3, 4])
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.waiting, stats.allocs, stats.frees, stats.highWater], [0, 0, 6, 6, 1])
    }))

  it.scoped("a waiter is not starved: later allocations that would fit queue behind it", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 8, maxBytes: 10 })
      const held = yield* arena.alloc("12345678") // 8 of 10 bytes
      const big = yield* Effect.fork(arena.alloc("123456")) // needs 6: waits
      yield* untilWaiting(arena, 1)
      // 1 byte would fit right now, but it would jump the queue.
      assert.isTrue(Option.isNone(yield* arena.tryAlloc("x")))
      const small = yield* Effect.fork(arena.alloc("x"))
      yield* untilWaiting(arena, 2)
      assert.strictEqual((yield* arena.stats).live, 1)
      yield* arena.release(held)
      const bigRef = yield* Fiber.join(big)
      const smallRef = yield* Fiber.join(small)
      assert.strictEqual(yield* arena.get(bigRef), "123456")
      assert.strictEqual(yield* arena.get(smallRef), "x")
      assert.strictEqual((yield* arena.stats).bytes, 7)
    }))

  it.scoped("when the waiter at the head gives up, the smaller ones behind it are served", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 8, maxBytes: 10 })
      yield* arena.alloc("12345678")
      const big = yield* Effect.fork(arena.alloc("123456"))
      yield* untilWaiting(arena, 1)
      const small = yield* Effect.fork(arena.alloc("xy"))
      yield* untilWaiting(arena, 2)
      yield* Fiber.interrupt(big)
      const ref = yield* Fiber.join(small)
      assert.strictEqual(yield* arena.get(ref), "xy")
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.bytes, stats.waiting], [2, 10, 0])
    }))

  it.scoped("many fibers against a tiny arena all complete, never above capacity", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 3 })
      const results = yield* Effect.forEach(
        Chunk.range(1, 200),
        (i) =>
          Effect.gen(function*() {
            const ref = yield* arena.alloc(`m${i}`)
            yield* Effect.yieldNow()
            const value = yield* arena.get(ref)
            yield* arena.release(ref)
            return value === `m${i}`
          }),
        { concurrency: "unbounded" }
      )
      assert.isTrue(results.every(Boolean))
      const stats = yield* arena.stats
      assert.deepStrictEqual(
        [stats.live, stats.waiting, stats.allocs, stats.frees, stats.highWater, stats.staleAccesses],
        [0, 0, 200, 200, 3, 0]
      )
    }))

  it.scoped("TestClock: a waiter completes exactly when the holder's time is up", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      yield* Effect.fork(Effect.scoped(Effect.zipRight(arena.allocScoped("holder"), Effect.sleep("1 second"))))
      while ((yield* arena.stats).live === 0) yield* Effect.yieldNow()
      const waiter = yield* Effect.fork(arena.alloc("waiter"))
      yield* untilWaiting(arena, 1)
      yield* TestClock.adjust(Duration.millis(999))
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiter)))
      assert.strictEqual((yield* arena.stats).waiting, 1)
      yield* TestClock.adjust(Duration.millis(1))
      const ref = yield* Fiber.join(waiter)
      assert.strictEqual(yield* arena.get(ref), "waiter")
      assert.strictEqual((yield* arena.stats).live, 1)
    }))
})

describe("Arena: interruption leaks nothing", () => {
  it.scoped("an alloc interrupted while waiting leaves the queue and takes no slot", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const held = yield* arena.alloc("held")
      const waiter = yield* Effect.fork(arena.alloc("never stored"))
      yield* untilWaiting(arena, 1)
      yield* Fiber.interrupt(waiter)
      assert.strictEqual((yield* arena.stats).waiting, 0)
      yield* arena.release(held)
      let stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.bytes, stats.allocs], [0, 0, 1])
      // The room is really free: a new alloc gets it at once.
      assert.isTrue(Option.isSome(yield* arena.tryAlloc("next")))
      stats = yield* arena.stats
      assert.strictEqual(stats.live, 1)
    }))

  it.scoped("an alloc interrupted just after room was granted to it gives the slot back to the next waiter", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const held = yield* arena.alloc("held")
      const first = yield* Effect.fork(arena.alloc("first"))
      yield* untilWaiting(arena, 1)
      const second = yield* Effect.fork(arena.alloc("second"))
      yield* untilWaiting(arena, 2)
      // The release grants the slot to `first` and queues its resumption; the interrupt arrives
      // before `first` runs again, so the grant must be undone.
      yield* arena.release(held)
      const exit = yield* Fiber.interrupt(first)
      const ref = yield* Fiber.join(second)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.strictEqual(yield* arena.get(ref), "second")
      const stats = yield* arena.stats
      // held, first (granted then given back), second
      assert.deepStrictEqual([stats.live, stats.waiting, stats.allocs, stats.frees], [1, 0, 3, 2])
    }))

  it.scoped("allocScoped interrupted while waiting leaks nothing; completed, it releases at scope close", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const held = yield* arena.alloc("held")
      const waiter = yield* Effect.fork(Effect.scoped(Effect.zipRight(arena.allocScoped("w"), Effect.never)))
      yield* untilWaiting(arena, 1)
      yield* Fiber.interrupt(waiter)
      yield* arena.release(held)
      assert.strictEqual((yield* arena.stats).live, 0)
      const scope = yield* Scope.make()
      const ref = yield* Scope.extend(arena.allocScoped("scoped"), scope)
      assert.strictEqual(yield* arena.get(ref), "scoped")
      yield* Scope.close(scope, Exit.void)
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.frees, stats.staleAccesses], [0, 2, 0])
    }))

  it.scoped("use borrows: the message outlives a release during f and is freed when f ends", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const ref = yield* arena.alloc("borrowed")
      const seen = yield* arena.use(ref, (value) =>
        Effect.gen(function*() {
          yield* arena.release(ref) // the owner lets go while we borrow
          assert.strictEqual(yield* arena.get(ref), "borrowed")
          return value
        }))
      assert.strictEqual(seen, "borrowed")
      assert.isTrue(Option.isNone(yield* arena.getOption(ref)))
      assert.strictEqual((yield* arena.stats).live, 0)
    }))

  it.scoped("use returns its borrow when f fails or is interrupted, and never runs f on a stale ref", () =>
    Effect.gen(function*() {
      const arena = yield* textArena()
      const ref = yield* arena.alloc("x")
      const failed = yield* Effect.flip(arena.use(ref, () => Effect.fail("boom" as const)))
      assert.strictEqual(failed, "boom")
      const started = yield* Ref.make(false)
      const fiber = yield* Effect.fork(arena.use(ref, () => Effect.zipRight(Ref.set(started, true), Effect.never)))
      while (!(yield* Ref.get(started))) yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      yield* arena.release(ref)
      assert.strictEqual((yield* arena.stats).live, 0)
      let ran = false
      const stale = yield* Effect.flip(arena.use(ref, () => Effect.sync(() => (ran = true))))
      assert.strictEqual(stale._tag, "StaleRef")
      assert.isFalse(ran)
    }))
})

describe("Arena: interruption, many waiters", () => {
  it.scoped("TestClock: an alloc under Effect.timeout gives up at the deadline and leaves nothing behind", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 1 })
      const held = yield* arena.alloc("held")
      const timed = yield* Effect.fork(Effect.timeout(arena.alloc("late"), "1 second"))
      yield* untilWaiting(arena, 1)
      yield* TestClock.adjust("999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(timed)))
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(timed))
      assert.strictEqual(error._tag, "TimeoutException")
      assert.strictEqual((yield* arena.stats).waiting, 0)
      yield* arena.release(held)
      const stats = yield* arena.stats
      assert.deepStrictEqual([stats.live, stats.allocs, stats.frees], [0, 1, 1])
    }))

  it.effect.prop(
    "interrupting any subset of queued allocations leaks nothing and the rest are all served, in order",
    [fc.array(fc.boolean(), { minLength: 1, maxLength: 24 })],
    ([interrupted]) =>
      Effect.gen(function*() {
        const arena = yield* textArena({ capacity: 2 })
        const held = [yield* arena.alloc("a"), yield* arena.alloc("b")]
        const served: Array<number> = []
        const fibers: Array<Fiber.RuntimeFiber<void, unknown>> = []
        for (let i = 0; i < interrupted.length; i++) {
          const waiter = arena.alloc(`w${i}`).pipe(
            Effect.tap(() => Effect.sync(() => served.push(i))),
            Effect.flatMap((ref) => Effect.zipRight(Effect.yieldNow(), arena.release(ref)))
          )
          fibers.push(yield* Effect.fork(waiter))
          yield* untilWaiting(arena, i + 1)
        }
        yield* Effect.forEach(fibers, (fiber, i) => interrupted[i] ? Fiber.interrupt(fiber) : Effect.void, {
          discard: true
        })
        const survivors = interrupted.flatMap((gone, i) => gone ? [] : [i])
        assert.strictEqual((yield* arena.stats).waiting, survivors.length)
        for (const ref of held) yield* arena.release(ref)
        yield* Fiber.joinAll(fibers.filter((_, i) => !interrupted[i]))
        assert.deepStrictEqual(served, survivors)
        const stats = yield* arena.stats
        assert.deepStrictEqual(
          [stats.live, stats.bytes, stats.waiting, stats.allocs, stats.frees],
          [0, 0, 0, 2 + survivors.length, 2 + survivors.length]
        )
      }).pipe(Effect.scoped)
  )
})

describe("Arena: closing", () => {
  it.effect("closing frees everything, reports leaked refs in stats and the log, then refuses calls", () => {
    const logged: Array<{ message: unknown; annotations: Record<string, unknown> }> = []
    const logger = Logger.make(({ annotations, message }) => {
      logged.push({ message, annotations: Object.fromEntries(annotations) })
    })
    return Effect.gen(function*() {
      const scope = yield* Scope.make()
      const arena = yield* Scope.extend(textArena({ capacity: 4, name: "closing-test" }), scope)
      const a = yield* arena.alloc("a")
      const b = yield* arena.alloc("bb")
      yield* arena.alloc("ccc")
      yield* arena.release(b)
      assert.strictEqual(logged.length, 0)
      yield* Scope.close(scope, Exit.void)

      const stats = yield* arena.stats
      assert.deepStrictEqual(
        [stats.closed, stats.leaked, stats.live, stats.bytes, stats.allocs, stats.frees],
        [true, 2, 0, 0, 3, 1]
      )
      assert.deepStrictEqual(stats.leakedSample.map(String), ["ref(0@0)", "ref(2@0)"])
      assert.strictEqual(logged.length, 1)
      assert.match(String(logged[0]!.message), /closing-test.*2 leaked/)
      assert.strictEqual(logged[0]!.annotations.leaked, 2)
      assert.strictEqual(logged[0]!.annotations.sample, "ref(0@0), ref(2@0)")

      for (const refused of [arena.alloc("d"), arena.get(a), arena.release(a), arena.retain(a)]) {
        const error = yield* Effect.flip(refused as Effect.Effect<unknown, { readonly _tag: string }>)
        assert.strictEqual(error._tag, "ArenaClosed")
      }
      assert.strictEqual((yield* Effect.flip(arena.tryAlloc("d")))._tag, "ArenaClosed")
      assert.strictEqual((yield* Effect.flip(arena.getOption(a)))._tag, "ArenaClosed")
      assert.strictEqual((yield* Effect.flip(arena.use(a, Effect.succeed)))._tag, "ArenaClosed")
      assert.strictEqual((yield* Effect.flip(Effect.scoped(arena.allocScoped("d"))))._tag, "ArenaClosed")
    }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  })

  it.effect("closing fails waiting allocations with ArenaClosed; a clean close logs nothing", () => {
    const logged: Array<unknown> = []
    const logger = Logger.make(({ message }) => logged.push(message))
    return Effect.gen(function*() {
      const scope = yield* Scope.make()
      const arena = yield* Scope.extend(textArena({ capacity: 1 }), scope)
      const held = yield* arena.alloc("held")
      const waiter = yield* Effect.fork(arena.alloc("waiting"))
      yield* untilWaiting(arena, 1)
      yield* arena.release(held)
      yield* Fiber.join(waiter).pipe(Effect.flatMap((ref) => arena.release(ref)))
      const blocked = yield* Effect.fork(Effect.zipRight(arena.alloc("x"), arena.alloc("y")))
      yield* untilWaiting(arena, 1)
      yield* Scope.close(scope, Exit.void)
      const error = yield* Effect.flip(Fiber.join(blocked))
      assert.strictEqual(error._tag, "ArenaClosed")
      const stats = yield* arena.stats
      // "x" was stored and never released: the one leak, and the one log line.
      assert.deepStrictEqual([stats.waiting, stats.live, stats.leaked], [0, 0, 1])
      assert.strictEqual(logged.length, 1)

      const clean = yield* Scope.make()
      const other = yield* Scope.extend(textArena({ capacity: 1 }), clean)
      yield* other.alloc("x").pipe(Effect.flatMap((ref) => other.release(ref)))
      yield* Scope.close(clean, Exit.void)
      assert.strictEqual(logged.length, 1)
      assert.strictEqual((yield* other.stats).leaked, 0)
    }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  })
})

describe("Arena: metrics", () => {
  it.scoped("gauges and counters tagged with the arena's name follow the stats", () =>
    Effect.gen(function*() {
      const arena = yield* textArena({ capacity: 4, name: "metrics-test" })
      const metrics = ArenaMetrics.forArena("metrics-test")
      const a = yield* arena.alloc("aa")
      const b = yield* arena.alloc("bbb")
      yield* arena.release(a)
      yield* Effect.flip(arena.get(a))
      const other = ArenaMetrics.forArena("some-other-arena")
      assert.strictEqual((yield* Metric.value(metrics.capacity)).value, 4)
      assert.strictEqual((yield* Metric.value(metrics.live)).value, 1)
      assert.strictEqual((yield* Metric.value(metrics.bytes)).value, 3)
      assert.strictEqual((yield* Metric.value(metrics.highWater)).value, 2)
      assert.strictEqual((yield* Metric.value(metrics.allocs)).count, 2)
      assert.strictEqual((yield* Metric.value(metrics.frees)).count, 1)
      assert.strictEqual((yield* Metric.value(metrics.staleAccesses)).count, 1)
      assert.strictEqual((yield* Metric.value(other.allocs)).count, 0)
      yield* arena.release(b)
      assert.strictEqual((yield* Metric.value(metrics.live)).value, 0)
    }))
})
