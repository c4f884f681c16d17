import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem, type Lifecycle } from "@weft/actor"
import type { Broadcast } from "@weft/channel"
import { Dispatcher } from "@weft/dispatch"
import type { Scope } from "effect"
import { Chunk, Data, Deferred, Effect, FastCheck, Fiber, Option } from "effect"
import { receivedSoFar } from "./fixtures.js"

class Event extends Data.TaggedClass("Event")<{ readonly id: number; readonly key: string }> {}
class Hold extends Data.TaggedClass("Hold")<{ readonly gate: Deferred.Deferred<void> }> {}
type Plugin = Event | Hold

/** Records the events it handles; with `crashes`, dies on every event instead. */
const plugin = (seen: Array<number>, crashes = false) =>
  Actor.behavior<Plugin>()({
    initialState: 0,
    handlers: {
      Event: (message, count) =>
        crashes ? Effect.dieMessage("plugin crashed") : Effect.sync(() => {
          seen.push(message.id)
          return count + 1
        }),
      Hold: (message, count) => Effect.as(Deferred.await(message.gate), count)
    }
  })

const run = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

const spawnPlugin = (options?: Actor.SpawnOptions & { readonly crashes?: boolean }) =>
  Effect.gen(function*() {
    const seen: Array<number> = []
    const ref = yield* Actor.spawn(plugin(seen, options?.crashes), options)
    return { ref, seen }
  })

const stopForGood: Actor.SpawnOptions = { supervision: { strategy: "stop" } }

const deadLetterIds = (queue: Broadcast.Subscription<{ readonly message: unknown; readonly reason: string }>) =>
  Effect.map(
    receivedSoFar(queue),
    (letters) =>
      Chunk.toArray(letters).map((letter) =>
        `${letter.reason}:${letter.message instanceof Event ? letter.message.id : "Hold"}`
      )
  )

const pluginRemovals = (queue: Broadcast.Subscription<Lifecycle.LifecycleEvent>) =>
  Effect.map(receivedSoFar(queue), (events) =>
    Chunk.toArray(events).flatMap((event) =>
      event._tag === "PluginRemoved"
        ? [`${event.actor.name}:${Option.match(event.reason, { onNone: () => "removed", onSome: (r) => r._tag })}`]
        : []
    ))

