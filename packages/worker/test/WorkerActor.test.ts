import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorError, ActorSystem } from "@weft/actor"
import { Cause, Effect, Exit, Fiber, Option, Scope } from "effect"
import * as WorkerThreads from "node:worker_threads"
import { BlockingPool, WorkerActor } from "../src/index.js"
import { Add, Boom, Counter, Get, Hold, Insufficient, makeProbe, Quit, Where, Withdraw } from "./fixtures/counter.js"
import { counterEntry, spawnTypeScript } from "./fixtures/spawn.js"
import { awaitProbe, eventually, openGate } from "./helpers.js"

/** Spawns the counter on a worker thread and records every thread started for it. */
const spawnCounter = (options: Partial<WorkerActor.SpawnOptions> = {}) =>
  Effect.gen(function*() {
    const threads: Array<WorkerThreads.Worker> = []
    const exited = new Set<WorkerThreads.Worker>()
    const ref = yield* WorkerActor.spawn(Counter, {
      entry: counterEntry,
      spawn: (entry, workerOptions) => {
        const thread = spawnTypeScript(entry, workerOptions)
        threads.push(thread)
        thread.once("exit", () => exited.add(thread))
        return thread
      },
      ...options
    })
    const live = Effect.sync(() => threads.filter((thread) => !exited.has(thread)).length)
    return { ref, threads, live }
  })

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

const withSystem = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.provide(ActorSystem.layer()))

