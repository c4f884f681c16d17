import { Actor } from "@weft/actor"
import { Broadcast } from "@weft/channel"
import { Chunk, Data, Deferred, Effect, Schema } from "effect"

export class Add extends Data.TaggedClass("Add")<{ readonly n: number }> {}

/** Parks the handler until `gate` opens. */
export class Block extends Data.TaggedClass("Block")<{ readonly gate: Deferred.Deferred<void> }> {}

export class Crash extends Data.TaggedClass("Crash")<{}> {}

export class Get extends Schema.TaggedRequest<Get>()("Get", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}

export class Divide extends Schema.TaggedRequest<Divide>()("Divide", {
  failure: Schema.String,
  success: Schema.Number,
  payload: { by: Schema.Number }
}) {}

/** A request whose handler parks until `gate` opens, then replies with the state. */
export class SlowGet extends Schema.TaggedRequest<SlowGet>()("SlowGet", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: { gate: Schema.Any }
}) {}

export type Counter = Add | Block | Crash | Get | Divide | SlowGet

/** Everything the counter handled, in order, for assertions. */
export interface Log {
  readonly handled: Array<string>
}

export const counter = (log: Log = { handled: [] }, initialState = 0) =>
  Actor.behavior<Counter>()({
    initialState,
    handlers: {
      Add: (message, state) =>
        Effect.sync(() => {
          log.handled.push(`Add(${message.n})`)
          return state + message.n
        }),
      Block: (message, state) =>
        Effect.sync(() => log.handled.push("Block")).pipe(
          Effect.zipRight(Deferred.await(message.gate)),
          Effect.as(state)
        ),
      Crash: () => Effect.sync(() => log.handled.push("Crash")).pipe(Effect.zipRight(Effect.dieMessage("boom"))),
      Get: (_, state) => Effect.succeed(Actor.reply(state, state)),
      Divide: (message, state) =>
        message.by === 0 ? Effect.fail("division by zero") : Effect.succeed(Actor.reply(state / message.by, state)),
      SlowGet: (message, state) =>
        Effect.sync(() => log.handled.push("SlowGet")).pipe(
          Effect.zipRight(Deferred.await(message.gate as Deferred.Deferred<void>)),
          Effect.as(Actor.reply(state, state))
        )
    }
  })

/** Everything a subscription received so far, without waiting (a lag fails the test). */
export const receivedSoFar = <A>(subscription: Broadcast.Subscription<A>): Effect.Effect<Chunk.Chunk<A>> =>
  Effect.flatMap(
    Broadcast.pending(subscription),
    (n) => n === 0 ? Effect.succeed(Chunk.empty<A>()) : Effect.orDie(Broadcast.recvUpTo(subscription, n))
  )
