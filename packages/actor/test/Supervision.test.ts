import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem, type DeadLetter, Supervision } from "@weft/actor"
import type { Scope } from "effect"
import { Cause, Chunk, Data, Deferred, Effect, Fiber, Schedule, Supervisor as FiberSupervisor, TestClock } from "effect"
import { Add, Block, counter, Crash, Get, type Log, receivedSoFar } from "./fixtures.js"

const run = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

/** Gives each child some state, crashes `b`, and reports every child's state afterwards. */
const crashMiddle = (strategy: Supervision.Strategy) =>
  Effect.gen(function*() {
    const group = yield* Supervision.start({
      strategy,
      restarts: Schedule.forever,
      children: { a: Supervision.child(counter()), b: Supervision.child(counter()), c: Supervision.child(counter()) }
    })
    const { a, b, c } = group.children
    for (const ref of [a, b, c]) yield* Actor.tell(ref, new Add({ n: 5 }))
    // Every child has handled its Add before the crash (a Restart would otherwise overtake it).
    for (const ref of [a, b, c]) assert.strictEqual(yield* Actor.ask(ref, new Get()), 5)
    yield* Actor.tell(b, new Crash())
    // The crashed child restarted before it answers; give the siblings' Restart a turn too.
    assert.strictEqual(yield* Actor.ask(b, new Get()), 0)
    return [yield* Actor.ask(a, new Get()), yield* Actor.ask(b, new Get()), yield* Actor.ask(c, new Get())]
  })

class Note extends Data.TaggedClass("Note")<{ readonly text: string }> {}

/** Records, in `log`, every note it handles and its own stop, by name. */
const noting = (name: string, log: Log) =>
  Actor.behavior<Note | Block>()({
    initialState: 0,
    handlers: {
      Note: (message, n) => Effect.sync(() => (log.handled.push(`${name}:${message.text}`), n + 1)),
      Block: (message, n) => Effect.as(Deferred.await(message.gate), n)
    },
    onStop: () => Effect.sync(() => log.handled.push(`${name} stopped`))
  })

/** A tree: root (one-for-one, `rootRestarts`) ⊃ { mid (one-for-one, `midRestarts`) ⊃ { leaf group ⊃ { x }, z }, y }. */
const tree = (options: {
  readonly rootRestarts: Schedule.Schedule<unknown, Cause.Cause<unknown>>
  readonly midRestarts: Schedule.Schedule<unknown, Cause.Cause<unknown>>
  readonly leafRestarts: Schedule.Schedule<unknown, Cause.Cause<unknown>>
}) =>
  Supervision.start({
    name: "root",
    strategy: "one-for-one",
    restarts: options.rootRestarts,
    children: {
      mid: Supervision.group({
        name: "mid",
        strategy: "one-for-one",
        restarts: options.midRestarts,
        children: {
          leaf: Supervision.group({
            name: "leaf",
            strategy: "one-for-one",
            restarts: options.leafRestarts,
            children: { x: Supervision.child(counter()) }
          }),
          z: Supervision.child(counter())
        }
      }),
      y: Supervision.child(counter())
    }
  })

