import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ClusterEntity, Embedded } from "../src/index.js"
import { Account, account, Balance, Crash, Deposit, Slow, Withdraw } from "./fixtures.js"

const cluster = (entity: typeof Account) =>
  ClusterEntity.layer(entity, account).pipe(Layer.provideMerge(Embedded.layer()))
const AccountVolatile: typeof Account = ClusterEntity.make("Account", [Deposit, Crash, Withdraw, Balance, Slow], {
  delivery: "volatile"
})

describe.each(["persisted", "volatile"] as const)("ClusterEntity (embedded, %s)", (delivery) => {
  const entity = delivery === "persisted" ? Account : AccountVolatile

  it.live("tell and ask keep one state per entity id", () =>
    Effect.gen(function*() {
      const alice = yield* ClusterEntity.ref(entity, "alice")
      const bob = yield* ClusterEntity.ref(entity, "bob")
      yield* ClusterEntity.tell(alice, new Deposit({ amount: 10 }))
      yield* ClusterEntity.tell(alice, new Deposit({ amount: 5 }))
      yield* ClusterEntity.tell(bob, new Deposit({ amount: 1 }))
      assert.strictEqual(yield* ClusterEntity.ask(alice, new Withdraw({ amount: 4 })), 11)
      assert.strictEqual(yield* ClusterEntity.ask(alice, new Balance()), 11)
      assert.strictEqual(yield* bob.pipe(ClusterEntity.ask(new Balance())), 1)
    }).pipe(Effect.provide(cluster(entity))))

  it.live("a request's typed failure reaches the asker and leaves the state unchanged", () =>
    Effect.gen(function*() {
      const ref = yield* ClusterEntity.ref(entity, "carol")
      yield* ClusterEntity.tell(ref, new Deposit({ amount: 3 }))
      const failure = yield* Effect.flip(ClusterEntity.ask(ref, new Withdraw({ amount: 5 })))
      assert.strictEqual(failure._tag, "Insufficient")
      assert.deepStrictEqual(failure._tag === "Insufficient" ? failure.balance : -1, 3)
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance()), 3)
    }).pipe(Effect.provide(cluster(entity))))

  it.live("a crashing tell restarts the actor; later messages are handled", () =>
    Effect.gen(function*() {
      const ref = yield* ClusterEntity.ref(entity, "dave")
      yield* ClusterEntity.tell(ref, new Deposit({ amount: 2 }))
      yield* ClusterEntity.tell(ref, new Crash())
      yield* ClusterEntity.tell(ref, new Deposit({ amount: 7 }))
      // restart: the state starts again from initialState
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance()), 7)
    }).pipe(Effect.provide(cluster(entity))))

  it.live("an ask past its deadline fails with AskTimeout and the entity goes on", () =>
    Effect.gen(function*() {
      const ref = yield* ClusterEntity.ref(entity, "erin")
      const error = yield* Effect.flip(ClusterEntity.ask(ref, new Slow({ millis: 1_000 }), { timeout: "200 millis" }))
      assert.strictEqual(error._tag, "AskTimeout")
      if (error._tag === "AskTimeout") assert.strictEqual(error.timeoutMs, 200)
      // As with a local actor, a handler already running finishes (its reply is discarded); the
      // next ask is answered after it.
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance(), { timeout: "5 seconds" }), 0)
    }).pipe(Effect.provide(cluster(entity))))
})
