import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem, type Lifecycle, Supervision } from "@weft/actor"
import type { Broadcast } from "@weft/channel"
import type { Scope } from "effect"
import {
  Cause,
  Chunk,
  Data,
  Deferred,
  Effect,
  Exit,
  FastCheck,
  Fiber,
  Option,
  Schedule,
  Supervisor as FiberSupervisor,
  TestClock
} from "effect"
import { Add, Block, Crash, Get, receivedSoFar } from "./fixtures.js"

const run = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

/** Asks its handler to stop its own actor. */
class StopSelf extends Data.TaggedClass("StopSelf")<{}> {}

type Work = Add | Get | Crash | Block | StopSelf

/** A counter that records, in `log`, each incarnation's start and each graceful stop, by name. */
const worker = (name: string, log: Array<string> = []) =>
  Actor.behavior<Work>()({
    initialState: 0,
    handlers: {
      Add: (message, n) => Effect.succeed(n + message.n),
      Get: (_, n) => Effect.succeed(Actor.reply(n, n)),
      Crash: () => Effect.dieMessage("boom"),
      Block: (message, n) => Effect.as(Deferred.await(message.gate), n),
      StopSelf: (_, n, { self }) => Effect.as(Actor.stop(self), n)
    },
    onStart: (n) => Effect.sync(() => (log.push(`${name} start`), n)),
    onStop: () => Effect.sync(() => log.push(`${name} stop`))
  })

const isRunning = (ref: Actor.ActorRef<never>) =>
  Effect.map(Effect.fork(Actor.awaitTermination(ref)), (fiber) => fiber.unsafePoll() === null)

const restartedNames = (events: Broadcast.Subscription<Lifecycle.LifecycleEvent>) =>
  Effect.map(
    receivedSoFar(events),
    (all) => Chunk.toArray(all).filter((event) => event._tag === "Restarted").map((event) => event.actor.name)
  )

/** Three children with state 5 each; `b` (of restart type `restart`) is stopped from outside. */
const stopMiddle = (strategy: Supervision.Strategy) =>
  Effect.gen(function*() {
    const group = yield* Supervision.start({
      strategy,
      restarts: Schedule.forever,
      children: {
        a: Supervision.child(worker("a")),
        b: Supervision.child(worker("b"), { restart: "permanent" }),
        c: Supervision.child(worker("c"))
      }
    })
    const { a, b, c } = group.children
    for (const ref of [a, b, c]) yield* Actor.tell(ref, new Add({ n: 5 }))
    for (const ref of [a, b, c]) assert.strictEqual(yield* Actor.ask(ref, new Get()), 5)
    assert.strictEqual((yield* Actor.stop(b)).reason._tag, "Stopped")
    assert.strictEqual(yield* Actor.ask(b, new Get()), 0)
    return [yield* Actor.ask(a, new Get()), yield* Actor.ask(b, new Get()), yield* Actor.ask(c, new Get())]
  })

