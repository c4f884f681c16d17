import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem, type Lifecycle } from "@weft/actor"
import { Broadcast } from "@weft/channel"
import { Cause, Chunk, Clock, Data, Effect, Schedule, Schema, type Scope, TestClock } from "effect"
import * as SupervisionTree from "../../src/dashboard/SupervisionTree.js"

class Crash extends Data.TaggedClass("Crash")<{}> {}
class Hold extends Data.TaggedClass("Hold")<{}> {}
class Get extends Schema.TaggedRequest<Get>()("Get", { failure: Schema.Never, success: Schema.Number, payload: {} }) {}

const worker = Actor.behavior<Crash | Get>()({
  initialState: 0,
  handlers: {
    Crash: () => Effect.dieMessage("boom\nat the second line"),
    Get: (_, n) => Effect.succeed(Actor.reply(n, n))
  }
})

const plugins: SupervisionTree.Group = {
  name: "plugins",
  supervision: "restart each",
  members: (name) => name.startsWith("plugin-")
}

/** Applies every lifecycle event published so far, read at the test clock's time. */
const applyAll = (
  tree: SupervisionTree.SupervisionTree,
  events: Broadcast.Subscription<Lifecycle.LifecycleEvent>
) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const pending = yield* Broadcast.pending(events)
    if (pending === 0) return
    Chunk.forEach(yield* Broadcast.recvUpTo(events, pending), (event) => SupervisionTree.apply(tree, event, now))
  })

const actorOf = (view: SupervisionTree.TreeView, name: string) =>
  view.groups.flatMap((group) => group.actors).find((actor) => actor.name === name)

const run = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

