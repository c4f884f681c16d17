import { assert, describe, it } from "@effect/vitest"
import type { DeadLetter } from "@weft/actor"
import { Actor, ActorSystem } from "@weft/actor"
import { Dispatcher } from "@weft/dispatch"
import type { Scope } from "effect"
import { Chunk, Data, Deferred, Effect, FastCheck, Fiber, Schema } from "effect"
import { receivedSoFar } from "./fixtures.js"

class Event extends Data.TaggedClass("Event")<{ readonly id: number; readonly key: string }> {}
class Hold extends Data.TaggedClass("Hold")<{ readonly gate: Deferred.Deferred<void> }> {}
class Count
  extends Schema.TaggedRequest<Count>()("Count", { failure: Schema.Never, success: Schema.Number, payload: {} })
{}
type Plugin = Event | Hold | Count

const plugin = (seen: Array<number>) =>
  Actor.behavior<Plugin>()({
    initialState: 0,
    handlers: {
      Event: (message, count) =>
        Effect.sync(() => {
          seen.push(message.id)
          return count + 1
        }),
      Hold: (message, count) => Effect.as(Deferred.await(message.gate), count),
      Count: (_, count) => Effect.succeed(Actor.reply(count, count))
    }
  })

const run = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

const spawnPlugins = (count: number, options?: Actor.SpawnOptions) =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => i),
    (i) =>
      Effect.map(Effect.sync(() => [] as Array<number>), (seen) => ({ seen, i })).pipe(
        Effect.flatMap(({ seen }) => Effect.map(Actor.spawn(plugin(seen), options), (ref) => ({ ref, seen })))
      )
  )

const drainAll = (refs: ReadonlyArray<{ readonly ref: Actor.ActorRef<Plugin> }>) =>
  Effect.forEach(refs, ({ ref }) => Actor.stop(ref, { mode: "drain" }), { discard: true })

