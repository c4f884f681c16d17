import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem } from "@weft/actor"
import { Arena } from "@weft/arena"
import { Dispatcher } from "@weft/dispatch"
import type { Scope } from "effect"
import { Data, Deferred, Effect, Fiber } from "effect"

class Hold extends Data.TaggedClass("Hold")<{ readonly gate: Deferred.Deferred<void> }> {}
type Plugin = Dispatcher.Delivery | Hold

/** A plugin that reads each delivery's payload and keeps the delivery for the test to settle. */
const keeper = (arena: Arena.Arena<string>, kept: Array<Dispatcher.Delivery>, read: Array<string>) =>
  Actor.behavior<Plugin>()({
    initialState: 0,
    handlers: {
      Delivery: (delivery, count) =>
        Effect.orDie(Arena.get(arena, delivery.ref)).pipe(
          Effect.map((payload) => {
            read.push(payload)
            kept.push(delivery)
            return count + 1
          })
        ),
      Hold: (message, count) => Effect.as(Deferred.await(message.gate), count)
    }
  })

const run = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

const live = (arena: Arena.Arena<string>) => Effect.map(Arena.stats(arena), (stats) => stats.live)

describe("Dispatcher: arena-backed fan-out", () => {
  it.effect("the slot is freed exactly when the last plugin settles", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 4 })
      const kept: Array<Dispatcher.Delivery> = []
      const read: Array<string> = []
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const plugins = yield* Effect.forEach([1, 2, 3], () => Actor.spawn(keeper(arena, kept, read)))
      for (const plugin of plugins) yield* Dispatcher.add(dispatcher, plugin)
      const ref = yield* Arena.alloc(arena, "payload")
      yield* Dispatcher.dispatchRef(dispatcher, arena, ref)
      for (const plugin of plugins) yield* Actor.stop(plugin, { mode: "drain" })
      assert.deepStrictEqual(read, ["payload", "payload", "payload"])
      assert.strictEqual(kept.length, 3)
      assert.strictEqual(yield* live(arena), 1)
      yield* kept[0]!.settle
      yield* kept[0]!.settle // settling twice is harmless
      yield* kept[1]!.settle
      assert.strictEqual(yield* live(arena), 1)
      yield* kept[2]!.settle
      assert.strictEqual(yield* live(arena), 0)
      assert.strictEqual((yield* Arena.stats(arena)).frees, 1)
    })))

  it.effect("a delivery that becomes a dead letter settles itself", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 4 })
      const kept: Array<Dispatcher.Delivery> = []
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const full = yield* Actor.spawn(keeper(arena, [], []), { mailbox: { capacity: 1, strategy: "dropping" } })
      const ok = yield* Actor.spawn(keeper(arena, kept, []))
      yield* Dispatcher.add(dispatcher, full)
      yield* Dispatcher.add(dispatcher, ok)
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(full, new Hold({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(full, new Hold({ gate }))
      // `full`'s lane is full: its delivery is dropped and released.
      yield* Dispatcher.dispatchRef(dispatcher, arena, yield* Arena.alloc(arena, "x"))
      yield* Actor.stop(ok, { mode: "drain" })
      assert.strictEqual(yield* live(arena), 1)
      yield* kept[0]!.settle
      assert.strictEqual(yield* live(arena), 0)
      yield* Deferred.succeed(gate, undefined)
    })))

  it.effect("a plugin removed while dispatchRef waits on its full lane: the others still get it", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 4 })
      const kept: Array<Dispatcher.Delivery> = []
      const read: Array<string> = []
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const leaving = yield* Actor.spawn(keeper(arena, [], []), { mailbox: { capacity: 1 } })
      const staying = yield* Actor.spawn(keeper(arena, kept, read))
      yield* Dispatcher.add(dispatcher, leaving)
      yield* Dispatcher.add(dispatcher, staying)
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(leaving, new Hold({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(leaving, new Hold({ gate })) // the leaving lane is full
      const waiting = yield* Effect.fork(Dispatcher.dispatchRef(dispatcher, arena, yield* Arena.alloc(arena, "x")))
      yield* Effect.yieldNow()
      yield* Dispatcher.remove(dispatcher, leaving)
      const stopping = yield* Effect.fork(Actor.stop(leaving, { mode: "drain" }))
      yield* Fiber.join(waiting)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(stopping)
      yield* Actor.stop(staying, { mode: "drain" })
      assert.deepStrictEqual(read, ["x"])
      // The leaving plugin's copy became a dead letter and was released; the staying one holds the
      // last reference until it settles.
      assert.strictEqual(yield* live(arena), 1)
      yield* kept[0]!.settle
      assert.strictEqual(yield* live(arena), 0)
    })))

  it.effect("no plugin: the slot is freed at once", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 1 })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      yield* Dispatcher.dispatchRef(dispatcher, arena, yield* Arena.alloc(arena, "nobody"))
      assert.strictEqual(yield* live(arena), 0)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 1)
    })))

  it.effect("deliveries still queued when a plugin stops are released", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 8 })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const plugin = yield* Actor.spawn(keeper(arena, [], []))
      yield* Dispatcher.add(dispatcher, plugin)
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(plugin, new Hold({ gate }))
      yield* Effect.yieldNow()
      for (let i = 0; i < 5; i++) yield* Dispatcher.dispatchRef(dispatcher, arena, yield* Arena.alloc(arena, `m${i}`))
      assert.strictEqual(yield* live(arena), 5)
      yield* Actor.stop(plugin, { mode: "kill" })
      assert.strictEqual(yield* live(arena), 0)
    })))
})

