import * as MessageStorage from "@effect/cluster/MessageStorage"
import { assert, describe, it } from "@effect/vitest"
import { Actor } from "@weft/actor"
import { Deferred, Effect, Fiber, Layer, Schema } from "effect"
import { ClusterEntity, Embedded } from "../src/index.js"
import {
  Account,
  account,
  Balance,
  Crash,
  Deposit,
  Gate,
  Hold,
  holdUntilOpen,
  makeGate,
  Slow,
  Withdraw
} from "./fixtures.js"

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
      assert.deepStrictEqual([alice, entity, {}].map(ClusterEntity.isEntityRef), [true, false, false])
      assert.deepStrictEqual([entity, alice, {}].map(ClusterEntity.isClusterEntity), [true, false, false])
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

class Ping
  extends Schema.TaggedRequest<Ping>()("Ping", { failure: Schema.Never, success: Schema.Number, payload: {} })
{}
class Bump
  extends Schema.TaggedRequest<Bump>()("Bump", { failure: Schema.Never, success: Schema.Number, payload: {} })
{}
const Held = ClusterEntity.make("Held", [Hold, Ping, Bump])
const held = Actor.behavior<Hold | Ping | Bump>()({
  initialState: 0,
  handlers: {
    Hold: holdUntilOpen,
    Ping: (_, count) => Effect.succeed(Actor.reply(count, count)),
    Bump: (_, count) => Effect.succeed(Actor.reply(count + 100, count + 100))
  }
})

describe("ClusterEntity (embedded, persisted storage)", () => {
  it.live("a tell is marked processed only once its handler has finished", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const cluster = ClusterEntity.layer(Held, held).pipe(
        Layer.provide(Layer.succeed(Gate, gate)),
        Layer.provideMerge(Embedded.layer())
      )
      yield* Effect.gen(function*() {
        const driver = yield* MessageStorage.MemoryDriver
        const ref = yield* ClusterEntity.ref(Held, "h")
        yield* ClusterEntity.tell(ref, new Hold())
        yield* Deferred.await(gate.started)
        // The handler is running: a crash now would leave the message in storage for redelivery.
        assert.strictEqual(driver.unprocessed.size, 1)
        yield* Deferred.succeed(gate.open, undefined)
        assert.strictEqual(yield* ClusterEntity.ask(ref, new Ping()), 1)
        yield* Effect.sleep("10 millis").pipe(Effect.repeat({ until: () => driver.unprocessed.size === 0, times: 200 }))
        assert.strictEqual(driver.unprocessed.size, 0)
      }).pipe(Effect.ensuring(Deferred.succeed(gate.open, undefined)), Effect.provide(cluster))
    }))

  it.live("an ask interrupted before the entity reached it never runs", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const cluster = ClusterEntity.layer(Held, held).pipe(
        Layer.provide(Layer.succeed(Gate, gate)),
        Layer.provideMerge(Embedded.layer())
      )
      yield* Effect.gen(function*() {
        const driver = yield* MessageStorage.MemoryDriver
        const ref = yield* ClusterEntity.ref(Held, "i")
        yield* ClusterEntity.tell(ref, new Hold())
        yield* Deferred.await(gate.started)
        const bump = yield* Effect.fork(ClusterEntity.ask(ref, new Bump()))
        // Bump is stored, queued behind the running Hold.
        yield* Effect.sleep("10 millis").pipe(Effect.repeat({ until: () => driver.unprocessed.size === 2, times: 200 }))
        yield* Fiber.interrupt(bump)
        yield* Deferred.succeed(gate.open, undefined)
        assert.strictEqual(yield* ClusterEntity.ask(ref, new Ping()), 1)
      }).pipe(Effect.ensuring(Deferred.succeed(gate.open, undefined)), Effect.provide(cluster))
    }))
})
