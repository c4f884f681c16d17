import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem } from "@weft/actor"
import { Arena, type MessageRef } from "@weft/arena"
import { Dispatcher } from "@weft/dispatch"
import type { Scope } from "effect"
import { Data, Deferred, Effect, Exit, FastCheck as fc, Fiber } from "effect"

class Hold extends Data.TaggedClass("Hold")<{ readonly gate: Deferred.Deferred<void> }> {}
type Plugin = Dispatcher.Delivery | Dispatcher.Deliveries | Hold

/** What one plugin saw, and the deliveries it keeps for the test to settle (when `keep`). */
interface Seen {
  readonly read: Array<string>
  readonly kept: Array<Dispatcher.Delivery | Dispatcher.Deliveries>
  batches: number
}

const seen = (): Seen => ({ read: [], kept: [], batches: 0 })

/** Reads every payload it is handed; settles at once, or keeps the delivery when `keep`. */
const collector = (arena: Arena.Arena<string>, into: Seen, keep = false) => {
  const done = (delivery: Dispatcher.Delivery | Dispatcher.Deliveries) =>
    keep ? Effect.sync(() => void into.kept.push(delivery)) : delivery.settle
  return Actor.behavior<Plugin>()({
    initialState: 0,
    handlers: {
      Delivery: (delivery, count) =>
        Effect.orDie(Arena.get(arena, delivery.ref)).pipe(
          Effect.tap((payload) => Effect.sync(() => into.read.push(payload))),
          Effect.zipRight(done(delivery)),
          Effect.as(count + 1)
        ),
      Deliveries: (batch, count) =>
        Effect.orDie(Arena.getAll(arena, batch.refs)).pipe(
          Effect.tap((payloads) =>
            Effect.sync(() => {
              into.read.push(...payloads)
              into.batches++
            })
          ),
          Effect.zipRight(done(batch)),
          Effect.as(count + 1)
        ),
      Hold: (message, count) => Effect.as(Deferred.await(message.gate), count)
    }
  })
}

const run = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

const stats = (arena: Arena.Arena<string>) => Arena.stats(arena)

/** Stores every payload (allocUpTo until all are in). */
const store = (arena: Arena.Arena<string>, payloads: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const refs: Array<MessageRef.MessageRef> = []
    while (refs.length < payloads.length) refs.push(...(yield* Arena.allocUpTo(arena, payloads.slice(refs.length))))
    return refs
  })

/** A plugin whose lane (capacity 1) is full: one Hold running, one queued. */
const blocked = (arena: Arena.Arena<string>, into: Seen, strategy: "suspend" | "fail" = "suspend") =>
  Effect.gen(function*() {
    const gate = yield* Deferred.make<void>()
    const plugin = yield* Actor.spawn(collector(arena, into), { mailbox: { capacity: 1, strategy } })
    yield* Actor.tell(plugin, new Hold({ gate }))
    yield* Effect.yieldNow()
    yield* Actor.tell(plugin, new Hold({ gate }))
    return { plugin, gate }
  })

const payloads = (n: number, prefix = "m") => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

