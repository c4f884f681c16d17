// One runner process: `node --conditions=source --import tsx runner.ts <database url> <port>`.
// Prints "ready <pid>" once it serves the Tally entity, then runs until killed.
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as PgClient from "@effect/sql-pg/PgClient"
import { ActorSystem } from "@weft/actor"
import { Effect, Layer, Redacted } from "effect"
import { ClusterEntity } from "../../src/index.js"
import { sharding, Tally, tally } from "./tally.js"

const [url, port] = process.argv.slice(2)
const Sql = PgClient.layer({ url: Redacted.make(url!), maxConnections: 20 })
const Runner = ClusterEntity.layer(Tally, tally).pipe(
  Layer.provide(NodeClusterSocket.layer({ storage: "sql", shardingConfig: sharding(Number(port)) })),
  Layer.provide(ActorSystem.layer()),
  Layer.provide(Sql)
)

Effect.gen(function*() {
  yield* Layer.build(Runner)
  process.stdout.write(`ready ${process.pid}\n`)
  return yield* Effect.never
}).pipe(Effect.scoped, Effect.runFork)
