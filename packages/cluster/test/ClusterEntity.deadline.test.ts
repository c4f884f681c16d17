import * as MessageStorage from "@effect/cluster/MessageStorage"
import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem } from "@weft/actor"
import type { Context } from "effect"
import {
  Clock,
  Deferred,
  Effect,
  Exit,
  Fiber,
  FiberId,
  Layer,
  Option,
  Schema,
  Supervisor,
  TestClock,
  TestServices
} from "effect"
import { ClusterEntity, ClusterEntityError, Embedded } from "../src/index.js"
import { deadlineHeader } from "../src/internal/entity.js"
import { Gate, Hold, holdUntilOpen, makeGate, settle } from "./fixtures.js"

class Count
  extends Schema.TaggedRequest<Count>()("Count", { failure: Schema.Never, success: Schema.Number, payload: {} })
{}
const Gated = ClusterEntity.make("Gated", [Hold, Count])
/** `Hold` keeps the entity busy until the gate opens; `Count` counts the messages handled. */
const gated = Actor.behavior<Hold | Count>()({
  initialState: 0,
  handlers: {
    Hold: holdUntilOpen,
    Count: (_, count) => Effect.succeed(Actor.reply(count + 1, count + 1))
  }
})

/**
 * Runs `body` with an entity "g" of `Gated` busy in a `Hold`: an ask to it waits in the cluster's
 * queue for the entity, where only the caller's deadline can end it.
 */
const whileBusy = <A, E>(
  body: (
    ref: ClusterEntity.EntityRef<Hold | Count>,
    open: Effect.Effect<void>
  ) => Effect.Effect<A, E, MessageStorage.MemoryDriver>
) =>
  Effect.gen(function*() {
    const gate = yield* makeGate
    const open = Effect.asVoid(Deferred.succeed(gate.open, undefined))
    return yield* Effect.gen(function*() {
      const ref = yield* ClusterEntity.ref(Gated, "g")
      yield* ClusterEntity.tell(ref, new Hold())
      yield* settle(Deferred.await(gate.started), "2 seconds")
      return yield* body(ref, open)
    }).pipe(Effect.ensuring(open), Effect.provide(cluster(gate)))
  })

const cluster = (gate: Context.Tag.Service<Gate>) =>
  ClusterEntity.layer(Gated, gated).pipe(Layer.provide(Layer.succeed(Gate, gate)), Layer.provideMerge(Embedded.layer()))

/** Until `count` messages are in storage, unprocessed (real time: the send crosses several fibers). */
const stored = (count: number) =>
  Effect.flatMap(MessageStorage.MemoryDriver, (driver) =>
    Effect.sleep("5 millis").pipe(
      TestServices.provideLive,
      Effect.repeat({ until: () => driver.unprocessed.size === count, times: 200 })
    ))

/** `Count` through @effect/cluster's own client of the entity type, with the headers given. */
const clientOf = (entityId: string) =>
  Effect.map(Gated.entity.client, (clientFor) =>
    clientFor(entityId) as unknown as {
      readonly Count: (
        message: Count,
        options?: { readonly headers?: Record<string, string> }
      ) => Effect.Effect<unknown, unknown>
    })

/** Counts the fibers started under it. */
class ForkCount extends Supervisor.AbstractSupervisor<number> {
  count = 0
  get value() {
    return Effect.sync(() => this.count)
  }
  override onStart() {
    this.count++
  }
}

describe("ClusterEntity.ask: the caller's deadline", () => {
  it.effect("with no reply, the ask fails with AskTimeout at its deadline on the fiber's clock (TestClock), not before", () =>
    whileBusy((ref) =>
      Effect.gen(function*() {
        const asking = yield* Effect.fork(ClusterEntity.ask(ref, new Count(), { timeout: "3 seconds" }))
        yield* stored(2)
        yield* TestClock.adjust("2999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(asking)), "failed before its deadline")
        yield* TestClock.adjust("1 millis")
        assert.deepStrictEqual(
          yield* Fiber.await(asking),
          Exit.fail(
            new ClusterEntityError.AskTimeout({ entityType: "Gated", entityId: "g", tag: "Count", timeoutMs: 3000 })
          )
        )
      })
    ))

  it.effect("interrupted while it waits (TestClock), the ask ends interrupted and its request never runs", () =>
    whileBusy((ref, open) =>
      Effect.gen(function*() {
        const asking = yield* Effect.fork(ClusterEntity.ask(ref, new Count(), { timeout: "1 second" }))
        yield* stored(2)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(asking)))
        // Its deadline passing later changes nothing.
        yield* TestClock.adjust("2 seconds")
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(asking)))
        yield* open
        // Hold, then this Count: the interrupted Count was never handled.
        assert.strictEqual(
          yield* settle(ClusterEntity.ask(ref, new Count(), { timeout: "10 seconds" }), "2 seconds"),
          2
        )
      })
    ))

  it.live("on Effect's live clock the deadline forks no fiber: one for the request (Effect.timeoutFail forked two)", () =>
    Effect.gen(function*() {
      const ref = yield* ClusterEntity.ref(Gated, "forks")
      const client = yield* clientOf("forks")
      // The first ask starts the entity; the next ones are the steady state.
      yield* ClusterEntity.ask(ref, new Count())
      const cluster = new ForkCount()
      assert.strictEqual(yield* client.Count(new Count()).pipe(Effect.supervised(cluster)), 2)
      const weft = new ForkCount()
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Count()).pipe(Effect.supervised(weft)), 3)
      assert.strictEqual(weft.count, cluster.count + 1, `@effect/cluster alone forks ${cluster.count}`)
    }).pipe(
      Effect.provide(cluster({ started: Deferred.unsafeMake(FiberId.none), open: Deferred.unsafeMake(FiberId.none) }))
    ))

  it.effect("a request whose deadline passed before the entity's actor got to it is skipped, not handled", () =>
    Effect.gen(function*() {
      const client = yield* clientOf("late")
      const passed = (yield* Clock.currentTimeMillis) - 1
      const error = yield* settle(
        Effect.flip(client.Count(new Count(), { headers: { [deadlineHeader]: String(passed) } })),
        "2 seconds"
      )
      assert.instanceOf(error, ClusterEntityError.EntityFailed)
      assert.strictEqual(error instanceof ClusterEntityError.EntityFailed ? error.reason : "", "AskTimeout")
      // Its dead letter says why; the next request is the first one handled.
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 1)
      const ref = yield* ClusterEntity.ref(Gated, "late")
      assert.strictEqual(yield* settle(ClusterEntity.ask(ref, new Count()), "2 seconds"), 1)
    }).pipe(
      Effect.provide(cluster({ started: Deferred.unsafeMake(FiberId.none), open: Deferred.unsafeMake(FiberId.none) }))
    ))
})