describe("Dispatcher: death watch", () => {
  it.effect("round-robin: a plugin that crashed for good leaves; only messages in flight to it are dead letters", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const events = yield* ActorSystem.subscribeLifecycle
      const good = yield* spawnPlugin({ name: "good" })
      const bad = yield* spawnPlugin({ ...stopForGood, name: "bad", crashes: true })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      yield* Dispatcher.add(dispatcher, good.ref)
      yield* Dispatcher.add(dispatcher, bad.ref)
      // The first message dispatched once the dispatcher no longer lists the dead plugin.
      let leftAt: number | undefined
      for (let id = 0; id < 1000; id++) {
        if (leftAt === undefined && !(yield* Dispatcher.plugins(dispatcher)).includes(bad.ref)) leftAt = id
        yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: "" }))
        yield* Effect.yieldNow()
      }
      assert.deepStrictEqual(yield* Dispatcher.plugins(dispatcher), [good.ref])
      assert.deepStrictEqual(yield* pluginRemovals(events), ["bad:Failed"])
      yield* Actor.stop(good.ref, { mode: "drain" })
      assert.isDefined(leftAt)
      const dead = yield* deadLetterIds(letters)
      // Its first message crashed it; what was routed to it before it left is dead-lettered, counted.
      assert.strictEqual(dead[0], "Crashed:1")
      for (const letter of dead.slice(1)) assert.match(letter, /^ActorStopped:/)
      for (const letter of dead) assert.isBelow(Number(letter.split(":")[1]), leftAt!)
      assert.isBelow(dead.length, 10)
      // Every message is either processed or a dead letter: none lost, none after it left.
      assert.strictEqual(good.seen.length + dead.length, 1000)
      assert.deepStrictEqual(good.seen.filter((id) => id >= leftAt!).length, 1000 - leftAt!)
    })))

  it.effect("consistent hash: the dead plugin's keys move to live plugins, the others stay", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const plugins = [yield* spawnPlugin(), yield* spawnPlugin(), yield* spawnPlugin()]
      const dispatcher = yield* Dispatcher.make<Plugin>(
        Dispatcher.consistentHash((message) => message._tag === "Event" ? message.key : "")
      )
      for (const { ref } of plugins) yield* Dispatcher.add(dispatcher, ref)
      const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`)
      const ownerOf = (id: number) => plugins.findIndex(({ seen }) => seen.includes(id))
      for (let i = 0; i < keys.length; i++) yield* Dispatcher.dispatch(dispatcher, new Event({ id: i, key: keys[i]! }))
      const victim = plugins[1]!
      // The victim finishes what it was sent, then dies.
      yield* Actor.stop(victim.ref, { mode: "drain" })
      for (let i = 0; i < keys.length; i++) {
        yield* Dispatcher.dispatch(dispatcher, new Event({ id: 1000 + i, key: keys[i]! }))
      }
      for (const { ref } of [plugins[0]!, plugins[2]!]) yield* Actor.stop(ref, { mode: "drain" })
      let moved = 0
      for (let i = 0; i < keys.length; i++) {
        const before = ownerOf(i)
        const after = ownerOf(1000 + i)
        assert.notStrictEqual(after, -1, `key ${keys[i]} was delivered`)
        if (before === 1) {
          assert.notStrictEqual(after, 1)
          moved++
        } else {
          assert.strictEqual(after, before, `key ${keys[i]} stays`)
        }
      }
      assert.isAbove(moved, 0)
      assert.deepStrictEqual(yield* deadLetterIds(letters), [])
    })))

  it.effect("broadcast: the live plugins get everything; nothing goes to the dead one", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const events = yield* ActorSystem.subscribeLifecycle
      const plugins = [yield* spawnPlugin(), yield* spawnPlugin({ name: "victim" }), yield* spawnPlugin()]
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.broadcast)
      for (const { ref } of plugins) yield* Dispatcher.add(dispatcher, ref)
      yield* Actor.stop(plugins[1]!.ref, { mode: "kill" })
      for (let id = 0; id < 10; id++) yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: "" }))
      assert.deepStrictEqual(yield* pluginRemovals(events), ["victim:Killed"])
      for (const { ref } of [plugins[0]!, plugins[2]!]) yield* Actor.stop(ref, { mode: "drain" })
      const all = Array.from({ length: 10 }, (_, id) => id)
      assert.deepStrictEqual(plugins[0]!.seen, all)
      assert.deepStrictEqual(plugins[2]!.seen, all)
      assert.deepStrictEqual(yield* deadLetterIds(letters), [])
    })))

  it.effect("topic: the dead plugin's subscriptions go with it", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const events = yield* ActorSystem.subscribeLifecycle
      const a = yield* spawnPlugin({ name: "a" })
      const b = yield* spawnPlugin({ name: "b" })
      const c = yield* spawnPlugin({ name: "c" })
      const dispatcher = yield* Dispatcher.make<Plugin>(
        Dispatcher.topic((message) => message._tag === "Event" ? message.key : "")
      )
      yield* Dispatcher.add(dispatcher, a.ref, { topics: ["x"] })
      yield* Dispatcher.add(dispatcher, b.ref, { topics: ["x", "y"] })
      yield* Dispatcher.add(dispatcher, c.ref, { topics: ["x"] })
      yield* Actor.stop(b.ref)
      yield* Dispatcher.remove(dispatcher, c.ref)
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 0, key: "x" }))
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 1, key: "y" }))
      assert.deepStrictEqual(yield* pluginRemovals(events), ["b:Stopped", "c:removed"])
      yield* Actor.stop(a.ref, { mode: "drain" })
      assert.deepStrictEqual(a.seen, [0])
      // Only b subscribed to "y": with b gone, nobody routes it (not a message to a dead actor).
      assert.deepStrictEqual(yield* deadLetterIds(letters), ["NoRoute:1"])
    })))

  it.effect("a plugin added after it terminated never joins, and the event says so", () =>
    run(Effect.gen(function*() {
      const events = yield* ActorSystem.subscribeLifecycle
      const gone = yield* spawnPlugin({ name: "gone" })
      yield* Actor.stop(gone.ref)
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      yield* Dispatcher.add(dispatcher, gone.ref)
      assert.deepStrictEqual(yield* Dispatcher.plugins(dispatcher), [])
      assert.deepStrictEqual(yield* pluginRemovals(events), ["gone:Stopped"])
    })))

  it.effect("race: a dispatch waiting on the lane of a plugin that dies is a dead letter; later ones go elsewhere", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const live = yield* spawnPlugin()
      const dying = yield* spawnPlugin({ mailbox: { capacity: 1 } })
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      yield* Dispatcher.add(dispatcher, live.ref)
      yield* Dispatcher.add(dispatcher, dying.ref)
      const gate = yield* Deferred.make<void>()
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 0, key: "" }))
      yield* Dispatcher.dispatch(dispatcher, new Hold({ gate })) // dying: parked in its handler
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 2, key: "" }))
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 3, key: "" })) // dying: fills its lane
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 4, key: "" }))
      const waiting = yield* Effect.fork(Dispatcher.dispatch(dispatcher, new Event({ id: 5, key: "" })))
      yield* Effect.yieldNow()
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)))
      yield* Actor.stop(dying.ref, { mode: "kill" })
      // The waiting dispatch ends: its message met a dead plugin and is a dead letter, not an error.
      yield* Fiber.join(waiting)
      for (let id = 6; id < 10; id++) yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: "" }))
      yield* Actor.stop(live.ref, { mode: "drain" })
      assert.deepStrictEqual(live.seen, [0, 2, 4, 6, 7, 8, 9])
      assert.deepStrictEqual((yield* deadLetterIds(letters)).sort(), [
        "ActorStopped:3",
        "ActorStopped:5",
        "Killed:Hold"
      ])
    })))

  it.effect("a plugin that is stopping dead-letters its message; the dispatch does not fail", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const leaving = yield* spawnPlugin()
      const dispatcher = yield* Dispatcher.make<Plugin>(Dispatcher.roundRobin)
      yield* Dispatcher.add(dispatcher, leaving.ref)
      const gate = yield* Deferred.make<void>()
      yield* Dispatcher.dispatch(dispatcher, new Hold({ gate }))
      yield* Effect.yieldNow()
      const stopping = yield* Effect.fork(Actor.stop(leaving.ref))
      yield* Effect.yieldNow()
      yield* Dispatcher.dispatch(dispatcher, new Event({ id: 1, key: "" }))
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(stopping)
      assert.deepStrictEqual(yield* deadLetterIds(letters), ["ActorStopping:1"])
      assert.deepStrictEqual(yield* Dispatcher.plugins(dispatcher), [])
    })))

  it.effect.prop(
    "plugins dying while messages flow: each message processed once or dead-lettered once, none after its plugin left",
    {
      ops: FastCheck.array(
        FastCheck.oneof(
          FastCheck.constant({ _tag: "dispatch" as const }),
          FastCheck.constant({ _tag: "dispatch" as const }),
          FastCheck.constant({ _tag: "yield" as const }),
          FastCheck.record({ _tag: FastCheck.constant("kill" as const), victim: FastCheck.nat(3) })
        ),
        { maxLength: 60 }
      ),
      routing: FastCheck.constantFrom("roundRobin" as const, "hash" as const, "broadcast" as const)
    },
    ({ ops, routing }) =>
      run(Effect.gen(function*() {
        const letters = yield* ActorSystem.subscribeDeadLetters
        const dispatcher = yield* Dispatcher.make<Plugin>(
          routing === "roundRobin"
            ? Dispatcher.roundRobin
            : routing === "hash"
            ? Dispatcher.consistentHash((message) => (message._tag === "Event" ? message.key : ""))
            : Dispatcher.broadcast
        )
        const plugins = [yield* spawnPlugin(), yield* spawnPlugin(), yield* spawnPlugin(), yield* spawnPlugin()]
        for (const { ref } of plugins) yield* Dispatcher.add(dispatcher, ref)
        // Per message: how many plugins it was routed among (the dispatcher's set just before).
        const routedTo: Array<ReadonlyArray<Actor.ActorRef<Plugin>>> = []
        for (const op of ops) {
          if (op._tag === "dispatch") {
            const id = routedTo.length
            routedTo.push(yield* Dispatcher.plugins(dispatcher))
            yield* Dispatcher.dispatch(dispatcher, new Event({ id, key: `k${id % 7}` }))
          } else if (op._tag === "yield") {
            yield* Effect.yieldNow()
          } else {
            // Killed without waiting: it dies whenever the scheduler lets it.
            yield* Effect.fork(Actor.stop(plugins[op.victim]!.ref, { mode: "kill" }))
          }
        }
        yield* Effect.forEach(plugins, ({ ref }) => Actor.stop(ref, { mode: "drain" }), { discard: true })
        const copies = new Map<number, number>()
        for (const { seen } of plugins) for (const id of seen) copies.set(id, (copies.get(id) ?? 0) + 1)
        for (const letter of Chunk.toArray(yield* receivedSoFar(letters))) {
          const id = (letter.message as Event).id
          copies.set(id, (copies.get(id) ?? 0) + 1)
          // A dead plugin's dead letters are only of messages routed while it was still listed.
          if (letter.reason !== "NoRoute") {
            assert.isTrue(routedTo[id]!.some((ref) => ref.name === letter.actor), `message ${id} to ${letter.actor}`)
          }
        }
        for (let id = 0; id < routedTo.length; id++) {
          // Broadcast: one copy per plugin it was routed among; otherwise exactly one (or a NoRoute).
          const expected = routing === "broadcast" ? Math.max(1, routedTo[id]!.length) : 1
          assert.strictEqual(copies.get(id), expected, `message ${id}`)
        }
      })),
    { fastCheck: { numRuns: 60 } }
  )
})