describe("WorkerActor", () => {
  it.scopedLive("tell and ask round trip through the behaviour running on a worker thread", () =>
    withSystem(Effect.gen(function*() {
      const { ref } = yield* spawnCounter()
      yield* Actor.tellAll(ref, [new Add({ n: 1 }), new Add({ n: 2 }), new Add({ n: 3 })])
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 6)
      const where = yield* Actor.ask(ref, new Where())
      assert.isFalse(where.mainThread)
      assert.notStrictEqual(where.threadId, WorkerThreads.threadId)
    })))

  it.scopedLive("a request's typed failure reaches the asker decoded; the state is unchanged", () =>
    withSystem(Effect.gen(function*() {
      const { ref } = yield* spawnCounter()
      yield* Actor.tell(ref, new Add({ n: 5 }))
      const failure = failureOf(yield* Effect.exit(Actor.ask(ref, new Withdraw({ n: 9 }))))
      assert.instanceOf(failure, Insufficient)
      assert.deepStrictEqual(failure, new Insufficient({ balance: 5, requested: 9 }))
      assert.strictEqual(yield* Actor.ask(ref, new Withdraw({ n: 2 })), 3)
    })))

  it.scopedLive("an ask whose deadline passes while it waits in the mailbox fails with AskTimeout and never runs", () =>
    withSystem(Effect.gen(function*() {
      const { ref } = yield* spawnCounter()
      const probe = makeProbe()
      const held = yield* Effect.fork(Actor.ask(ref, new Hold({ probe })))
      yield* awaitProbe(probe, 0, 1)
      const late = failureOf(yield* Effect.exit(Actor.ask(ref, new Withdraw({ n: 1 }), { timeout: "50 millis" })))
      assert.instanceOf(late, ActorError.AskTimeout)
      assert.strictEqual(late.tag, "Withdraw")
      yield* openGate(probe)
      assert.strictEqual(yield* Fiber.join(held), 1)
      // The expired Withdraw never ran: nothing was taken.
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
    })))

  it.scopedLive("a crash in a handler on the thread is the actor's crash: its supervisor restarts it there", () =>
    withSystem(Effect.gen(function*() {
      const { ref, threads } = yield* spawnCounter({ supervision: { strategy: "restart" } })
      yield* Actor.tell(ref, new Add({ n: 4 }))
      yield* Actor.tell(ref, new Boom({ how: "throw" }))
      const where = yield* Actor.ask(ref, new Where())
      // onRestart ran on the thread and saw the crashed incarnation's state.
      assert.strictEqual(where.restartedFrom, 4)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 0)
      assert.strictEqual(threads.length, 1)
    })))

  it.scopedLive("a thread that exits is the actor's crash: restarted from initialState on a new thread", () =>
    withSystem(Effect.gen(function*() {
      const { live, ref, threads } = yield* spawnCounter({ supervision: { strategy: "restart" } })
      yield* Actor.tell(ref, new Add({ n: 4 }))
      const before = yield* Actor.ask(ref, new Where())
      yield* Actor.tell(ref, new Boom({ how: "exit" }))
      // A new thread loads effect (through tsx here): seconds on a loaded machine.
      const after = yield* Actor.ask(ref, new Where(), { timeout: "60 seconds" })
      assert.notStrictEqual(after.threadId, before.threadId)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 0)
      assert.strictEqual(threads.length, 2)
      assert.strictEqual(yield* live, 1)
    })))

  it.scopedLive("a behaviour that stops itself on the thread: the next message is a crash, then a restart answers", () =>
    withSystem(Effect.gen(function*() {
      const { ref, threads } = yield* spawnCounter({ supervision: { strategy: "restart" } })
      yield* Actor.tell(ref, new Add({ n: 4 }))
      yield* Actor.tell(ref, new Quit())
      const lost = yield* Effect.exit(Actor.ask(ref, new Get()))
      assert.isTrue(Exit.isFailure(lost), "the behaviour had ended: the ask cannot be answered")
      // Restarted by its supervisor, the actor starts a fresh incarnation on the same thread.
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 0)
      yield* Actor.tell(ref, new Add({ n: 2 }))
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 2)
      assert.strictEqual(threads.length, 1)
    })))

  it.scopedLive("resume keeps the state on the thread; stop ends the actor and its thread", () =>
    withSystem(Effect.gen(function*() {
      const resumed = yield* spawnCounter({ supervision: { strategy: "resume" } })
      yield* Actor.tell(resumed.ref, new Add({ n: 4 }))
      yield* Actor.tell(resumed.ref, new Boom({ how: "throw" }))
      assert.strictEqual(yield* Actor.ask(resumed.ref, new Get()), 4)

      const stopped = yield* spawnCounter({ supervision: { strategy: "stop" } })
      yield* Actor.tell(stopped.ref, new Boom({ how: "throw" }))
      const terminated = yield* Actor.awaitTermination(stopped.ref)
      assert.strictEqual(terminated.reason._tag, "Failed")
      if (terminated.reason._tag === "Failed") {
        const defect = Cause.squash(terminated.reason.cause)
        assert.instanceOf(defect, BlockingPool.JobDefect)
        assert.include((defect as BlockingPool.JobDefect).detail, "boom in the worker")
      }
      yield* eventually(stopped.live, (live) => live === 0)
    })))

  it.scopedLive("an interrupted ask: queued, it never reaches the thread; running, it runs to the end", () =>
    withSystem(Effect.gen(function*() {
      const { ref } = yield* spawnCounter()
      const running = makeProbe()
      const queued = makeProbe()
      const first = yield* Effect.fork(Actor.ask(ref, new Hold({ probe: running })))
      yield* awaitProbe(running, 0, 1)
      const second = yield* Effect.fork(Actor.ask(ref, new Hold({ probe: queued })))
      yield* eventually(Actor.mailboxSize(ref), (size) => size === 1)
      yield* Fiber.interrupt(second)
      yield* Fiber.interrupt(first)
      yield* openGate(running)
      yield* openGate(queued)
      // The running Hold finished on the thread (its reply was discarded); the queued one never started.
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
      assert.strictEqual(Atomics.load(running, 1), 1)
      assert.strictEqual(Atomics.load(queued, 0), 0)
    })))

  it.scopedLive("closing the spawning scope stops the actor and leaves no thread", () =>
    withSystem(Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { live, ref } = yield* Scope.extend(spawnCounter(), scope)
      yield* Actor.tell(ref, new Add({ n: 1 }))
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
      assert.strictEqual(yield* live, 1)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual((yield* Actor.awaitTermination(ref)).reason._tag, "Stopped")
      yield* eventually(live, (n) => n === 0)
    })))
})