describe("Supervisor: restart types", () => {
  it.effect("transient (the default): a crash restarts it, a stop ends it for good and restarts nobody", () =>
    run(Effect.gen(function*() {
      const log: Array<string> = []
      const group = yield* Supervision.start({
        strategy: "one-for-all",
        restarts: Schedule.forever,
        children: { a: Supervision.child(worker("a", log)), b: Supervision.child(worker("b", log)) }
      })
      const { a, b } = group.children
      yield* Actor.tell(a, new Add({ n: 5 }))
      yield* Actor.tell(b, new Crash())
      assert.strictEqual(yield* Actor.ask(b, new Get()), 0)
      assert.strictEqual(yield* Actor.ask(a, new Get()), 0, "one-for-all restarted a after b's crash")
      yield* Actor.tell(a, new Add({ n: 5 }))
      assert.strictEqual((yield* Actor.stop(b)).reason._tag, "Stopped")
      assert.strictEqual((yield* Actor.awaitTermination(b)).reason._tag, "Stopped")
      // b's stop restarted neither b nor a.
      assert.strictEqual(yield* Actor.ask(a, new Get()), 5)
      // Two starts each (the order of the restarts is the scheduler's), then b's stop only.
      assert.sameMembers(log.slice(0, 4), ["a start", "b start", "b start", "a start"])
      assert.deepStrictEqual(log.slice(4), ["b stop"])
      assert.isTrue(yield* isRunning(group.ref))
    })))

  it.effect("permanent: a stop from outside ends the incarnation, and the group starts a new one behind the same ref", () =>
    run(Effect.gen(function*() {
      const log: Array<string> = []
      const events = yield* ActorSystem.subscribeLifecycle
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        restarts: Schedule.forever,
        children: { a: Supervision.child(worker("a", log), { restart: "permanent" }) }
      })
      const a = group.children.a
      yield* Actor.tell(a, new Add({ n: 5 }))
      assert.strictEqual(yield* Actor.ask(a, new Get()), 5)
      const termination = yield* Effect.fork(Actor.awaitTermination(a))
      assert.strictEqual((yield* Actor.stop(a)).reason._tag, "Stopped")
      assert.strictEqual(yield* Actor.ask(a, new Get()), 0)
      assert.deepStrictEqual(log, ["a start", "a stop", "a start"])
      // Not terminated: watchers are not told, the ref keeps working.
      assert.isNull(termination.unsafePoll())
      assert.deepStrictEqual(yield* restartedNames(events), [a.name])
      assert.isTrue(Option.isSome(yield* ActorSystem.lookup(a.name)))
    })))

  it.effect("permanent: its own stop restarts it, and the messages queued behind the stop survive", () =>
    run(Effect.gen(function*() {
      const log: Array<string> = []
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        restarts: Schedule.forever,
        children: { a: Supervision.child(worker("a", log), { restart: "permanent" }) }
      })
      const a = group.children.a
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(a, new Block({ gate }))
      yield* Actor.tell(a, new Add({ n: 1 }))
      yield* Actor.tell(a, new StopSelf())
      yield* Actor.tell(a, new Add({ n: 2 })) // queued behind the stop
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Actor.ask(a, new Get()), 2)
      assert.deepStrictEqual(log, ["a start", "a stop", "a start"])
    })))

  it.effect("permanent: a drain works through the queue and turns new messages away, then the child restarts", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        restarts: Schedule.forever,
        children: { a: Supervision.child(worker("a"), { restart: "permanent" }) }
      })
      const a = group.children.a
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(a, new Block({ gate }))
      yield* Actor.tell(a, new Add({ n: 3 }))
      const draining = yield* Effect.fork(Actor.stop(a, { mode: "drain" }))
      yield* Effect.yieldNow()
      const late = yield* Effect.either(Actor.tell(a, new Add({ n: 100 })))
      assert.isTrue(late._tag === "Left" && late.left._tag === "ActorStopping")
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual((yield* Fiber.join(draining)).reason._tag, "Stopped")
      // The drain handled Add(3) in the old incarnation; the new one starts from 0 and takes messages.
      yield* Actor.tell(a, new Add({ n: 1 }))
      assert.strictEqual(yield* Actor.ask(a, new Get()), 1)
    })))

  it.effect("permanent: the restart after a stop waits out the schedule's delay; the mailbox is open meanwhile", () =>
    run(Effect.gen(function*() {
      const log: Array<string> = []
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        restarts: Schedule.spaced("1 second"),
        children: { a: Supervision.child(worker("a", log), { restart: "permanent" }) }
      })
      const a = group.children.a
      yield* Actor.stop(a)
      yield* Actor.tell(a, new Add({ n: 2 }))
      const asked = yield* Effect.fork(Actor.ask(a, new Get(), { timeout: "10 seconds" }))
      yield* TestClock.adjust("999 millis")
      assert.isNull(asked.unsafePoll())
      assert.deepStrictEqual(log, ["a start", "a stop"])
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(asked), 2)
      assert.deepStrictEqual(log, ["a start", "a stop", "a start"])
    })))

  it.effect("permanent: a stop restarts the siblings the strategy names, as a crash does", () =>
    run(Effect.gen(function*() {
      assert.deepStrictEqual(yield* stopMiddle("one-for-one"), [5, 0, 5])
      assert.deepStrictEqual(yield* stopMiddle("one-for-all"), [0, 0, 0])
      assert.deepStrictEqual(yield* stopMiddle("rest-for-one"), [5, 0, 0])
    })))

  it.effect("permanent: a kill is final, and restarts nobody", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        strategy: "one-for-all",
        restarts: Schedule.forever,
        children: {
          a: Supervision.child(worker("a"), { restart: "permanent" }),
          b: Supervision.child(worker("b"))
        }
      })
      const { a, b } = group.children
      yield* Actor.tell(b, new Add({ n: 5 }))
      assert.strictEqual((yield* Actor.stop(a, { mode: "kill" })).reason._tag, "Killed")
      assert.strictEqual((yield* Actor.awaitTermination(a)).reason._tag, "Killed")
      assert.strictEqual(yield* Actor.ask(b, new Get()), 5)
      assert.isTrue(yield* isRunning(group.ref))
    })))

  it.effect("permanent: the group's own stop is final — no child restarts on the way down", () =>
    run(Effect.gen(function*() {
      const log: Array<string> = []
      const group = yield* Supervision.start({
        strategy: "one-for-all",
        restarts: Schedule.forever,
        children: {
          a: Supervision.child(worker("a", log), { restart: "permanent" }),
          b: Supervision.child(worker("b", log), { restart: "permanent" })
        }
      })
      assert.strictEqual((yield* Actor.stop(group.ref, { mode: "drain" })).reason._tag, "Stopped")
      assert.strictEqual((yield* Actor.awaitTermination(group.children.a)).reason._tag, "Stopped")
      assert.strictEqual((yield* Actor.awaitTermination(group.children.b)).reason._tag, "Stopped")
      assert.deepStrictEqual(log, ["a start", "b start", "b stop", "a stop"])
    })))

  it.effect("temporary: never restarted; its crash or stop leaves the schedule and the siblings alone", () =>
    run(Effect.gen(function*() {
      for (const strategy of ["one-for-one", "one-for-all", "rest-for-one"] as const) {
        const group = yield* Supervision.start({
          strategy,
          // Any restart would exhaust this schedule and fail the group.
          restarts: Schedule.stop,
          children: {
            t: Supervision.child(worker("t"), { restart: "temporary" }),
            u: Supervision.child(worker("u"), { restart: "temporary" }),
            b: Supervision.child(worker("b"))
          }
        })
        const { b, t, u } = group.children
        yield* Actor.tell(b, new Add({ n: 5 }))
        yield* Actor.tell(t, new Crash())
        const crashed = yield* Actor.awaitTermination(t)
        assert.isTrue(crashed.reason._tag === "Failed" && Cause.isDie(crashed.reason.cause), strategy)
        assert.strictEqual((yield* Actor.stop(u)).reason._tag, "Stopped", strategy)
        assert.strictEqual((yield* Actor.awaitTermination(u)).reason._tag, "Stopped", strategy)
        assert.strictEqual(yield* Actor.ask(b, new Get()), 5, strategy)
        assert.isTrue(yield* isRunning(group.ref), strategy)
        assert.isNull((yield* Effect.fork(group.failed)).unsafePoll(), strategy)
        yield* Actor.stop(group.ref)
      }
    })))

  it.effect("temporary: where the strategy would restart it with a sibling, it is stopped for good instead", () =>
    run(Effect.gen(function*() {
      const log: Array<string> = []
      const group = yield* Supervision.start({
        strategy: "one-for-all",
        restarts: Schedule.forever,
        children: {
          a: Supervision.child(worker("a", log)),
          t: Supervision.child(worker("t", log), { restart: "temporary" })
        }
      })
      const { a, t } = group.children
      yield* Actor.tell(a, new Crash())
      assert.strictEqual(yield* Actor.ask(a, new Get()), 0)
      assert.strictEqual((yield* Actor.awaitTermination(t)).reason._tag, "Stopped")
      assert.deepStrictEqual(log.slice(0, 2), ["a start", "t start"])
      assert.sameMembers(log.slice(2), ["a start", "t stop"])
    })))

  it.effect("a restarted actor is still itself to its handlers: it can stop itself again after a restart", () =>
    run(Effect.gen(function*() {
      const log: Array<string> = []
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        restarts: Schedule.forever,
        children: { a: Supervision.child(worker("a", log), { restart: "permanent" }) }
      })
      const a = group.children.a
      for (let i = 0; i < 3; i++) {
        yield* Actor.tell(a, new StopSelf())
        assert.strictEqual(yield* Actor.ask(a, new Get()), 0)
      }
      assert.deepStrictEqual(log, ["a start", "a stop", "a start", "a stop", "a start", "a stop", "a start"])
    })))
})