describe("Supervisor: strategies", () => {
  it.effect("one-for-one restarts only the crashed child", () =>
    run(Effect.gen(function*() {
      assert.deepStrictEqual(yield* crashMiddle("one-for-one"), [5, 0, 5])
    })))

  it.effect("one-for-all restarts every child", () =>
    run(Effect.gen(function*() {
      assert.deepStrictEqual(yield* crashMiddle("one-for-all"), [0, 0, 0])
    })))

  it.effect("rest-for-one restarts the crashed child and the later ones only", () =>
    run(Effect.gen(function*() {
      assert.deepStrictEqual(yield* crashMiddle("rest-for-one"), [5, 0, 0])
    })))

  it.effect("a restarted sibling keeps its mailbox: the Restart overtakes its queue, which the new incarnation handles", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        strategy: "one-for-all",
        restarts: Schedule.forever,
        children: { a: Supervision.child(counter()), b: Supervision.child(counter()) }
      })
      const { a, b } = group.children
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(b, new Add({ n: 100 }))
      yield* Actor.tell(b, new Block({ gate }))
      yield* Actor.tell(b, new Add({ n: 2 })) // queued behind the Block
      yield* Actor.tell(a, new Crash())
      yield* Actor.tell(a, new Add({ n: 1 })) // queued behind the crash
      assert.strictEqual(yield* Actor.ask(a, new Get()), 1)
      assert.strictEqual(yield* Actor.mailboxSize(b), 1)
      yield* Deferred.succeed(gate, undefined)
      // b restarted after the Block (dropping the 100), then handled its queued Add(2).
      assert.strictEqual(yield* Actor.ask(b, new Get()), 2)
    })))

  it.effect("the group's backoff comes from its schedule", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        restarts: Schedule.spaced("1 second"),
        children: { a: Supervision.child(counter()) }
      })
      yield* Actor.tell(group.children.a, new Crash())
      const asked = yield* Effect.fork(Actor.ask(group.children.a, new Get(), { timeout: "10 seconds" }))
      yield* Effect.yieldNow()
      assert.isNull(asked.unsafePoll())
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(asked), 0)
    })))

  it.effect("an exhausted schedule fails the group: the crashed child fails, the others stop, the group fails", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        restarts: Schedule.recurs(1),
        children: { a: Supervision.child(counter()), b: Supervision.child(counter()) }
      })
      const failed = yield* Effect.fork(group.failed)
      yield* Actor.tell(group.children.a, new Crash())
      yield* Actor.tell(group.children.a, new Crash())
      assert.isTrue(Cause.isDie(yield* Fiber.join(failed)))
      assert.strictEqual((yield* Actor.awaitTermination(group.children.a)).reason._tag, "Failed")
      assert.strictEqual((yield* Actor.awaitTermination(group.children.b)).reason._tag, "Stopped")
      const ended = yield* Actor.awaitTermination(group.ref)
      assert.strictEqual(ended.reason._tag, "Failed")
      assert.isTrue(ended.reason._tag === "Failed" && Cause.isDie(ended.reason.cause))
    })))

  it.effect("a group started in a handler escalates its failure to that actor", () =>
    run(Effect.gen(function*() {
      class StartGroup extends Data.TaggedClass("StartGroup")<{
        readonly started: Deferred.Deferred<Actor.ActorRef<Crash>>
      }> {}
      const owner = Actor.behavior<StartGroup>()({
        initialState: 0,
        handlers: {
          StartGroup: (message, n) =>
            Effect.gen(function*() {
              const group = yield* Supervision.start({
                strategy: "one-for-one",
                restarts: Schedule.stop,
                children: { w: Supervision.child(counter()) }
              })
              yield* Deferred.succeed(message.started, group.children.w)
              return n
            }).pipe(Effect.orDie)
        }
      })
      const ref = yield* Actor.spawn(owner, { supervision: { strategy: "stop" } })
      const started = yield* Deferred.make<Actor.ActorRef<Crash>>()
      yield* Actor.tell(ref, new StartGroup({ started }))
      yield* Actor.tell(yield* Deferred.await(started), new Crash())
      const ended = yield* Actor.awaitTermination(ref)
      assert.strictEqual(ended.reason._tag, "Failed")
    })))
})

