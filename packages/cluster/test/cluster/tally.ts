// The entity the multi-runner tests run: every delivery of a `Record` is written to PostgreSQL
// (no unique key, so a redelivery shows up as a second row), and the entity's in-memory state
// counts what this incarnation handled.
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as SqlClient from "@effect/sql/SqlClient"
import { Actor } from "@weft/actor"
import { Effect, Schema } from "effect"
import { ClusterEntity, ClusterRunner } from "../../src/index.js"

export class Record extends Schema.TaggedClass<Record>()("Record", { entity: Schema.String, seq: Schema.Number }) {}
export class WhoAmI extends Schema.TaggedRequest<WhoAmI>()("WhoAmI", {
  failure: Schema.Never,
  success: Schema.Struct({ pid: Schema.Number, handled: Schema.Number }),
  payload: {}
}) {}

export const Tally = ClusterEntity.make("Tally", [Record, WhoAmI], { askTimeout: "10 seconds" })

export const tally = Actor.behavior<Record | WhoAmI>()({
  initialState: 0,
  handlers: {
    Record: (message, handled) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // Slow enough that messages queue up behind each other on a runner when it is killed.
        yield* Effect.sleep("100 millis")
        yield* sql`INSERT INTO tally_deliveries (entity, seq, pid) VALUES (${message.entity}, ${message.seq}, ${process.pid})`
          .pipe(Effect.orDie)
        return handled + 1
      }),
    WhoAmI: (_, handled) => Effect.succeed(Actor.reply({ pid: process.pid, handled }, handled))
  }
})

export const createTable = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`CREATE TABLE IF NOT EXISTS tally_deliveries (entity text, seq integer NOT NULL, pid integer NOT NULL)`
)

/** A dead runner's shards move within seconds (`ClusterRunner.quickFailover`), over 30 shards. */
export const sharding = (port: number | undefined) =>
  ClusterRunner.quickFailover({
    shardsPerGroup: 30,
    runnerAddress: port === undefined ? undefined : RunnerAddress.make("127.0.0.1", port)
  })