describe("Supervisor: restart limits with restart types", () => {
  it.effect("a permanent child's stops count against the schedule like crashes; exhausted, the group fails", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        restarts: Schedule.recurs(2),
        children: {
          a: Supervision.child(worker("a"), { restart: "permanent" }),
          b: Supervision.child(worker("b"))
        }
      })
      const { a, b } = group.children
      const failed = yield* Effect.fork(group.failed)
      yield* Actor.stop(a) // restart 1
      assert.strictEqual(yield* Actor.ask(a, new Get()), 0)
      yield* Actor.tell(a, new Crash()) // restart 2
      assert.strictEqual(yield* Actor.ask(a, new Get()), 0)
      assert.isNull(failed.unsafePoll())
      yield* Actor.stop(a) // the third: exhausted
      assert.isTrue(Cause.isEmpty(yield* Fiber.join(failed)))
      assert.strictEqual((yield* Actor.awaitTermination(a)).reason._tag, "Stopped")
      assert.strictEqual((yield* Actor.awaitTermination(b)).reason._tag, "Stopped")
      assert.strictEqual((yield* Actor.awaitTermination(group.ref)).reason._tag, "Failed")
    })))

  it.effect("an exhausted nested group escalates a permanent child's stop: the parent restarts it as a unit", () =>
    run(Effect.gen(function*() {
      const root = yield* Supervision.start({
        strategy: "one-for-one",
        restarts: Schedule.forever,
        children: {
          inner: Supervision.group({
            strategy: "one-for-one",
            restarts: Schedule.stop,
            children: {
              p: Supervision.child(worker("p"), { restart: "permanent" }),
              q: Supervision.child(worker("q"))
            }
          }),
          y: Supervision.child(worker("y"))
        }
      })
      const { p, q } = root.children.inner.children
      const y = root.children.y
      for (const ref of [p, q, y]) yield* Actor.tell(ref, new Add({ n: 4 }))
      for (const ref of [p, q, y]) assert.strictEqual(yield* Actor.ask(ref, new Get()), 4)
      yield* Actor.stop(p)
      assert.strictEqual(yield* Actor.ask(p, new Get()), 0)
      // The inner group's Restart goes through its own loop before reaching q: ask twice.
      yield* Actor.ask(q, new Get())
      assert.strictEqual(yield* Actor.ask(q, new Get()), 0)
      assert.strictEqual(yield* Actor.ask(y, new Get()), 4)
      for (const ref of [root.ref, root.children.inner.ref, p, q, y]) assert.isTrue(yield* isRunning(ref))
    })))
})

