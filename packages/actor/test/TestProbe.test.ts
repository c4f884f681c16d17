import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem, TestProbe } from "@weft/actor"
import type { Scope } from "effect"
import { Data, Effect, Fiber, TestClock } from "effect"

class Ping extends Data.TaggedClass("Ping")<{ readonly n: number }> {}
class Pong extends Data.TaggedClass("Pong")<{ readonly n: number }> {}
class Serve extends Data.TaggedClass("Serve")<{ readonly n: number; readonly replyTo: Actor.ActorRef<Pong> }> {}

const server = Actor.behavior<Serve>()({
  initialState: 0,
  handlers: {
    Serve: (message, served) =>
      Effect.as(Effect.orDie(Actor.tell(message.replyTo, new Pong({ n: message.n * 2 }))), served + 1)
  }
})

const run = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

describe("TestProbe", () => {
  it.effect("records what the code under test sends, in order", () =>
    run(Effect.gen(function*() {
      const probe = yield* TestProbe.make<Pong>({ name: "probe" })
      const ref = yield* Actor.spawn(server)
      yield* Actor.tell(ref, new Serve({ n: 1, replyTo: probe.ref }))
      yield* Actor.tell(ref, new Serve({ n: 2, replyTo: probe.ref }))
      assert.deepStrictEqual(yield* probe.expectMessage(), new Pong({ n: 2 }))
      assert.deepStrictEqual(yield* probe.expectMessage(), new Pong({ n: 4 }))
      assert.strictEqual((yield* probe.received).length, 2)
    })))

  it.effect("expectMessage times out on the TestClock", () =>
    run(Effect.gen(function*() {
      const probe = yield* TestProbe.make<Ping>({ name: "quiet" })
      const waiting = yield* Effect.fork(probe.expectMessage("1 second"))
      yield* TestClock.adjust("999 millis")
      assert.isNull(waiting.unsafePoll())
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(waiting))
      assert.deepStrictEqual(error, new TestProbe.ProbeTimeout({ probe: "quiet", waitedMs: 1000 }))
    })))

  it.effect("expectNoMessage fails with the message that arrived", () =>
    run(Effect.gen(function*() {
      const probe = yield* TestProbe.make<Ping>({ name: "p" })
      const quiet = yield* Effect.fork(probe.expectNoMessage("1 second"))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(quiet)
      yield* Actor.tell(probe.ref, new Ping({ n: 7 }))
      const error = yield* Effect.flip(probe.expectNoMessage("1 second"))
      assert.deepStrictEqual(error, new TestProbe.UnexpectedMessage({ probe: "p", received: new Ping({ n: 7 }) }))
    })))

  it.effect("an interrupted expectation takes nothing", () =>
    run(Effect.gen(function*() {
      const probe = yield* TestProbe.make<Ping>()
      const waiting = yield* Effect.fork(probe.expectMessage("1 minute"))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiting)
      yield* Actor.tell(probe.ref, new Ping({ n: 1 }))
      assert.deepStrictEqual(yield* probe.expectMessage(), new Ping({ n: 1 }))
    })))
})

describe("TestProbe.failing", () => {
  it.effect("injects a crash for the chosen messages, and only those", () =>
    run(Effect.gen(function*() {
      class Job extends Data.TaggedClass("Job")<{ readonly id: number }> {}
      const handled: Array<number> = []
      const worker = Actor.behavior<Job>()({
        initialState: 0,
        handlers: { Job: (job, n) => Effect.sync(() => (handled.push(job.id), n + 1)) }
      })
      const ref = yield* Actor.spawn(TestProbe.failing(worker, (job) => job.id % 3 === 2), {
        supervision: { strategy: "resume" }
      })
      for (let id = 0; id < 6; id++) yield* Actor.tell(ref, new Job({ id }))
      yield* Actor.stop(ref, { mode: "drain" })
      assert.deepStrictEqual(handled, [0, 1, 3, 4])
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 2)
    })))
})