describe("SupervisionTree", () => {
  it.effect("groups actors by the declared groups, in start order; the rest are other actors", () =>
    run(Effect.gen(function*() {
      const events = yield* ActorSystem.subscribeLifecycle
      const tree = SupervisionTree.make([plugins])
      yield* Actor.spawn(worker, { name: "plugin-b" })
      yield* Actor.spawn(worker, { name: "helper" })
      yield* Actor.spawn(worker, { name: "plugin-a" })
      yield* applyAll(tree, events)
      const view = yield* SupervisionTree.view(tree)
      assert.deepStrictEqual(
        view.groups.map((group) => [group.name, group.actors.map((actor) => actor.name)]),
        [["plugins", ["plugin-b", "plugin-a"]], ["other actors", ["helper"]]]
      )
      assert.isTrue(view.groups.flatMap((group) => group.actors).every((actor) => actor.status === "running"))
    })))

  it.effect("a crash shows at once as restarted, with the count and the failure's first line; then running", () =>
    run(Effect.gen(function*() {
      const events = yield* ActorSystem.subscribeLifecycle
      const tree = SupervisionTree.make([plugins])
      const ref = yield* Actor.spawn(worker, {
        name: "plugin-chaos",
        supervision: { strategy: "restart", restarts: Schedule.forever }
      })
      yield* Actor.tell(ref, new Crash())
      yield* Actor.tell(ref, new Crash())
      yield* Actor.ask(ref, new Get())
      yield* applyAll(tree, events)
      const crashedAt = yield* Clock.currentTimeMillis
      const restarted = actorOf(yield* SupervisionTree.view(tree), "plugin-chaos")!
      assert.strictEqual(restarted.status, "restarted")
      assert.strictEqual(restarted.restarts, 2)
      assert.deepStrictEqual(restarted.lastFailure, { at: crashedAt, message: "RuntimeException: boom" })
      yield* TestClock.adjust(SupervisionTree.restartedRecentlyMs - 1)
      assert.strictEqual(actorOf(yield* SupervisionTree.view(tree), "plugin-chaos")!.status, "restarted")
      yield* TestClock.adjust(1)
      const later = actorOf(yield* SupervisionTree.view(tree), "plugin-chaos")!
      assert.strictEqual(later.status, "running")
      // The failure stays until the next one.
      assert.strictEqual(later.lastFailure?.message, "RuntimeException: boom")
    })))

  it.effect("a stopped actor stays, stopped, until one of its name starts again", () =>
    run(Effect.gen(function*() {
      const events = yield* ActorSystem.subscribeLifecycle
      const tree = SupervisionTree.make([plugins])
      const first = yield* Actor.spawn(worker, { name: "plugin-sink" })
      yield* Actor.stop(first)
      yield* applyAll(tree, events)
      const stopped = actorOf(yield* SupervisionTree.view(tree), "plugin-sink")!
      assert.strictEqual(stopped.status, "stopped")
      assert.strictEqual(stopped.mailbox, 0)
      const second = yield* Actor.spawn(worker, { name: "plugin-sink" })
      yield* applyAll(tree, events)
      const again = actorOf(yield* SupervisionTree.view(tree), "plugin-sink")!
      assert.deepStrictEqual([again.id, again.status], [second.id, "running"])
    })))

  it.effect("an actor that fails for good shows failed with its cause; killed shows killed", () =>
    run(Effect.gen(function*() {
      const events = yield* ActorSystem.subscribeLifecycle
      const tree = SupervisionTree.make([])
      const failing = yield* Actor.spawn(worker, { name: "fragile", supervision: { strategy: "stop" } })
      const killed = yield* Actor.spawn(worker, { name: "victim" })
      yield* Actor.tell(failing, new Crash())
      yield* Actor.awaitTermination(failing)
      yield* Actor.stop(killed, { mode: "kill" })
      yield* applyAll(tree, events)
      const view = yield* SupervisionTree.view(tree)
      assert.deepStrictEqual(
        [actorOf(view, "fragile")!.status, actorOf(view, "fragile")!.lastFailure?.message],
        ["failed", "RuntimeException: boom"]
      )
      assert.strictEqual(actorOf(view, "victim")!.status, "killed")
    })))

  it.effect("keeps at most keepTerminated terminated actors, dropping the oldest", () =>
    run(Effect.gen(function*() {
      const events = yield* ActorSystem.subscribeLifecycle
      const tree = SupervisionTree.make([], 2)
      const live = yield* Actor.spawn(worker, { name: "live" })
      for (const name of ["a", "b", "c"]) {
        yield* Actor.stop(yield* Actor.spawn(worker, { name }))
        yield* applyAll(tree, events)
        yield* TestClock.adjust(1)
      }
      const view = yield* SupervisionTree.view(tree)
      assert.deepStrictEqual(view.groups[0]!.actors.map((actor) => actor.name), ["live", "b", "c"])
      assert.strictEqual(actorOf(view, "live")!.id, live.id)
    })))

  it.effect("live mailbox depths; seeded actors count the restarts they had", () =>
    run(Effect.gen(function*() {
      const gate = yield* Effect.makeLatch(false)
      const blocking = Actor.behavior<Hold | Get>()({
        initialState: 0,
        handlers: { Hold: (_, n) => Effect.as(gate.await, n), Get: (_, n) => Effect.succeed(Actor.reply(n, n)) }
      })
      const ref = yield* Actor.spawn(blocking, { name: "plugin-slow" })
      const tree = SupervisionTree.make([plugins])
      SupervisionTree.seed(tree, ref, 0, 7)
      for (let i = 0; i < 3; i++) yield* Actor.tell(ref, new Hold())
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      const queued = yield* Actor.mailboxSize(ref)
      const waiting = actorOf(yield* SupervisionTree.view(tree), "plugin-slow")!
      assert.isAbove(queued, 0)
      assert.deepStrictEqual([waiting.restarts, waiting.mailbox], [7, queued])
      yield* gate.open
      yield* Actor.ask(ref, new Get())
      assert.strictEqual(actorOf(yield* SupervisionTree.view(tree), "plugin-slow")!.mailbox, 0)
    })))

  it("describeCause keeps the first line, cut to 200 characters", () => {
    const long = new Error("x".repeat(500))
    const message = SupervisionTree.describeCause(Cause.die(long))
    assert.strictEqual(message.length, 200)
    assert.isTrue(message.startsWith("Error: xxx") && message.endsWith("…"))
  })
})