describe("Supervisor: startChild and stopChild", () => {
  it.effect("a started child comes last: rest-for-one restarts it after an earlier crash; the group stops it first", () =>
    run(Effect.gen(function*() {
      const log: Array<string> = []
      const group = yield* Supervision.start({
        strategy: "rest-for-one",
        restarts: Schedule.forever,
        children: { a: Supervision.child(worker("a", log)), b: Supervision.child(worker("b", log)) }
      })
      const c = yield* Supervision.startChild(group, Supervision.child(worker("c", log), { name: "c" }))
      assert.strictEqual(c.name, "c")
      const { a, b } = group.children
      for (const ref of [a, b, c]) yield* Actor.tell(ref, new Add({ n: 5 }))
      yield* Actor.tell(c, new Crash())
      assert.strictEqual(yield* Actor.ask(c, new Get()), 0)
      assert.strictEqual(yield* Actor.ask(b, new Get()), 5, "c is after b")
      yield* Actor.tell(c, new Add({ n: 5 }))
      yield* Actor.tell(b, new Crash())
      assert.strictEqual(yield* Actor.ask(b, new Get()), 0)
      assert.strictEqual(yield* Actor.ask(c, new Get()), 0, "c restarted after b's crash")
      assert.strictEqual(yield* Actor.ask(a, new Get()), 5)
      log.length = 0
      yield* Actor.stop(group.ref)
      assert.deepStrictEqual(log, ["c stop", "b stop", "a stop"])
    })))

  it.effect("stopChild removes a child from the order: rest-for-one then skips it, and its name is free again", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        strategy: "rest-for-one",
        restarts: Schedule.forever,
        children: {
          a: Supervision.child(worker("a")),
          b: Supervision.child(worker("b"), { restart: "permanent" }),
          c: Supervision.child(worker("c"))
        }
      })
      const { a, b, c } = group.children
      for (const ref of [a, c]) yield* Actor.tell(ref, new Add({ n: 5 }))
      const stopped = yield* Supervision.stopChild(group, "b", { mode: "drain", timeout: "1 second" })
      assert.isTrue(stopped.actor === b && stopped.reason._tag === "Stopped")
      // Permanent, but stopped by stopChild: gone for good.
      assert.strictEqual((yield* Actor.awaitTermination(b)).reason._tag, "Stopped")
      yield* Actor.tell(a, new Crash())
      assert.strictEqual(yield* Actor.ask(a, new Get()), 0)
      assert.strictEqual(yield* Actor.ask(c, new Get()), 0)
      // "b" is free: a new b is started last, after c.
      const b2 = yield* Supervision.startChild(group, Supervision.child(worker("b2"), { name: "b" }))
      for (const ref of [a, c, b2]) yield* Actor.tell(ref, new Add({ n: 7 }))
      yield* Actor.tell(c, new Crash())
      assert.strictEqual(yield* Actor.ask(c, new Get()), 0)
      assert.strictEqual(yield* Actor.ask(b2, new Get()), 0, "b2 comes after c now")
      assert.strictEqual(yield* Actor.ask(a, new Get()), 7)
    })))

  it.effect("one-for-all: a started child restarts with the others; stopChild of a permanent one restarts nobody", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        strategy: "one-for-all",
        restarts: Schedule.forever,
        children: { a: Supervision.child(worker("a")) }
      })
      const a = group.children.a
      const d = yield* group.pipe(Supervision.startChild(Supervision.child(worker("d"), { restart: "permanent" })))
      for (const ref of [a, d]) yield* Actor.tell(ref, new Add({ n: 5 }))
      yield* Actor.tell(a, new Crash())
      assert.strictEqual(yield* Actor.ask(a, new Get()), 0)
      assert.strictEqual(yield* Actor.ask(d, new Get()), 0)
      yield* Actor.tell(a, new Add({ n: 5 }))
      // By ref, data-last.
      const stopped = yield* group.pipe(Supervision.stopChild(d))
      assert.strictEqual(stopped.reason._tag, "Stopped")
      assert.strictEqual((yield* Actor.awaitTermination(d)).reason._tag, "Stopped")
      assert.strictEqual(yield* Actor.ask(a, new Get()), 5)
    })))

  it.effect("stopChild with kill kills the child, a blocked one mid-message", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        strategy: "one-for-one",
        children: { a: Supervision.child(worker("a"), { restart: "permanent" }) }
      })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(group.children.a, new Block({ gate }))
      yield* Effect.yieldNow()
      assert.strictEqual((yield* Supervision.stopChild(group, "a", { mode: "kill" })).reason._tag, "Killed")
      assert.isTrue(yield* isRunning(group.ref))
    })))

  it.effect("a nested group can be started and stopped as a child", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({ strategy: "one-for-one", children: {} })
      const inner = yield* Supervision.startChild(
        group,
        Supervision.group({ name: "inner", strategy: "one-for-all", children: { x: Supervision.child(worker("x")) } })
      )
      yield* Actor.tell(inner.children.x, new Add({ n: 2 }))
      assert.strictEqual(yield* Actor.ask(inner.children.x, new Get()), 2)
      assert.strictEqual((yield* Supervision.stopChild(group, "inner")).reason._tag, "Stopped")
      assert.strictEqual((yield* Actor.awaitTermination(inner.children.x)).reason._tag, "Stopped")
      assert.isTrue(yield* isRunning(group.ref))
    })))
})

