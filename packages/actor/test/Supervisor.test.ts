import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem, Supervisor } from "@weft/actor"
import type { Scope } from "effect"
import { Cause, Effect, Fiber, Schedule, TestClock } from "effect"
import { Add, counter, Crash, Get } from "./fixtures.js"

const run = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

/** Gives each child some state, crashes `b`, and reports every child's state afterwards. */
const crashMiddle = (strategy: Supervisor.Strategy) =>
  Effect.gen(function*() {
    const group = yield* Supervisor.start({
      strategy,
      restarts: Schedule.forever,
      children: { a: Supervisor.child(counter()), b: Supervisor.child(counter()), c: Supervisor.child(counter()) }
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

describe("Supervisor", () => {
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

  it.effect("restarted children keep their mailbox and their refs", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervisor.start({
        strategy: "one-for-all",
        restarts: Schedule.forever,
        children: { a: Supervisor.child(counter()), b: Supervisor.child(counter()) }
      })
      yield* Actor.tell(group.children.a, new Crash())
      yield* Actor.tell(group.children.a, new Add({ n: 1 }))
      yield* Actor.tell(group.children.b, new Add({ n: 2 }))
      assert.strictEqual(yield* Actor.ask(group.children.a, new Get()), 1)
      assert.strictEqual(yield* Actor.ask(group.children.b, new Get()), 2)
    })))

  it.effect("an exhausted schedule fails the group: the crashed child fails, the others stop", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervisor.start({
        strategy: "one-for-one",
        restarts: Schedule.recurs(1),
        children: { a: Supervisor.child(counter()), b: Supervisor.child(counter()) }
      })
      const failed = yield* Effect.fork(group.failed)
      yield* Actor.tell(group.children.a, new Crash())
      yield* Actor.tell(group.children.a, new Crash())
      assert.isTrue(Cause.isDie(yield* Fiber.join(failed)))
      assert.strictEqual((yield* Actor.awaitTermination(group.children.a)).reason._tag, "Failed")
      assert.strictEqual((yield* Actor.awaitTermination(group.children.b)).reason._tag, "Stopped")
    })))

  it.effect("the group's backoff comes from its schedule", () =>
    run(Effect.gen(function*() {
      const group = yield* Supervisor.start({
        strategy: "one-for-one",
        restarts: Schedule.spaced("1 second"),
        children: { a: Supervisor.child(counter()) }
      })
      yield* Actor.tell(group.children.a, new Crash())
      const asked = yield* Effect.fork(Actor.ask(group.children.a, new Get(), { timeout: "10 seconds" }))
      yield* Effect.yieldNow()
      assert.isNull(asked.unsafePoll())
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(asked), 0)
    })))
})