describe("Dispatcher.dispatchRefAll: a batch as per-ref deliveries", () => {
  it.effect("broadcast: every plugin gets every ref in order; each slot is freed when its last plugin settles", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 16 })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const all = [seen(), seen(), seen()]
      const plugins = yield* Effect.forEach(all, (into, i) => Actor.spawn(collector(arena, into, i === 0)))
      for (const plugin of plugins) yield* Dispatcher.add(dispatcher, plugin)
      yield* Dispatcher.dispatchRefAll(dispatcher, arena, yield* store(arena, payloads(10)))
      for (const plugin of plugins) yield* Actor.stop(plugin, { mode: "drain" })
      for (const into of all) assert.deepStrictEqual(into.read, payloads(10))
      // The first plugin still holds its deliveries: every slot is live until it settles.
      assert.strictEqual((yield* stats(arena)).live, 10)
      for (const delivery of all[0]!.kept.slice(0, 4)) yield* delivery.settle
      assert.strictEqual((yield* stats(arena)).live, 6)
      for (const delivery of all[0]!.kept) yield* delivery.settle
      const end = yield* stats(arena)
      assert.deepStrictEqual([end.live, end.frees, end.staleAccesses], [0, 10, 0])
    })))

  it.effect("round-robin and topic routing choose per ref, as dispatchRef would", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 16 })
      const a = seen()
      const b = seen()
      const roundRobin = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      yield* Dispatcher.add(roundRobin, yield* Actor.spawn(collector(arena, a)))
      yield* Dispatcher.add(roundRobin, yield* Actor.spawn(collector(arena, b)))
      yield* Dispatcher.dispatchRefAll(roundRobin, arena, yield* store(arena, payloads(6)))
      const t = seen()
      const u = seen()
      // Even slots go to topic "even", odd ones to "odd"; the second plugin takes both.
      const byTopic = yield* Dispatcher.make<Plugin>(
        Dispatcher.topic((message) => message._tag === "Delivery" && message.ref.index % 2 === 0 ? "even" : "odd")
      )
      yield* Dispatcher.add(byTopic, yield* Actor.spawn(collector(arena, t)), { topics: ["even"] })
      yield* Dispatcher.add(byTopic, yield* Actor.spawn(collector(arena, u)), { topics: ["even", "odd"] })
      const refs = yield* store(arena, payloads(4, "t"))
      const even = refs.flatMap((ref, i) => ref.index % 2 === 0 ? [`t${i}`] : [])
      yield* Dispatcher.dispatchRefAll(byTopic, arena, refs)
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      assert.deepStrictEqual(a.read, ["m0", "m2", "m4"])
      assert.deepStrictEqual(b.read, ["m1", "m3", "m5"])
      assert.deepStrictEqual(t.read, even)
      assert.deepStrictEqual(u.read, payloads(4, "t"))
      assert.strictEqual((yield* stats(arena)).live, 0)
    })))

  it.effect("no plugin: every ref is dead-lettered NoRoute and freed at once; an empty batch does nothing", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 4 })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      yield* Dispatcher.dispatchRefAll(dispatcher, arena, [])
      yield* Dispatcher.dispatchRefAll(dispatcher, arena, yield* store(arena, payloads(3)))
      assert.strictEqual((yield* stats(arena)).live, 0)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 3)
    })))

  it.effect("a stale ref fails the batch before anything is sent, and the caller's other refs are released", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 8 })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const into = [seen(), seen()]
      for (const s of into) yield* Dispatcher.add(dispatcher, yield* Actor.spawn(collector(arena, s)))
      const refs = yield* store(arena, payloads(3))
      yield* Arena.release(arena, refs[1]!)
      const error = yield* Effect.flip(Dispatcher.dispatchRefAll(dispatcher, arena, refs))
      assert.strictEqual(error._tag, "StaleRef")
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      assert.deepStrictEqual(into.map((s) => s.read), [[], []])
      assert.strictEqual((yield* stats(arena)).live, 0)
    })))

  for (const blockedFirst of [true, false]) {
    it.effect(
      `interrupted while waiting for a full lane (${
        blockedFirst ? "first" : "last"
      } plugin): prefixes delivered, nothing leaks`,
      () =>
        run(Effect.gen(function*() {
          const arena = yield* Arena.make<string>({ capacity: 8 })
          const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
          const free = seen()
          const stuck = seen()
          const ok = yield* Actor.spawn(collector(arena, free, true))
          const held = yield* blocked(arena, stuck)
          for (const plugin of blockedFirst ? [held.plugin, ok] : [ok, held.plugin]) {
            yield* Dispatcher.add(dispatcher, plugin)
          }
          const fanOut = yield* Effect.fork(
            Dispatcher.dispatchRefAll(dispatcher, arena, yield* store(arena, payloads(5)))
          )
          for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
          assert.isNull(fanOut.unsafePoll(), "the batch waits for the blocked lane")
          // Every other lane got all it had room for before the wait, wherever the blocked one is.
          assert.deepStrictEqual(free.read, payloads(5))
          yield* Fiber.interrupt(fanOut)
          // Only the free plugin's references are left.
          assert.strictEqual((yield* stats(arena)).live, 5)
          yield* Deferred.succeed(held.gate, undefined)
          yield* Actor.stop(held.plugin, { mode: "drain" })
          yield* Actor.stop(ok, { mode: "drain" })
          assert.deepStrictEqual(stuck.read, [], "the blocked plugin never got the delivery it was waiting for")
          for (const delivery of free.kept) yield* delivery.settle
          const end = yield* stats(arena)
          assert.deepStrictEqual([end.live, end.frees, end.staleAccesses], [0, 5, 0])
        }))
    )
  }

  it.effect("a plugin removed while the batch waits on its full lane: the others still get every ref", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 8 })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const leaving = seen()
      const staying = seen()
      const held = yield* blocked(arena, leaving)
      const stays = yield* Actor.spawn(collector(arena, staying), { mailbox: { capacity: 2 } })
      yield* Dispatcher.add(dispatcher, held.plugin)
      yield* Dispatcher.add(dispatcher, stays)
      const fanOut = yield* Effect.fork(Dispatcher.dispatchRefAll(dispatcher, arena, yield* store(arena, payloads(6))))
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      assert.isNull(fanOut.unsafePoll())
      yield* Dispatcher.remove(dispatcher, held.plugin)
      const stopping = yield* Effect.fork(Actor.stop(held.plugin, { mode: "drain" }))
      yield* Fiber.join(fanOut)
      yield* Deferred.succeed(held.gate, undefined)
      yield* Fiber.join(stopping)
      yield* Actor.stop(stays, { mode: "drain" })
      assert.deepStrictEqual(staying.read, payloads(6))
      assert.deepStrictEqual(leaving.read, [])
      // The leaving plugin's deliveries became ActorStopping dead letters, which settled themselves.
      assert.strictEqual((yield* stats(arena)).live, 0)
      assert.isAtLeast(yield* ActorSystem.deadLetterCount, 6)
    })))

  it.effect("a full \"fail\" lane ends the batch with MailboxFull; each plugin has a prefix; nothing leaks", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 8 })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const free = seen()
      const stuck = seen()
      yield* Dispatcher.add(dispatcher, yield* Actor.spawn(collector(arena, free)))
      const held = yield* blocked(arena, stuck, "fail")
      yield* Dispatcher.add(dispatcher, held.plugin)
      const error = yield* Effect.flip(Dispatcher.dispatchRefAll(dispatcher, arena, yield* store(arena, payloads(4))))
      assert.strictEqual(error._tag, "MailboxFull")
      yield* Deferred.succeed(held.gate, undefined)
      yield* Actor.stop(held.plugin, { mode: "drain" })
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      assert.deepStrictEqual(free.read, payloads(4))
      assert.deepStrictEqual(stuck.read, [])
      assert.strictEqual((yield* stats(arena)).live, 0)
    })))

  it.effect.prop(
    "conservation: any batches, lanes and plugin counts — each plugin reads each payload once, in order, and every slot is freed",
    [
      fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }),
      fc.boolean()
    ],
    ([batches, capacities, asBatch]) =>
      run(Effect.gen(function*() {
        const arena = yield* Arena.make<string>({ capacity: 8 })
        const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
        const into = capacities.map(seen)
        const plugins = yield* Effect.forEach(
          capacities,
          (capacity, i) => Actor.spawn(collector(arena, into[i]!), { mailbox: { capacity } })
        )
        for (const plugin of plugins) yield* Dispatcher.add(dispatcher, plugin)
        const expected: Array<string> = []
        for (let b = 0; b < batches.length; b++) {
          const batch = payloads(batches[b]!, `b${b}-`)
          expected.push(...batch)
          let stored = 0
          while (stored < batch.length) {
            const refs = yield* Arena.allocUpTo(arena, batch.slice(stored))
            stored += refs.length
            yield* asBatch
              ? Dispatcher.dispatchBatch(dispatcher, arena, refs)
              : Dispatcher.dispatchRefAll(dispatcher, arena, refs)
          }
        }
        for (const plugin of plugins) yield* Actor.stop(plugin, { mode: "drain" })
        for (const s of into) assert.deepStrictEqual(s.read, expected)
        const end = yield* stats(arena)
        assert.deepStrictEqual([end.live, end.allocs, end.frees, end.staleAccesses], [
          0,
          expected.length,
          expected.length,
          0
        ])
      }))
  )
})

