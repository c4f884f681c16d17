// One runner process of the cluster bench: `cluster.runner.ts <database url> <port>`. Serves
// Counter, RawCounter and Locator; prints "ready <where @weft/cluster was loaded from>" once it
// does (the bench checks that it is the built package); runs until killed.
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as PgClient from "@effect/sql-pg/PgClient"
import { ActorSystem } from "@weft/actor"
import { ClusterEntity } from "@weft/cluster"
import { Effect, Layer, Redacted } from "effect"
import { Counter, counter, Locator, locator, rawCounter, sharding } from "./cluster.entities.js"

const [url, port] = process.argv.slice(2)

const Runner = Layer.mergeAll(
  ClusterEntity.layer(Counter, counter),
  ClusterEntity.layer(Locator, locator),
  rawCounter
).pipe(
  Layer.provide(NodeClusterSocket.layer({ storage: "sql", shardingConfig: sharding(Number(port)) })),
  Layer.provide(ActorSystem.layer()),
  Layer.provide(PgClient.layer({ url: Redacted.make(url!), maxConnections: 16 }))
)

process.on("disconnect", () => process.exit(0))

Effect.gen(function*() {
  yield* Layer.build(Runner)
  process.stdout.write(`ready ${import.meta.resolve("@weft/cluster")}\n`)
  return yield* Effect.never
}).pipe(Effect.scoped, Effect.runFork)
