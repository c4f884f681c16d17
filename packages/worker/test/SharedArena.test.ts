import { assert, describe, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { Effect, Either, Equal, Exit, FastCheck as fc, Fiber, Option } from "effect"
import { SharedArena } from "../src/index.js"
import { churn } from "./fixtures/churn.js"
import { ArenaAlloc, ArenaChurn, ArenaRead } from "./fixtures/jobs.js"
import { makeJobsPool } from "./helpers.js"

const text = (s: string) => Bytes.fromString(s)

const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

describe("SharedArena in one thread", () => {
  it.effect("alloc, get, retain, release: the last release frees the slot and makes the ref stale", () =>
    Effect.gen(function*() {
      const arena = yield* SharedArena.make({ capacity: 2, slotSize: 8 })
      const ref = yield* arena.alloc(text("hello"))
      assert.strictEqual(Bytes.decodeUtf8(yield* arena.get(ref)), "hello")
      yield* arena.retain(ref)
      yield* arena.release(ref)
      assert.strictEqual(Bytes.decodeUtf8(yield* arena.get(ref)), "hello")
      yield* arena.release(ref)
      const stale = yield* Effect.flip(arena.get(ref))
      assert.deepStrictEqual(stale, new SharedArena.StaleSharedRef({ ref, currentGeneration: 1 }))
      assert.deepStrictEqual(yield* arena.stats, {
        capacity: 2,
        slotSize: 8,
        live: 0,
        allocs: 1,
        frees: 1,
        staleAccesses: 1
      })
    }))

  it.effect("a stale release never frees the message that reused the slot", () =>
    Effect.gen(function*() {
      const arena = yield* SharedArena.make({ capacity: 1, slotSize: 8 })
      const old = yield* arena.alloc(text("old"))
      yield* arena.release(old)
      const reused = yield* arena.alloc(text("new"))
      assert.strictEqual(reused.index, old.index)
      assert.isTrue(Either.isLeft(yield* Effect.either(arena.release(old))))
      assert.isTrue(Either.isLeft(yield* Effect.either(arena.retain(old))))
      assert.strictEqual(Bytes.decodeUtf8(yield* arena.get(reused)), "new")
      assert.strictEqual((yield* arena.stats).live, 1)
    }))

  it.effect("bounded: tryAlloc returns None, onFull fail fails, oversize and bad options are typed", () =>
    Effect.gen(function*() {
      const arena = yield* SharedArena.make({ capacity: 1, slotSize: 4, onFull: "fail" })
      yield* arena.alloc(text("a"))
      assert.isTrue(Option.isNone(yield* arena.tryAlloc(text("b"))))
      assert.deepStrictEqual(
        yield* Effect.flip(arena.alloc(text("b"))),
        new SharedArena.SharedArenaFull({ capacity: 1 })
      )
      assert.deepStrictEqual(
        yield* Effect.flip(arena.alloc(text("too long"))),
        new SharedArena.PayloadTooLarge({ size: 8, slotSize: 4 })
      )
      const invalid = yield* Effect.flip(SharedArena.make({ capacity: 0, slotSize: 4 }))
      assert.strictEqual(invalid._tag, "InvalidSharedArenaOptions")
    }))

  it.live("a waiting alloc completes when a slot frees; interrupted, it claims nothing", () =>
    Effect.gen(function*() {
      const arena = yield* SharedArena.make({ capacity: 1, slotSize: 8 })
      const first = yield* arena.alloc(text("first"))
      const waiting = yield* Effect.fork(arena.alloc(text("second")))
      const interrupted = yield* Effect.fork(arena.alloc(text("never")))
      yield* Effect.repeatN(Effect.yieldNow(), 50)
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)))
      yield* Fiber.interrupt(interrupted)
      yield* arena.release(first)
      const second = yield* Fiber.join(waiting)
      assert.strictEqual(Bytes.decodeUtf8(yield* arena.get(second)), "second")
      assert.deepStrictEqual([(yield* arena.stats).live, (yield* arena.stats).allocs], [1, 2])
    }))

  it.effect("refs are values: equal by index and generation", () =>
    Effect.gen(function*() {
      const arena = yield* SharedArena.make({ capacity: 2, slotSize: 8 })
      const ref = yield* arena.alloc(text("x"))
      assert.isTrue(Equal.equals(ref, new SharedArena.SharedRef({ index: ref.index, generation: ref.generation })))
    }))
})