describe("Supervisor: startChild and stopChild errors", () => {
  it.effect("a name the group or the system already uses fails typed, and starts nothing", () =>
    run(Effect.gen(function*() {
      yield* Actor.spawn(worker("outsider"), { name: "outsider" })
      const group = yield* Supervision.start({
        name: "pool",
        strategy: "one-for-one",
        children: { a: Supervision.child(worker("a")) }
      })
      yield* Supervision.startChild(group, Supervision.child(worker("x"), { name: "x" }))
      const before = (yield* Effect.flatMap(ActorSystem.ActorSystem, (system) => system.actors)).length
      const clashKey = yield* Effect.flip(Supervision.startChild(group, Supervision.child(worker("a"), { name: "a" })))
      assert.isTrue(clashKey._tag === "ChildExists" && clashKey.group === "pool" && clashKey.child === "a")
      assert.strictEqual(clashKey.message, `group "pool" already has a child named "a"`)
      const clashStarted = yield* Effect.flip(
        Supervision.startChild(group, Supervision.child(worker("x"), { name: "x" }))
      )
      assert.strictEqual(clashStarted._tag, "ChildExists")
      const clashSystem = yield* Effect.flip(
        Supervision.startChild(group, Supervision.child(worker("o"), { name: "outsider" }))
      )
      assert.isTrue(clashSystem._tag === "NameTaken" && clashSystem.name === "outsider")
      const badNested = yield* Effect.flip(Supervision.startChild(
        group,
        Supervision.group({
          name: "nested",
          strategy: "one-for-one",
          children: { fine: Supervision.child(worker("f")), bad: Supervision.child(worker("o"), { name: "outsider" }) }
        })
      ))
      assert.strictEqual(badNested._tag, "NameTaken")
      const after = (yield* Effect.flatMap(ActorSystem.ActorSystem, (system) => system.actors)).length
      assert.strictEqual(after, before)
      assert.isTrue(Option.isNone(yield* ActorSystem.lookup("nested")))
      // The failed nested group left its name free in the group too.
      yield* Supervision.startChild(
        group,
        Supervision.group({ name: "nested", strategy: "one-for-one", children: {} })
      )
    })))

  it.effect("a stopping or stopped group takes no new child: GroupStopping", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        name: "closing",
        strategy: "one-for-one",
        children: { a: Supervision.child(worker("a")) }
      })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(group.children.a, new Block({ gate }))
      const stopping = yield* Effect.fork(Actor.stop(group.ref))
      yield* Effect.yieldNow()
      const whileStopping = yield* Effect.flip(Supervision.startChild(group, Supervision.child(worker("b"))))
      assert.isTrue(whileStopping._tag === "GroupStopping" && whileStopping.group === "closing")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(stopping)
      const afterwards = yield* Effect.flip(Supervision.startChild(group, Supervision.child(worker("b"))))
      assert.strictEqual(afterwards._tag, "GroupStopping")
      assert.strictEqual((yield* Effect.flatMap(ActorSystem.ActorSystem, (system) => system.actors)).length, 0)
    })))

  it.effect("stopChild of an unknown name, a stranger's ref or a child already gone: ChildNotFound", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({
        name: "pool",
        strategy: "one-for-one",
        children: { a: Supervision.child(worker("a")), b: Supervision.child(worker("b")) }
      })
      const stranger = yield* Actor.spawn(worker("s"), { name: "stranger" })
      const unknown = yield* Effect.flip(Supervision.stopChild(group, "nope"))
      assert.isTrue(unknown.group === "pool" && unknown.child === "nope")
      assert.strictEqual(unknown.message, `group "pool" has no running child "nope"`)
      const foreign = yield* Effect.flip(Supervision.stopChild(group, stranger))
      assert.strictEqual(foreign.child, "stranger")
      assert.isTrue(yield* isRunning(stranger))
      yield* Supervision.stopChild(group, "a")
      const again = yield* Effect.flip(Supervision.stopChild(group, "a"))
      assert.strictEqual(again._tag, "ChildNotFound")
      yield* Actor.stop(group.children.b)
      const gone = yield* Effect.flip(Supervision.stopChild(group, group.children.b))
      assert.strictEqual(gone._tag, "ChildNotFound")
    })))
})