describe("Dispatcher.dispatchBatch: a batch as one message per plugin", () => {
  it.effect("each plugin gets one Deliveries; each slot is freed when the last batch holding it settles", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 8 })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const all = [seen(), seen(), seen()]
      const plugins = yield* Effect.forEach(all, (into) => Actor.spawn(collector(arena, into, true)))
      for (const plugin of plugins) yield* Dispatcher.add(dispatcher, plugin)
      yield* Dispatcher.dispatchBatch(dispatcher, arena, yield* store(arena, payloads(4)))
      yield* Dispatcher.dispatchBatch(dispatcher, arena, [])
      for (const plugin of plugins) yield* Actor.stop(plugin, { mode: "drain" })
      for (const into of all) {
        assert.deepStrictEqual(into.read, payloads(4))
        assert.strictEqual(into.batches, 1)
      }
      yield* all[0]!.kept[0]!.settle
      yield* all[0]!.kept[0]!.settle // settling twice is harmless
      yield* all[1]!.kept[0]!.settle
      assert.strictEqual((yield* stats(arena)).live, 4)
      yield* all[2]!.kept[0]!.settle
      const end = yield* stats(arena)
      assert.deepStrictEqual([end.live, end.frees, end.staleAccesses], [0, 4, 0])
    })))

  it.effect("a batch that becomes a dead letter settles itself; no plugin: NoRoute, freed at once", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 8 })
      const nobody = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      yield* Dispatcher.dispatchBatch(nobody, arena, yield* store(arena, payloads(3)))
      assert.strictEqual((yield* stats(arena)).live, 0)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 1)

      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const dropped = seen()
      const held = yield* Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const plugin = yield* Actor.spawn(collector(arena, dropped), { mailbox: { capacity: 1, strategy: "dropping" } })
        yield* Actor.tell(plugin, new Hold({ gate }))
        yield* Effect.yieldNow()
        yield* Actor.tell(plugin, new Hold({ gate }))
        return { plugin, gate }
      })
      const ok = seen()
      yield* Dispatcher.add(dispatcher, held.plugin)
      yield* Dispatcher.add(dispatcher, yield* Actor.spawn(collector(arena, ok)))
      yield* Dispatcher.dispatchBatch(dispatcher, arena, yield* store(arena, payloads(3)))
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      assert.deepStrictEqual(ok.read, payloads(3))
      assert.deepStrictEqual(dropped.read, [])
      assert.strictEqual((yield* stats(arena)).live, 0)
      yield* Deferred.succeed(held.gate, undefined)
    })))

  it.effect("interrupted while waiting for a full lane: the plugins before it have the batch; nothing leaks", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 8 })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const before = seen()
      const stuck = seen()
      const after = seen()
      const first = yield* Actor.spawn(collector(arena, before, true))
      const held = yield* blocked(arena, stuck)
      const last = yield* Actor.spawn(collector(arena, after, true))
      for (const plugin of [first, held.plugin, last]) yield* Dispatcher.add(dispatcher, plugin)
      const fanOut = yield* Effect.fork(Dispatcher.dispatchBatch(dispatcher, arena, yield* store(arena, payloads(3))))
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      assert.isNull(fanOut.unsafePoll())
      yield* Fiber.interrupt(fanOut)
      yield* Deferred.succeed(held.gate, undefined)
      for (const plugin of [first, held.plugin, last]) yield* Actor.stop(plugin, { mode: "drain" })
      assert.deepStrictEqual([before.read, stuck.read, after.read], [payloads(3), [], []])
      assert.strictEqual((yield* stats(arena)).live, 3)
      yield* before.kept[0]!.settle
      const end = yield* stats(arena)
      assert.deepStrictEqual([end.live, end.frees, end.staleAccesses], [0, 3, 0])
    })))

  it.effect("allocated and dispatched in one uninterruptible region: the lane wait still ends on interrupt; nothing leaks", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 8 })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const before = seen()
      const stuck = seen()
      const first = yield* Actor.spawn(collector(arena, before))
      const held = yield* blocked(arena, stuck)
      for (const plugin of [first, held.plugin]) yield* Dispatcher.add(dispatcher, plugin)
      // The hand-over the module docs recommend: no interruption point between allocUpTo's refs
      // and the dispatcher owning them, yet the wait for the blocked lane can be interrupted.
      const handOver = Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(
          restore(Arena.allocUpTo(arena, payloads(3))),
          (refs) => Dispatcher.dispatchBatch(dispatcher, arena, refs)
        )
      )
      const fanOut = yield* Effect.fork(handOver)
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      assert.isNull(fanOut.unsafePoll())
      const exit = yield* Fiber.interrupt(fanOut)
      assert.isTrue(Exit.isInterrupted(exit))
      yield* Deferred.succeed(held.gate, undefined)
      for (const plugin of [first, held.plugin]) yield* Actor.stop(plugin, { mode: "drain" })
      assert.deepStrictEqual([before.read, stuck.read], [payloads(3), []])
      const end = yield* stats(arena)
      assert.deepStrictEqual([end.live, end.frees, end.staleAccesses], [0, 3, 0])
    })))
})
