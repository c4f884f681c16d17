import { Actor } from "@weft/actor"
import { Effect, Schema } from "effect"
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
