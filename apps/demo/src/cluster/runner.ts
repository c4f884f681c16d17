/**
 * One runner process of `weft-demo serve --runners N` (started by `Runners.ts`, never by hand):
 * `runner.ts <database url> <port>`. It serves the `Topic` entity's shards over a loopback socket
 * with PostgreSQL message and runner storage, and reports to the gateway over the IPC channel:
 * `ready` once it serves, then every 500 ms the shards it owns, its active entities and the
 * messages it has handled. It runs until killed; SIGTERM shuts it down gracefully (its shards are
 * released at once instead of lapsing).
 */
import * as ShardId from "@effect/cluster/ShardId"
import { Sharding } from "@effect/cluster/Sharding"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as PgClient from "@effect/sql-pg/PgClient"
import { ActorSystem } from "@weft/actor"
import { ClusterEntity } from "@weft/cluster"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type { RunnerReport } from "./Runners.js"
import { handledHere, shardingConfig, shardsPerGroup, Topic, topic } from "./TopicEntity.js"

const [url, port] = process.argv.slice(2)

const report = (message: RunnerReport) =>
  Effect.sync(() => {
    process.send?.(message)
  })

const Runner = ClusterEntity.layer(Topic, topic).pipe(
  Layer.provideMerge(NodeClusterSocket.layer({ storage: "sql", shardingConfig: shardingConfig(Number(port)) })),
  Layer.provideMerge(ActorSystem.layer()),
  Layer.provide(PgClient.layer({ url: Redacted.make(url!), maxConnections: 16 }))
)

const shardIds = Array.from({ length: shardsPerGroup }, (_, i) => ShardId.make("default", i + 1))

const main = Effect.gen(function*() {
  const sharding = yield* Sharding
  yield* report({ _tag: "ready", pid: process.pid })
  yield* Effect.gen(function*() {
    const entities = yield* sharding.activeEntityCount
    const shards = shardIds.filter((id) => sharding.hasShardId(id)).length
    yield* report({ _tag: "stats", shards, entities, messages: handledHere.countFrames })
  }).pipe(Effect.repeat(Schedule.spaced("500 millis")))
  return yield* Effect.never
})

// The gateway's IPC channel closing means the gateway is gone: so is this runner.
process.on("disconnect", () => process.kill(process.pid, "SIGTERM"))

NodeRuntime.runMain(main.pipe(Effect.provide(Runner)))
