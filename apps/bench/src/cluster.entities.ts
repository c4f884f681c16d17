// The entities the cluster bench rows ask, on both sides of each row: `Counter` through
// @weft/cluster (a weft protocol and an Actor.behavior), `RawCounter` through @effect/cluster alone
// (a hand-written Entity and handler). Both are persisted (message storage in PostgreSQL) and count
// the pings each entity id received.
import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as Rpc from "@effect/rpc/Rpc"
import { Actor } from "@weft/actor"
import { ClusterEntity, ClusterRunner } from "@weft/cluster"
import { Effect, Schema } from "effect"

export class Ping extends Schema.TaggedRequest<Ping>()("Ping", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}

export const Counter = ClusterEntity.make("Counter", [Ping], { askTimeout: "30 seconds" })

export const counter = Actor.behavior<Ping>()({
  initialState: 0,
  handlers: { Ping: (_, count) => Effect.succeed(Actor.reply(count + 1, count + 1)) }
})

export const RawCounter = Entity.make("RawCounter", [
  Rpc.make("Ping", { success: Schema.Number }).annotate(ClusterSchema.Persisted, true)
])

export const rawCounter = RawCounter.toLayer(Effect.sync(() => {
  let count = 0
  return { Ping: () => Effect.sync(() => ++count) }
}))

/** The pid of the runner that answers: `Whereabouts` of the recovery row. */
export class WhereAreYou extends Schema.TaggedRequest<WhereAreYou>()("WhereAreYou", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}

export const Locator = ClusterEntity.make("Locator", [WhereAreYou], { askTimeout: "2 seconds" })

export const locator = Actor.behavior<WhereAreYou>()({
  initialState: 0,
  handlers: { WhereAreYou: (_, state) => Effect.succeed(Actor.reply(process.pid, state)) }
})

/** As the demo and the tests: a dead runner's shard locks lapse after 4 s (the default is 35 s). */
export const sharding = (port: number | undefined) =>
  ClusterRunner.quickFailover({ runnerAddress: port === undefined ? undefined : RunnerAddress.make("127.0.0.1", port) })