describe("SharedArena across threads", () => {
  it.scopedLive("a ref allocated here is valid in a worker; the worker's release makes it stale here", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool()
      const arena = yield* SharedArena.make({ capacity: 4, slotSize: 64 })
      const ref = yield* arena.alloc(text("from main"))
      assert.strictEqual(yield* pool.run(new ArenaRead({ arena: arena.handle, ref })), "from main")
      const stale = yield* Effect.flip(arena.get(ref))
      assert.strictEqual(stale._tag, "StaleSharedRef")
      // And the other way: stale in the worker too, as a typed failure.
      const again = yield* Effect.exit(pool.run(new ArenaRead({ arena: arena.handle, ref })))
      assert.deepStrictEqual(again, Exit.fail(new SharedArena.StaleSharedRef({ ref, currentGeneration: 1 })))
      const fromWorker = yield* pool.run(new ArenaAlloc({ arena: arena.handle, text: "from worker" }))
      assert.strictEqual(Bytes.decodeUtf8(yield* arena.get(fromWorker)), "from worker")
    }))

  it.scopedLive("a worker's alloc waits while the arena is full and proceeds when this thread frees a slot", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool()
      const arena = yield* SharedArena.make({ capacity: 1, slotSize: 16 })
      const held = yield* arena.alloc(text("held"))
      const job = yield* Effect.fork(pool.run(new ArenaAlloc({ arena: arena.handle, text: "waited" })))
      yield* Effect.repeatN(Effect.yieldNow(), 50)
      assert.isTrue(Option.isNone(yield* Fiber.poll(job)))
      yield* arena.release(held)
      const ref = yield* Fiber.join(job)
      assert.strictEqual(Bytes.decodeUtf8(yield* arena.get(ref)), "waited")
    }))

  it.scopedLive("property: concurrent alloc/retain/release from main and 2 workers conserve every slot", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool({ size: 2 })
      const program = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 40 })
      // capacity = actors × (largest batch − 1) + 1: some actor can always finish its batch.
      const capacity = 3 * 2 + 1
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(program, program, program, (main, first, second) =>
            Effect.runPromise(Effect.gen(function*() {
              const arena = yield* SharedArena.make({ capacity, slotSize: 16 })
              const results = yield* Effect.all([
                churn(arena, 0, main, nextTurn),
                pool.run(new ArenaChurn({ arena: arena.handle, actor: 1, program: first })),
                pool.run(new ArenaChurn({ arena: arena.handle, actor: 2, program: second }))
              ], { concurrency: "unbounded" })
              const expected = [main, first, second].map((p) => p.reduce((a, b) => a + b, 0))
              assert.deepStrictEqual(results.map((r) => r.allocs), expected)
              assert.deepStrictEqual(results.map((r) => [r.corrupt, r.staleMissed]), [[0, 0], [0, 0], [0, 0]])
              const stats = yield* arena.stats
              const total = expected.reduce((a, b) => a + b, 0)
              assert.deepStrictEqual([stats.live, stats.allocs, stats.frees], [0, total, total])
              // Every slot is free again: all of them can be taken at once.
              const all = yield* Effect.forEach(Array.from({ length: capacity }), () => arena.tryAlloc(text("x")))
              assert.isTrue(all.every(Option.isSome))
            }))),
          { numRuns: 12 }
        )
      )
    }))
})