describe("Supervisor: startChild cancellation and fibers", () => {
  it.effect("interrupted at any point, startChild leaves no half-registered child", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervision.start({ strategy: "one-for-one", children: {} })
      const events = yield* ActorSystem.subscribeLifecycle
      let returned = 0
      let rolledBack = 0
      for (let k = 0; k < 60; k++) {
        const name = `w${k}`
        // Yielding every few operations lets the interruption land anywhere in the start.
        const fiber = yield* Effect.fork(Supervision.startChild(group, Supervision.child(worker(name), { name }))).pipe(
          Effect.withMaxOpsBeforeYield(16)
        )
        for (let i = 0; i < k; i++) yield* Effect.yieldNow()
        const exit = yield* Fiber.interrupt(fiber)
        const seen = Chunk.toArray(yield* receivedSoFar(events)).filter((event) => event.actor.name === name)
        const inSystem = yield* ActorSystem.lookup(name)
        const stopped = yield* Effect.either(Supervision.stopChild(group, name, { mode: "kill" }))
        // Whole or nothing: known to the system exactly when known to the group, and then running.
        assert.strictEqual(Option.isSome(inSystem), stopped._tag === "Right", name)
        if (stopped._tag === "Right") assert.strictEqual(stopped.right.reason._tag, "Killed", name)
        if (Exit.isSuccess(exit)) {
          returned++
          assert.isTrue(stopped._tag === "Right" && stopped.right.actor === exit.value, name)
        } else if (seen.some((event) => event._tag === "Started") && stopped._tag === "Left") {
          // Started, then killed again: the interruption landed while it was starting.
          rolledBack++
          assert.isTrue(seen.some((event) => event._tag === "Terminated" && event.reason._tag === "Killed"), name)
        }
      }
      assert.isAbove(returned, 0)
      assert.isAbove(rolledBack, 0)
      // Only the group is left.
      assert.strictEqual((yield* Effect.flatMap(ActorSystem.ActorSystem, (system) => system.actors)).length, 1)
    })))

  it.effect("no fiber outlives started, stopped and restarted children", () =>
    run(Effect.gen(function*() {
      const fibers = yield* FiberSupervisor.track
      const group = yield* Supervision.start({
        strategy: "rest-for-one",
        restarts: Schedule.forever,
        children: { a: Supervision.child(worker("a"), { restart: "permanent" }) }
      }).pipe(Effect.supervised(fibers))
      const started: Array<Actor.ActorRef<Work>> = []
      for (const restart of ["permanent", "transient", "temporary"] as const) {
        started.push(
          yield* Supervision.startChild(group, Supervision.child(worker(restart), { restart })).pipe(
            Effect.supervised(fibers)
          )
        )
      }
      // The group and four children: five loops.
      assert.strictEqual((yield* fibers.value).length, 5)
      const [permanent, transient, temporary] = started as [
        Actor.ActorRef<Work>,
        Actor.ActorRef<Work>,
        Actor.ActorRef<Work>
      ]
      for (let i = 0; i < 10; i++) {
        yield* Actor.stop(group.children.a)
        yield* Actor.tell(permanent, new StopSelf())
        yield* Actor.tell(transient, new Crash())
        // Each has answered, so each is done restarting.
        for (const ref of [group.children.a, permanent, transient]) yield* Actor.ask(ref, new Get())
      }
      // The first rest-for-one restart retired the temporary child; the others reuse their loops.
      assert.strictEqual((yield* Actor.awaitTermination(temporary)).reason._tag, "Stopped")
      assert.strictEqual((yield* fibers.value).length, 4)
      yield* Supervision.stopChild(group, transient)
      assert.strictEqual((yield* fibers.value).length, 3)
      assert.strictEqual((yield* Actor.stop(group.ref, { mode: "drain" })).reason._tag, "Stopped")
      assert.strictEqual((yield* fibers.value).length, 0)
      assert.strictEqual((yield* Effect.flatMap(ActorSystem.ActorSystem, (system) => system.actors)).length, 0)
    })))
})

