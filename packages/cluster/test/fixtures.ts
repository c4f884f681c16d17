import { assert } from "@effect/vitest"
import { Actor } from "@weft/actor"
import { Context, Deferred, Duration, Effect, Fiber, Option, Schema, TestClock, TestServices } from "effect"
import { ClusterEntity } from "../src/index.js"

export class Deposit extends Schema.TaggedClass<Deposit>()("Deposit", { amount: Schema.Number }) {}
export class Crash extends Schema.TaggedClass<Crash>()("Crash", {}) {}
export class Insufficient extends Schema.TaggedError<Insufficient>()("Insufficient", { balance: Schema.Number }) {}
export class Withdraw extends Schema.TaggedRequest<Withdraw>()("Withdraw", {
  failure: Insufficient,
  success: Schema.Number,
  payload: { amount: Schema.Number }
}) {}
export class Balance extends Schema.TaggedRequest<Balance>()("Balance", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}
export class Slow extends Schema.TaggedRequest<Slow>()("Slow", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: { millis: Schema.Number }
}) {}

export type AccountMessage = Deposit | Crash | Withdraw | Balance | Slow

export const account = Actor.behavior<AccountMessage>()({
  initialState: 0,
  handlers: {
    Deposit: (message, balance) => Effect.succeed(balance + message.amount),
    Crash: () => Effect.die("boom"),
    Withdraw: (message, balance) =>
      message.amount > balance
        ? Effect.fail(new Insufficient({ balance }))
        : Effect.succeed(Actor.reply(balance - message.amount, balance - message.amount)),
    Balance: (_, balance) => Effect.succeed(Actor.reply(balance, balance)),
    Slow: (message, balance) => Effect.as(Effect.sleep(message.millis), Actor.reply(balance, balance))
  }
})

export const Account = ClusterEntity.make("Account", [Deposit, Crash, Withdraw, Balance, Slow])

/** Runs `effect`, advancing the TestClock by up to `within` in 100 ms steps while it has not finished. */
export const settle = <A, E, R>(effect: Effect.Effect<A, E, R>, within: Duration.DurationInput) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (let step = 0; step < Duration.toMillis(within) / 100; step++) {
      // Real time for the work between steps (socket-free, but across several fibers).
      yield* Effect.sleep("5 millis").pipe(TestServices.provideLive)
      if (Option.isSome(yield* Fiber.poll(fiber))) break
      yield* TestClock.adjust("100 millis")
    }
    const done = yield* Fiber.poll(fiber)
    assert.isTrue(Option.isSome(done), `not done within ${Duration.format(within)} of TestClock time`)
    return yield* Fiber.join(fiber)
  })

/** Keeps an entity busy until its `Gate` opens. */
export class Hold extends Schema.TaggedClass<Hold>()("Hold", {}) {}

/** What `holdUntilOpen` signals (`started`) and waits for (`open`). */
export class Gate extends Context.Tag("test/Gate")<
  Gate,
  { readonly started: Deferred.Deferred<void>; readonly open: Deferred.Deferred<void> }
>() {}

/** A gate, closed. */
export const makeGate = Effect.all({ started: Deferred.make<void>(), open: Deferred.make<void>() })

/** The `Hold` handler: says it started, waits for the gate, then counts the message. */
export const holdUntilOpen = (_: Hold, count: number) =>
  Effect.flatMap(
    Gate,
    (gate) =>
      Deferred.succeed(gate.started, undefined).pipe(
        Effect.zipRight(Deferred.await(gate.open)),
        Effect.as(count + 1)
      )
  )