describe("Supervisor: a group is an actor", () => {
  it.effect("it is registered by name and its ref is typed and watchable", () =>
    run(Effect.gen(function*() {
      const log: Log = { handled: [] }
      const group = yield* Supervision.start({
        name: "workers",
        strategy: "one-for-one",
        children: { a: Supervision.child(noting("a", log)) }
      })
      assert.isTrue((yield* ActorSystem.lookup("workers")).pipe((found) => found._tag === "Some"))
      const deaths: Array<string> = []
      const watcher = yield* Actor.spawn(
        Actor.behavior<Note>()({
          initialState: 0,
          handlers: { Note: (_, n) => Effect.succeed(n) },
          onTerminated: (terminated, n) =>
            Effect.sync(() => (deaths.push(`${terminated.actor.name}:${terminated.reason._tag}`), n + 1))
        })
      )
      yield* Actor.watch(watcher, group.ref)
      assert.strictEqual((yield* Actor.stop(group.ref)).reason._tag, "Stopped")
      // The notification went to the watcher's system lane, ahead of this user message.
      yield* Actor.tell(watcher, new Note({ text: "after" }))
      yield* Actor.stop(watcher, { mode: "drain" })
      assert.deepStrictEqual(deaths, ["workers:Stopped"])
      assert.strictEqual((yield* Actor.awaitTermination(group.children.a)).reason._tag, "Stopped")
    })))

  it.effect("stop: the children stop in reverse start order, each after its current message", () =>
    run(Effect.gen(function*() {
      const log: Log = { handled: [] }
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        children: {
          a: Supervision.child(noting("a", log)),
          b: Supervision.child(noting("b", log)),
          c: Supervision.child(noting("c", log))
        }
      })
      const letters = yield* ActorSystem.subscribeDeadLetters
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(group.children.a, new Block({ gate }))
      yield* Actor.tell(group.children.a, new Note({ text: "queued" }))
      const stopping = yield* Effect.fork(Actor.stop(group.ref, { mode: "stop" }))
      yield* Actor.awaitTermination(group.children.b)
      // Give the group's loop the turn in which it moves on to a.
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      assert.deepStrictEqual(log.handled, ["c stopped", "b stopped"])
      // a is stopping: new messages are turned away while its current one finishes.
      const late = yield* Effect.either(Actor.tell(group.children.a, new Note({ text: "late" })))
      assert.isTrue(late._tag === "Left" && late.left._tag === "ActorStopping")
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual((yield* Fiber.join(stopping)).reason._tag, "Stopped")
      assert.deepStrictEqual(log.handled, ["c stopped", "b stopped", "a stopped"])
      const dead = Chunk.toArray(yield* receivedSoFar(letters)).map((letter: DeadLetter.DeadLetter) => letter.reason)
      // "late" was turned away, "queued" was dead-lettered when a stopped.
      assert.deepStrictEqual(dead, ["ActorStopping", "ActorStopped"])
    })))

  it.effect("drain: every child works through its queue, last started first", () =>
    run(Effect.gen(function*() {
      const log: Log = { handled: [] }
      const group = yield* Supervision.start({
        strategy: "one-for-all",
        children: { a: Supervision.child(noting("a", log)), b: Supervision.child(noting("b", log)) }
      })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(group.children.a, new Block({ gate }))
      yield* Actor.tell(group.children.a, new Note({ text: "1" }))
      yield* Actor.tell(group.children.b, new Note({ text: "2" }))
      const stopping = yield* Effect.fork(Actor.stop(group.ref, { mode: "drain" }))
      yield* Effect.yieldNow()
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual((yield* Fiber.join(stopping)).reason._tag, "Stopped")
      // Both queues were worked through; a was told to drain only once b was gone.
      assert.sameMembers(log.handled, ["b:2", "b stopped", "a:1", "a stopped"])
      assert.isBelow(log.handled.indexOf("b:2"), log.handled.indexOf("b stopped"))
      assert.isBelow(log.handled.indexOf("b stopped"), log.handled.indexOf("a stopped"))
    })))

  it.effect("kill: every child is killed, a blocked one mid-message", () =>
    run(Effect.gen(function*() {
      const log: Log = { handled: [] }
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        children: { a: Supervision.child(noting("a", log)), b: Supervision.child(noting("b", log)) }
      })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(group.children.b, new Block({ gate }))
      yield* Effect.yieldNow()
      assert.strictEqual((yield* Actor.stop(group.ref, { mode: "kill" })).reason._tag, "Killed")
      assert.strictEqual((yield* Actor.awaitTermination(group.children.a)).reason._tag, "Killed")
      assert.strictEqual((yield* Actor.awaitTermination(group.children.b)).reason._tag, "Killed")
      // A kill runs no onStop.
      assert.deepStrictEqual(log.handled, [])
    })))

  it.effect("a graceful group stop that overruns its timeout kills the rest", () =>
    run(Effect.gen(function*() {
      const log: Log = { handled: [] }
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        children: { a: Supervision.child(noting("a", log)), b: Supervision.child(noting("b", log)) }
      })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(group.children.b, new Block({ gate }))
      yield* Effect.yieldNow()
      const stopping = yield* Effect.fork(Actor.stop(group.ref, { timeout: "1 second" }))
      yield* TestClock.adjust("999 millis")
      assert.isNull(stopping.unsafePoll())
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Fiber.join(stopping)).reason._tag, "Killed")
      assert.strictEqual((yield* Actor.awaitTermination(group.children.b)).reason._tag, "Killed")
      assert.strictEqual((yield* Actor.awaitTermination(group.children.a)).reason._tag, "Killed")
    })))

  it.effect("a child waiting out its restart backoff does not hold up the group's stop", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        restarts: Schedule.spaced("1 hour"),
        children: { a: Supervision.child(counter()) }
      })
      yield* Actor.tell(group.children.a, new Crash())
      yield* Effect.yieldNow()
      // No clock advance: the stop cuts the hour-long backoff short.
      assert.strictEqual((yield* Actor.stop(group.ref)).reason._tag, "Stopped")
      assert.strictEqual((yield* Actor.awaitTermination(group.children.a)).reason._tag, "Stopped")
    })))

  it.effect("closing the scope stops the group and its children", () =>
    Effect.gen(function*() {
      const group = yield* Effect.scoped(Supervision.start({
        strategy: "one-for-one",
        children: { a: Supervision.child(counter()) }
      }))
      assert.strictEqual((yield* Actor.awaitTermination(group.ref)).reason._tag, "Stopped")
      assert.strictEqual((yield* Actor.awaitTermination(group.children.a)).reason._tag, "Stopped")
    }).pipe(Effect.provide(ActorSystem.layer())))

  it.effect("closing the layer drains a tree through its groups: children last started first", () =>
    Effect.gen(function*() {
      const log: Log = { handled: [] }
      yield* Effect.gen(function*() {
        const root = yield* Supervision.start({
          strategy: "one-for-one",
          children: {
            a: Supervision.child(noting("a", log)),
            inner: Supervision.group({
              strategy: "one-for-one",
              children: { b: Supervision.child(noting("b", log)), c: Supervision.child(noting("c", log)) }
            })
          }
        })
        yield* Actor.tell(root.children.a, new Note({ text: "1" }))
        yield* Actor.tell(root.children.inner.children.b, new Note({ text: "2" }))
      }).pipe(Effect.provide(ActorSystem.layer()))
      assert.deepStrictEqual(log.handled.filter((line) => line.endsWith("stopped")), [
        "c stopped",
        "b stopped",
        "a stopped"
      ])
      assert.sameMembers(log.handled.filter((line) => !line.endsWith("stopped")), ["a:1", "b:2"])
    }).pipe(Effect.scoped))

  it.effect("a child that fails to start stops the group and the children already started", () =>
    run(Effect.gen(function*() {
      const taken = yield* Actor.spawn(counter(), { name: "taken" })
      const result = yield* Effect.either(Supervision.start({
        name: "doomed",
        strategy: "one-for-one",
        children: {
          a: Supervision.child(counter(), { name: "first" }),
          b: Supervision.child(counter(), { name: "taken" })
        }
      }))
      assert.isTrue(result._tag === "Left" && result.left._tag === "NameTaken")
      const actors = yield* Effect.flatMap(ActorSystem.ActorSystem, (system) => system.actors)
      assert.deepStrictEqual(actors.map((ref) => ref.name), [taken.name])
    })))
})