describe("Supervisor: the order under changes", () => {
  it.effect.prop(
    "rest-for-one restarts exactly the crashed or stopped child and those after it, in the current order",
    {
      ops: FastCheck.array(
        FastCheck.record({
          kind: FastCheck.constantFrom("add", "add", "remove", "crash", "stop"),
          at: FastCheck.nat(20),
          permanent: FastCheck.boolean()
        }),
        { maxLength: 24 }
      )
    },
    ({ ops }) =>
      run(Effect.gen(function*() {
        const group = yield* Supervision.start({ strategy: "rest-for-one", restarts: Schedule.forever, children: {} })
        // The model: the group's children in order, with the state each must have.
        const model: Array<{ ref: Actor.ActorRef<Work>; permanent: boolean; state: number }> = []
        for (const op of ops) {
          if (op.kind === "add" || model.length === 0) {
            const restart = op.permanent ? "permanent" : "transient"
            const ref = yield* Supervision.startChild(group, Supervision.child(worker("w"), { restart }))
            model.push({ ref, permanent: op.permanent, state: 0 })
            continue
          }
          // Give every child some state first, so a restart shows.
          for (const child of model) {
            yield* Actor.tell(child.ref, new Add({ n: 1 }))
            child.state++
          }
          // Handled before the op (a stop would overtake queued messages, which then survive it).
          for (const child of model) assert.strictEqual(yield* Actor.ask(child.ref, new Get()), child.state)
          const index = op.at % model.length
          const target = model[index]!
          if (op.kind === "remove") {
            yield* Supervision.stopChild(group, target.ref)
            model.splice(index, 1)
          } else if (op.kind === "stop" && !target.permanent) {
            // A transient child's stop ends it and restarts nobody.
            yield* Actor.stop(target.ref)
            model.splice(index, 1)
          } else {
            if (op.kind === "crash") yield* Actor.tell(target.ref, new Crash())
            else yield* Actor.stop(target.ref)
            // Once it answers it has restarted, and has asked the later ones to restart.
            assert.strictEqual(yield* Actor.ask(target.ref, new Get()), 0)
            for (const child of model.slice(index)) child.state = 0
          }
          for (const child of model) assert.strictEqual(yield* Actor.ask(child.ref, new Get()), child.state)
        }
        const running = yield* Effect.flatMap(ActorSystem.ActorSystem, (system) => system.actors)
        assert.strictEqual(running.length, model.length + 1)
      })),
    { fastCheck: { numRuns: 60 } }
  )
})
