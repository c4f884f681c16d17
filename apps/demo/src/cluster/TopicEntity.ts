/**
 * The gateway's per-topic state as a cluster entity: one `Topic` entity per topic, sharded over
 * the runner processes. The gateway's `cluster` plugin tells each topic how many frames (and
 * payload bytes) of it each dispatched batch held; the entity adds them to PostgreSQL, keyed by
 * (topic, batch), so a redelivered tell (at-least-once: a runner killed after the insert, before
 * the message was marked processed) changes nothing, and a topic's totals survive its shard moving
 * to another runner (the entity's in-memory state does not).
 */
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Actor } from "@weft/actor"
import { ClusterEntity, ClusterRunner } from "@weft/cluster"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"

/** The frames of one topic in one dispatched batch. `batch` is unique per gateway run and batch. */
export class CountFrames extends Schema.TaggedClass<CountFrames>()("CountFrames", {
  topic: Schema.String,
  batch: Schema.String,
  frames: Schema.Number,
  bytes: Schema.Number
}) {}

/** The topic's totals, as stored, and the runner process that answered. */
export class TopicTotals extends Schema.TaggedRequest<TopicTotals>()("TopicTotals", {
  failure: Schema.Never,
  success: Schema.Struct({ frames: Schema.Number, bytes: Schema.Number, runner: Schema.Number }),
  payload: {}
}) {}

export const Topic = ClusterEntity.make("Topic", [CountFrames, TopicTotals], { askTimeout: "10 seconds" })

/** The table the entities add to; one row per (topic, batch). */
export const createTable = Effect.flatMap(
  PgClient.PgClient,
  (sql) =>
    sql`CREATE TABLE IF NOT EXISTS weft_demo_topic_batches (
    topic text NOT NULL,
    batch text NOT NULL,
    frames integer NOT NULL,
    bytes bigint NOT NULL,
    runner integer NOT NULL,
    PRIMARY KEY (topic, batch)
  )`
)

/** What this runner process has handled: the `cluster` panel's "messages per runner". */
export const handledHere = { countFrames: 0 }

// A short database hiccup is retried here; what still fails after that crashes the handler (the
// tell is then answered with EntityFailed and not redelivered).
const retrySql = Schedule.exponential("20 millis").pipe(Schedule.intersect(Schedule.recurs(8)))

/** The `Topic` behaviour: the state is what this incarnation handled (it starts again after a move). */
export const topic = Actor.behavior<CountFrames | TopicTotals>()({
  initialState: 0,
  handlers: {
    CountFrames: (message, handled) =>
      Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        yield* sql`INSERT INTO weft_demo_topic_batches (topic, batch, frames, bytes, runner)
          VALUES (${message.topic}, ${message.batch}, ${message.frames}, ${message.bytes}, ${process.pid})
          ON CONFLICT (topic, batch) DO NOTHING`.pipe(Effect.retry(retrySql), Effect.orDie)
        handledHere.countFrames++
        return handled + 1
      }),
    TopicTotals: (_, handled, { self }) =>
      Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        // The entity's actor is named after its entity id: `Topic/<topic>`.
        const topic = self.name.slice(`${Topic.type}/`.length)
        const [row] = yield* sql<{ frames: string | null; bytes: string | null }>`
          SELECT sum(frames) AS frames, sum(bytes) AS bytes FROM weft_demo_topic_batches WHERE topic = ${topic}`
          .pipe(Effect.retry(retrySql), Effect.orDie)
        const totals = { frames: Number(row?.frames ?? 0), bytes: Number(row?.bytes ?? 0), runner: process.pid }
        return Actor.reply(totals, handled)
      })
  }
})

/**
 * The demo's sharding settings: a killed runner's shards move within seconds, so that the dashboard
 * shows the rebalance live (see `ClusterRunner.quickFailover`). `port` is the runner's; callers that
 * serve nothing pass none.
 */
export const shardingConfig = (port: number | undefined) =>
  ClusterRunner.quickFailover({
    shardsPerGroup,
    runnerAddress: port === undefined ? undefined : RunnerAddress.make("127.0.0.1", port)
  })

/** Shards of the demo's one shard group. */
export const shardsPerGroup = 60
