import { assert, describe, it } from "@effect/vitest"
import { Actor } from "@weft/actor"
import { Context, Deferred, Effect, Fiber, Layer, Schema, TestClock, TestServices } from "effect"
import { ClusterEntity, ClusterEntityError, Embedded } from "../src/index.js"
import { Account, account, Balance, Deposit, settle } from "./fixtures.js"

describe("ClusterEntity: the entity's actor name", () => {
  it.live("taken by another actor: the message fails with EntityNameTaken; the entity starts once the name is free", () =>
    Effect.gen(function*() {
      // A local actor in the runner's ActorSystem under the name the entity "x" of Account needs.
      const squatter = yield* Actor.spawn(account, { name: "Account/x" })
      const ref = yield* ClusterEntity.ref(Account, "x")
      // A tell is taken (stored) and answered with the failure (the ask after it shows when): not
      // handled, and not redelivered once the name is free.
      yield* ClusterEntity.tell(ref, new Deposit({ amount: 5 }))
      const error = yield* Effect.flip(ClusterEntity.ask(ref, new Balance(), { timeout: "2 seconds" }))
      assert.deepStrictEqual(
        error,
        new ClusterEntityError.EntityNameTaken({
          entityType: "Account",
          entityId: "x",
          tag: "Balance",
          actorName: "Account/x"
        })
      )
      yield* Actor.stop(squatter)
      yield* ClusterEntity.tell(ref, new Deposit({ amount: 2 }))
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance(), { timeout: "2 seconds" }), 2)
    }).pipe(
      Effect.scoped,
      Effect.provide(ClusterEntity.layer(Account, account).pipe(Layer.provideMerge(Embedded.layer())))
    ))

  it.effect("held by the entity's previous actor, still stopping after passivation: the next one waits for it", () =>
    Effect.gen(function*() {
      const gate = { stopping: yield* Deferred.make<void>(), open: yield* Deferred.make<void>() }
      const cluster = ClusterEntity.layer(Passivating, passivating, { maxIdleTime: "1 second" }).pipe(
        Layer.provide(Layer.succeed(Gate, gate)),
        Layer.provideMerge(Embedded.layer())
      )
      yield* Effect.gen(function*() {
        const ref = yield* ClusterEntity.ref(Passivating, "p")
        assert.strictEqual(yield* settle(ClusterEntity.ask(ref, new Count()), "1 second"), 1)
        // The cluster's idle check (every 5 s at most) passivates the entity: its actor's onStop waits at the gate.
        yield* TestClock.adjust("6 seconds")
        yield* settle(Deferred.await(gate.stopping), "1 second")
        const next = yield* Effect.fork(ClusterEntity.ask(ref, new Count()))
        yield* Effect.sleep("10 millis").pipe(TestServices.provideLive)
        yield* Deferred.succeed(gate.open, undefined)
        // A new incarnation, so its state starts again from initialState. Settled within 400 ms:
        // a failed start is retried by the cluster only after 500 ms.
        assert.strictEqual(yield* settle(Fiber.join(next), "400 millis"), 1)
      }).pipe(Effect.ensuring(Deferred.succeed(gate.open, undefined)), Effect.provide(cluster))
    }))
})

class Count
  extends Schema.TaggedRequest<Count>()("Count", { failure: Schema.Never, success: Schema.Number, payload: {} })
{}
class Gate extends Context.Tag("test/StopGate")<
  Gate,
  { readonly stopping: Deferred.Deferred<void>; readonly open: Deferred.Deferred<void> }
>() {}
const Passivating = ClusterEntity.make("Passivating", [Count], { delivery: "volatile" })
const passivating = Actor.behavior<Count>()({
  initialState: 0,
  handlers: { Count: (_, count) => Effect.succeed(Actor.reply(count + 1, count + 1)) },
  onStop: () =>
    Effect.flatMap(
      Gate,
      (gate) => Effect.zipRight(Deferred.succeed(gate.stopping, undefined), Deferred.await(gate.open))
    )
})