describe("Dispatcher", () => {
  it.effect("is pipeable: add, dispatch and remove data-last", () =>
    run(Effect.gen(function*() {
      const [a, b] = yield* spawnPlugins(2)
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      assert.isTrue(Dispatcher.isDispatcher(dispatcher))
      assert.isFalse(Dispatcher.isDispatcher(a!.ref))
      yield* dispatcher.pipe(Dispatcher.add(a!.ref))
      yield* dispatcher.pipe(Dispatcher.add(b!.ref, { topics: [] }))
      for (let id = 0; id < 4; id++) yield* dispatcher.pipe(Dispatcher.dispatch(new Event({ id, key: "" })))
      yield* dispatcher.pipe(Dispatcher.remove(b!.ref, { mode: "drain" }))
      yield* dispatcher.pipe(Dispatcher.dispatch(new Event({ id: 4, key: "" })))
      assert.deepStrictEqual(yield* Dispatcher.plugins(dispatcher), [a!.ref])
      yield* drainAll([a!, b!])
      assert.deepStrictEqual([a!.seen, b!.seen], [[0, 2, 4], [1, 3]])
    })))

  it.effect("broadcast: every plugin gets every message", () =>
    run(Effect.gen(function*() {
      const plugins = yield* spawnPlugins(3)
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      for (const { ref } of plugins) yield* Dispatcher.add(dispatcher, ref)
      for (let id = 0; id < 4; id++) yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: "" }))
      yield* drainAll(plugins)
      for (const { seen } of plugins) assert.deepStrictEqual(seen, [0, 1, 2, 3])
    })))

  it.effect("round-robin: each message to one plugin, in turn", () =>
    run(Effect.gen(function*() {
      const plugins = yield* spawnPlugins(3)
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      for (const { ref } of plugins) yield* Dispatcher.add(dispatcher, ref)
      for (let id = 0; id < 6; id++) yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: "" }))
      yield* drainAll(plugins)
      assert.deepStrictEqual(plugins.map(({ seen }) => seen), [[0, 3], [1, 4], [2, 5]])
    })))

  it.effect("consistent hash: a key sticks to one plugin; removing a plugin moves only its keys", () =>
    run(Effect.gen(function*() {
      const plugins = yield* spawnPlugins(4)
      const dispatcher = yield* Dispatcher.make<Plugin>(
        Dispatcher.consistentHash((message) => (message._tag === "Event" ? message.key : ""))
      )
      for (const { ref } of plugins) yield* Dispatcher.add(dispatcher, ref)
      const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`)
      for (const [id, key] of keys.entries()) {
        yield* Dispatcher.dispatch(dispatcher, new Event({ id, key }))
        yield* Dispatcher.dispatch(dispatcher, new Event({ id, key }))
      }
      yield* Effect.forEach(plugins, ({ ref }) => Actor.ask(ref, new Count()), { discard: true })
      const owner = new Map<number, number>()
      plugins.forEach(({ seen }, p) => seen.forEach((id) => owner.set(id, p)))
      // Both copies of a key went to the same plugin, and every plugin got some keys.
      plugins.forEach(({ seen }, p) => {
        for (const id of seen) assert.strictEqual(owner.get(id), p)
        assert.isAbove(seen.length, 0)
      })
      const removed = plugins[0]!
      yield* Dispatcher.remove(dispatcher, removed.ref)
      const before = plugins.map(({ seen }) => seen.length)
      for (const [id, key] of keys.entries()) yield* Dispatcher.dispatch(dispatcher, new Event({ id, key }))
      yield* drainAll(plugins)
      assert.strictEqual(removed.seen.length, before[0])
      for (const [p, { seen }] of plugins.entries()) {
        if (p === 0) continue
        for (const id of seen.slice(before[p])) {
          const previous = owner.get(id)
          // A key either stayed where it was or came from the removed plugin.
          assert.isTrue(previous === p || previous === 0, `key ${id} moved from ${previous} to ${p}`)
        }
      }
    })))

  it.effect("topic: subscribers only; a message nobody subscribes to is a NoRoute dead letter", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const plugins = yield* spawnPlugins(2)
      const dispatcher = yield* Dispatcher.make<Plugin>(
        Dispatcher.topic((message) => (message._tag === "Event" ? message.key : "control"))
      )
      yield* Dispatcher.add(dispatcher, plugins[0]!.ref, { topics: ["orders"] })
      yield* Dispatcher.add(dispatcher, plugins[1]!.ref, { topics: ["orders", "users"] })
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 1, key: "orders" }))
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 2, key: "users" }))
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 3, key: "billing" }))
      yield* drainAll(plugins)
      assert.deepStrictEqual(plugins.map(({ seen }) => seen), [[1], [1, 2]])
      const dead = Chunk.toArray(yield* receivedSoFar(letters))
      assert.deepStrictEqual(dead.map((l) => [l.reason, (l.message as Event).id]), [["NoRoute", 3]])
    })))

  it.effect("a slow plugin with a dropping lane loses only its own copies", () =>
    run(Effect.gen(function*() {
      const slow = [] as Array<number>
      const fast = [] as Array<number>
      const slowRef = yield* Actor.spawn(plugin(slow), { mailbox: { capacity: 2, strategy: "dropping" } })
      const fastRef = yield* Actor.spawn(plugin(fast), { mailbox: { capacity: 64 } })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      yield* Dispatcher.add(dispatcher, slowRef)
      yield* Dispatcher.add(dispatcher, fastRef)
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(slowRef, new Hold({ gate }))
      yield* Effect.yieldNow()
      for (let id = 0; id < 10; id++) yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: "" }))
      yield* Deferred.succeed(gate, undefined)
      yield* drainAll([{ ref: slowRef }, { ref: fastRef }])
      assert.strictEqual(fast.length, 10)
      assert.deepStrictEqual(slow, [0, 1])
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 8)
    })))

  it.effect("remove with drain: the plugin finishes its queue and gets nothing new", () =>
    run(Effect.gen(function*() {
      const plugins = yield* spawnPlugins(2)
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      for (const { ref } of plugins) yield* Dispatcher.add(dispatcher, ref)
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(plugins[0]!.ref, new Hold({ gate }))
      for (let id = 0; id < 4; id++) yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: "" }))
      yield* Dispatcher.remove(dispatcher, plugins[0]!.ref, { mode: "drain" })
      for (let id = 4; id < 6; id++) yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: "" }))
      yield* Deferred.succeed(gate, undefined)
      yield* drainAll(plugins)
      assert.deepStrictEqual(plugins.map(({ seen }) => seen), [[0, 2], [1, 3, 4, 5]])
    })))

  it.effect("a plugin removed while a broadcast waits on its full lane: the others still get the message", () =>
    run(Effect.gen(function*() {
      const leaving = [] as Array<number>
      const staying = [] as Array<number>
      const leavingRef = yield* Actor.spawn(plugin(leaving), { mailbox: { capacity: 1 } })
      const stayingRef = yield* Actor.spawn(plugin(staying), { mailbox: { capacity: 64 } })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      yield* Dispatcher.add(dispatcher, leavingRef)
      yield* Dispatcher.add(dispatcher, stayingRef)
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(leavingRef, new Hold({ gate }))
      yield* Effect.yieldNow()
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 0, key: "" })) // fills the leaving lane
      const waiting = yield* Effect.fork(Dispatcher.dispatch(dispatcher, new Event({ id: 1, key: "" })))
      yield* Effect.yieldNow()
      yield* Dispatcher.remove(dispatcher, leavingRef)
      const stopping = yield* Effect.fork(Actor.stop(leavingRef, { mode: "drain" }))
      yield* Fiber.join(waiting)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(stopping)
      yield* drainAll([{ ref: stayingRef }])
      assert.deepStrictEqual(staying, [0, 1])
      assert.deepStrictEqual(leaving, [0])
      const letters = yield* ActorSystem.deadLetterCount
      assert.strictEqual(letters, 1)
    })))

  it.effect("remove with handBack: queued messages go to the remaining plugins", () =>
    run(Effect.gen(function*() {
      const plugins = yield* spawnPlugins(2)
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      for (const { ref } of plugins) yield* Dispatcher.add(dispatcher, ref)
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(plugins[0]!.ref, new Hold({ gate }))
      yield* Effect.yieldNow()
      for (let id = 0; id < 4; id++) yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: "" }))
      yield* Dispatcher.remove(dispatcher, plugins[0]!.ref, { mode: "handBack" })
      assert.deepStrictEqual(yield* Dispatcher.plugins(dispatcher), [plugins[1]!.ref])
      yield* Deferred.succeed(gate, undefined)
      yield* drainAll(plugins)
      assert.deepStrictEqual(plugins[0]!.seen, [])
      assert.deepStrictEqual([...plugins[1]!.seen].sort(), [0, 1, 2, 3])
    })))

  it.effect("no plugins: NoRoute", () =>
    run(Effect.gen(function*() {
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 0, key: "" }))
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 1)
    })))

  it.effect.prop(
    "hot add/remove under load: every message is processed exactly once or dead-lettered",
    {
      ops: FastCheck.array(
        FastCheck.oneof(
          FastCheck.constant({ _tag: "dispatch" as const }),
          FastCheck.constant({ _tag: "dispatch" as const }),
          FastCheck.constant({ _tag: "add" as const }),
          FastCheck.record({ _tag: FastCheck.constant("remove" as const), handBack: FastCheck.boolean() })
        ),
        { maxLength: 80 }
      ),
      routing: FastCheck.constantFrom("roundRobin" as const, "hash" as const)
    },
    ({ ops, routing }) =>
      run(Effect.gen(function*() {
        const letters = yield* ActorSystem.subscribeDeadLetters
        const dispatcher = yield* Dispatcher.make<Plugin>(
          routing === "roundRobin"
            ? Dispatcher.roundRobin
            : Dispatcher.consistentHash((message) => (message._tag === "Event" ? message.key : ""))
        )
        const all: Array<{ ref: Actor.ActorRef<Plugin>; seen: Array<number> }> = []
        const active: Array<{ ref: Actor.ActorRef<Plugin>; seen: Array<number> }> = []
        let id = 0
        for (const op of ops) {
          if (op._tag === "dispatch") {
            yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: `k${id % 7}` }))
            id++
          } else if (op._tag === "add") {
            const seen: Array<number> = []
            const ref = yield* Actor.spawn(plugin(seen), { mailbox: { capacity: 1024 } })
            all.push({ ref, seen })
            active.push({ ref, seen })
            yield* Dispatcher.add(dispatcher, ref)
          } else if (active.length > 0) {
            const [removed] = active.splice(0, 1)
            yield* Dispatcher.remove(dispatcher, removed!.ref, { mode: op.handBack ? "handBack" : "drain" })
          }
        }
        yield* drainAll(all)
        const counts = new Map<number, number>()
        for (const { seen } of all) for (const n of seen) counts.set(n, (counts.get(n) ?? 0) + 1)
        const dead = Chunk.toArray(yield* receivedSoFar(letters))
        for (const letter of dead) {
          assert.strictEqual(letter.reason, "NoRoute" satisfies DeadLetter.Reason)
          const n = (letter.message as Event).id
          counts.set(n, (counts.get(n) ?? 0) + 1)
        }
        for (let n = 0; n < id; n++) assert.strictEqual(counts.get(n), 1, `message ${n}`)
      })),
    { fastCheck: { numRuns: 100 } }
  )
})