describe("Supervisor: trees", () => {
  it.effect("a nested group's handles are typed, and a crash inside it restarts within it", () =>
    run(Effect.gen(function*() {
      const root = yield* tree({
        rootRestarts: Schedule.forever,
        midRestarts: Schedule.forever,
        leafRestarts: Schedule.forever
      })
      const x = root.children.mid.children.leaf.children.x
      const z = root.children.mid.children.z
      const y = root.children.y
      for (const ref of [x, y, z]) yield* Actor.tell(ref, new Add({ n: 3 }))
      for (const ref of [x, y, z]) assert.strictEqual(yield* Actor.ask(ref, new Get()), 3)
      yield* Actor.tell(x, new Crash())
      assert.strictEqual(yield* Actor.ask(x, new Get()), 0)
      assert.strictEqual(yield* Actor.ask(z, new Get()), 3)
      assert.strictEqual(yield* Actor.ask(y, new Get()), 3)
    })))

  it.effect("escalation up two levels: the exhausted leaf and mid groups are restarted whole by the root", () =>
    run(Effect.gen(function*() {
      const events = yield* ActorSystem.subscribeLifecycle
      const root = yield* tree({
        rootRestarts: Schedule.forever,
        midRestarts: Schedule.stop,
        leafRestarts: Schedule.recurs(1)
      })
      const x = root.children.mid.children.leaf.children.x
      const z = root.children.mid.children.z
      const y = root.children.y
      for (const ref of [x, y, z]) yield* Actor.tell(ref, new Add({ n: 3 }))
      for (const ref of [x, y, z]) assert.strictEqual(yield* Actor.ask(ref, new Get()), 3)
      // First crash: within the leaf's limit, only x restarts.
      yield* Actor.tell(x, new Crash())
      yield* Actor.tell(x, new Add({ n: 1 }))
      assert.strictEqual(yield* Actor.ask(x, new Get()), 1)
      assert.strictEqual(yield* Actor.ask(z, new Get()), 3)
      // Second crash: the leaf is exhausted and escalates to mid, which is exhausted too and
      // escalates to the root, which restarts mid as a unit: x and z restart, y does not.
      yield* Actor.tell(x, new Crash())
      yield* Actor.tell(x, new Add({ n: 7 })) // survives the restart
      assert.strictEqual(yield* Actor.ask(x, new Get()), 7)
      assert.strictEqual(yield* Actor.ask(z, new Get()), 0)
      assert.strictEqual(yield* Actor.ask(y, new Get()), 3)
      const restarted = Chunk.toArray(yield* receivedSoFar(events))
        .filter((event) => event._tag === "Restarted")
        .map((event) => event.actor.name)
      assert.sameMembers(restarted.slice(1), ["mid", "leaf", x.name, z.name])
      // The restart gave mid and leaf fresh schedules: the same two crashes behave the same again.
      yield* Actor.tell(x, new Crash())
      assert.strictEqual(yield* Actor.ask(x, new Get()), 0)
      yield* Actor.tell(z, new Add({ n: 5 }))
      assert.strictEqual(yield* Actor.ask(z, new Get()), 5)
      for (const ref of [root.ref, root.children.mid.ref, root.children.mid.children.leaf.ref, x, y, z]) {
        assert.isNull((yield* Effect.fork(Actor.awaitTermination(ref))).unsafePoll())
      }
    })))

  it.effect("escalation that exhausts the root fails the whole tree", () =>
    run(Effect.gen(function*() {
      const root = yield* tree({ rootRestarts: Schedule.stop, midRestarts: Schedule.stop, leafRestarts: Schedule.stop })
      const x = root.children.mid.children.leaf.children.x
      yield* Actor.tell(x, new Crash())
      assert.isTrue(Cause.isDie(yield* root.failed))
      assert.strictEqual((yield* Actor.awaitTermination(root.ref)).reason._tag, "Failed")
      assert.strictEqual((yield* Actor.awaitTermination(x)).reason._tag, "Failed")
      assert.strictEqual((yield* Actor.awaitTermination(root.children.mid.ref)).reason._tag, "Failed")
      assert.strictEqual((yield* Actor.awaitTermination(root.children.mid.children.leaf.ref)).reason._tag, "Failed")
      assert.strictEqual((yield* Actor.awaitTermination(root.children.mid.children.z)).reason._tag, "Stopped")
      assert.strictEqual((yield* Actor.awaitTermination(root.children.y)).reason._tag, "Stopped")
    })))

  it.effect("one-for-all restarts a sibling group as a unit; rest-for-one only the later ones", () =>
    run(Effect.gen(function*() {
      for (const strategy of ["one-for-all", "rest-for-one"] as const) {
        const root = yield* Supervision.start({
          strategy,
          restarts: Schedule.forever,
          children: {
            first: Supervision.group({ strategy: "one-for-one", children: { p: Supervision.child(counter()) } }),
            crasher: Supervision.child(counter()),
            last: Supervision.group({ strategy: "one-for-one", children: { q: Supervision.child(counter()) } })
          }
        })
        const p = root.children.first.children.p
        const q = root.children.last.children.q
        const crasher = root.children.crasher
        for (const ref of [p, q, crasher]) yield* Actor.tell(ref, new Add({ n: 4 }))
        for (const ref of [p, q, crasher]) assert.strictEqual(yield* Actor.ask(ref, new Get()), 4)
        yield* Actor.tell(crasher, new Crash())
        assert.strictEqual(yield* Actor.ask(crasher, new Get()), 0)
        // The group's Restart goes through its own loop before reaching its child: ask twice.
        yield* Actor.ask(q, new Get())
        yield* Actor.ask(p, new Get())
        assert.strictEqual(yield* Actor.ask(q, new Get()), 0, strategy)
        assert.strictEqual(yield* Actor.ask(p, new Get()), strategy === "one-for-all" ? 0 : 4, strategy)
        yield* Actor.stop(root.ref)
      }
    })))

  it.effect("no fiber outlives a tree: crashes, escalations and a stop leave nothing running", () =>
    run(Effect.gen(function*() {
      const fibers = yield* FiberSupervisor.track
      const root = yield* tree({
        rootRestarts: Schedule.forever,
        midRestarts: Schedule.recurs(1),
        leafRestarts: Schedule.recurs(1)
      }).pipe(Effect.supervised(fibers))
      const x = root.children.mid.children.leaf.children.x
      // root, mid, leaf, x, z and y: six loops.
      assert.strictEqual((yield* fibers.value).length, 6)
      for (let i = 0; i < 20; i++) {
        yield* Actor.tell(x, new Crash())
        yield* Actor.ask(x, new Get())
      }
      assert.strictEqual((yield* Actor.stop(root.ref, { mode: "drain" })).reason._tag, "Stopped")
      assert.strictEqual((yield* fibers.value).length, 0)
      assert.strictEqual((yield* Effect.flatMap(ActorSystem.ActorSystem, (system) => system.actors)).length, 0)
    })))
})