describe("Dispatcher: arena fan-out that stops part-way", () => {
  /** A keeper whose lane (capacity 1) is full: one Hold running, one queued. */
  const blockedKeeper = (arena: Arena.Arena<string>, strategy: "suspend" | "fail") =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const plugin = yield* Actor.spawn(keeper(arena, [], []), { mailbox: { capacity: 1, strategy } })
      yield* Actor.tell(plugin, new Hold({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(plugin, new Hold({ gate }))
      return { plugin, gate }
    })

  for (const blockedFirst of [true, false]) {
    it.effect(
      `interrupted while waiting for room (${blockedFirst ? "first" : "last"} plugin): no reference leaks`,
      () =>
        run(Effect.gen(function*() {
          const arena = yield* Arena.make<string>({ capacity: 4 })
          const kept: Array<Dispatcher.Delivery> = []
          const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
          const ok = yield* Actor.spawn(keeper(arena, kept, []))
          const blocked = yield* blockedKeeper(arena, "suspend")
          for (const plugin of blockedFirst ? [blocked.plugin, ok] : [ok, blocked.plugin]) {
            yield* Dispatcher.add(dispatcher, plugin)
          }
          const ref = yield* Arena.alloc(arena, "x")
          const fanOut = yield* Effect.fork(Dispatcher.dispatchRef(dispatcher, arena, ref))
          for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
          assert.isNull(fanOut.unsafePoll(), "the fan-out waits for the blocked lane")
          yield* Fiber.interrupt(fanOut)
          yield* Actor.stop(ok, { mode: "drain" })
          // A plugin before the blocked one got its delivery and holds one reference; none after.
          assert.strictEqual(kept.length, blockedFirst ? 0 : 1)
          assert.strictEqual(yield* live(arena), blockedFirst ? 0 : 1)
          for (const delivery of kept) yield* delivery.settle
          assert.strictEqual(yield* live(arena), 0)
          assert.strictEqual((yield* Arena.stats(arena)).frees, 1)
          yield* Deferred.succeed(blocked.gate, undefined)
        }))
    )

    it.effect(
      `a full "fail" lane (${blockedFirst ? "first" : "last"} plugin) fails the fan-out and leaks nothing`,
      () =>
        run(Effect.gen(function*() {
          const arena = yield* Arena.make<string>({ capacity: 4 })
          const kept: Array<Dispatcher.Delivery> = []
          const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
          const ok = yield* Actor.spawn(keeper(arena, kept, []))
          const blocked = yield* blockedKeeper(arena, "fail")
          for (const plugin of blockedFirst ? [blocked.plugin, ok] : [ok, blocked.plugin]) {
            yield* Dispatcher.add(dispatcher, plugin)
          }
          const error = yield* Effect.flip(Dispatcher.dispatchRef(dispatcher, arena, yield* Arena.alloc(arena, "x")))
          assert.strictEqual(error._tag, "MailboxFull")
          yield* Actor.stop(ok, { mode: "drain" })
          assert.strictEqual(kept.length, blockedFirst ? 0 : 1, "plugins after the failing one get nothing")
          for (const delivery of kept) yield* delivery.settle
          assert.strictEqual(yield* live(arena), 0)
          assert.strictEqual((yield* Arena.stats(arena)).frees, 1)
          yield* Deferred.succeed(blocked.gate, undefined)
        }))
    )
  }
})

describe("Dispatcher: bounded memory", () => {
  it.effect("a producer far faster than the slowest plugin: lanes and the arena stay bounded", () =>
    run(Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 8 })
      const settled: Array<string> = []
      const settler = (delay: boolean) =>
        Actor.behavior<Plugin>()({
          initialState: 0,
          handlers: {
            Delivery: (delivery, count) =>
              Effect.orDie(Arena.get(arena, delivery.ref)).pipe(
                Effect.tap((payload) => Effect.sync(() => settled.push(payload))),
                Effect.zipRight(delay ? Effect.yieldNow() : Effect.void),
                Effect.zipRight(delivery.settle),
                Effect.as(count + 1)
              ),
            Hold: (message, count) => Effect.as(Deferred.await(message.gate), count)
          }
        })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      const fast = yield* Actor.spawn(settler(false), { mailbox: { capacity: 4 } })
      const slow = yield* Actor.spawn(settler(true), { mailbox: { capacity: 4 } })
      yield* Dispatcher.add(dispatcher, fast)
      yield* Dispatcher.add(dispatcher, slow)
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(slow, new Hold({ gate }))
      const total = 200
      const producer = yield* Effect.fork(Effect.forEach(
        Array.from({ length: total }, (_, i) => i),
        (i) => Effect.flatMap(Arena.alloc(arena, `m${i}`), (ref) => Dispatcher.dispatchRef(dispatcher, arena, ref)),
        { discard: true }
      ))
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
      // The slow plugin is held: its lane is full, the producer is suspended, nothing grows.
      assert.isNull(producer.unsafePoll())
      assert.strictEqual(yield* Actor.mailboxSize(slow), 4)
      const stats = yield* Arena.stats(arena)
      assert.isAtMost(stats.live, 8)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(producer)
      yield* Actor.stop(fast, { mode: "drain" })
      yield* Actor.stop(slow, { mode: "drain" })
      assert.strictEqual(settled.length, 2 * total)
      assert.strictEqual((yield* Arena.stats(arena)).live, 0)
      assert.isAtMost((yield* Arena.stats(arena)).highWater, 8)
    })))
})
