/**
 * The scale-out mode, `weft-demo serve --runners N`: the gateway's per-topic state as `Topic`
 * entities sharded over N runner processes (each `runner.ts`, serving its shards over a loopback
 * socket), with PostgreSQL message and runner storage (`Database.ts`). The gateway itself is a
 * client of the cluster: its `cluster` plugin (`TopicPlugin.ts`) tells the topics' entities what it
 * ingested.
 *
 * `layer` provides the plugin to the gateway (`ExtraPlugins`) and `ClusterMode`: what the dashboard
 * and `/cluster` show (runners, shards and messages per runner), killing a runner (SIGKILL: its
 * shards lapse and move to the others) and starting one more. Closing the layer (after the
 * gateway, which drains the plugin) stops the runners (SIGTERM, SIGKILL after 5 s), drops the
 * database and stops the PostgreSQL server it started, if any.
 */
import { Sharding } from "@effect/cluster/Sharding"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Actor } from "@weft/actor"
import { ClusterEntity } from "@weft/cluster"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Net from "node:net"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { type ExtraPlugin, ExtraPlugins } from "../gateway/ExtraPlugins.js"
import * as Database from "./Database.js"
import {
  type CountFrames,
  createTable,
  shardingConfig,
  shardsPerGroup,
  Topic,
  type TopicTotals
} from "./TopicEntity.js"
import * as TopicPlugin from "./TopicPlugin.js"

/** What a runner process tells the gateway over IPC. */
export type RunnerReport =
  | { readonly _tag: "ready"; readonly pid: number }
  | { readonly _tag: "stats"; readonly shards: number; readonly entities: number; readonly messages: number }

/** One runner as the dashboard shows it. */
export interface RunnerView {
  readonly pid: number
  readonly port: number
  readonly status: "starting" | "up" | "killed" | "exited"
  /** Shards it owns (its last report; 0 once it is gone). */
  readonly shards: number
  /** Topic entities active on it. */
  readonly entities: number
  /** `CountFrames` messages it has handled. */
  readonly messages: number
  readonly messagesPerSecond: number
  readonly startedAt: number
  readonly stoppedAt: number | null
}

/** The `cluster` section of the dashboard, and `GET /cluster`. */
export interface ClusterView {
  readonly runners: ReadonlyArray<RunnerView>
  readonly shardsPerGroup: number
  readonly database: Database.Database["server"]
  /** The gateway's `cluster` plugin: tells taken, tells retried, generations taken whole. */
  readonly tells: number
  readonly retries: number
  readonly flushes: number
  /** Frames counted but not yet taken by the cluster. */
  readonly pendingFrames: number
}

/** A topic's totals as stored by its entity. */
export interface TopicRow {
  readonly topic: string
  readonly frames: number
  readonly bytes: number
}

/** `kill` for a pid that is not a live runner of this gateway. */
export class RunnerNotFound extends Data.TaggedError("RunnerNotFound")<{
  readonly pid: number
  readonly live: ReadonlyArray<number>
}> {
  override get message() {
    return `no live runner with pid ${this.pid} (live: ${this.live.join(", ") || "none"})`
  }
}

/** A runner process did not come up. */
export class RunnerStartFailed extends Data.TaggedError("RunnerStartFailed")<{
  readonly port: number
  readonly reason: string
}> {
  override get message() {
    return `runner on port ${this.port} did not start: ${this.reason}`
  }
}

export class ClusterMode extends Context.Tag("@weft/demo/ClusterMode")<ClusterMode, {
  readonly view: Effect.Effect<ClusterView>
  /** Every topic's totals, read from PostgreSQL. */
  readonly topics: Effect.Effect<ReadonlyArray<TopicRow>>
  /** SIGKILLs a runner: its shards move to the others once their locks lapse (about 4 s). */
  readonly kill: (pid: number) => Effect.Effect<RunnerView, RunnerNotFound>
  /** Starts one more runner; it takes a share of the shards. */
  readonly startRunner: Effect.Effect<RunnerView, RunnerStartFailed>
}>() {}

interface Runner {
  readonly process: ChildProcess.ChildProcess
  readonly port: number
  readonly startedAt: number
  status: RunnerView["status"]
  stoppedAt: number | null
  shards: number
  entities: number
  messages: number
  /** Recent (time, messages) reports, for the rate. */
  readonly history: Array<readonly [number, number]>
  stderr: string
}

const freePort = Effect.async<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

// runner.ts from the sources (through tsx, as the gateway itself runs), runner.js once built.
const here = fileURLToPath(import.meta.url)
const runnerScript = Path.join(Path.dirname(here), `runner${Path.extname(here)}`)
const runnerArgs = Path.extname(here) === ".ts"
  ? ["--conditions=source", "--import", "tsx", runnerScript]
  : [runnerScript]

const view = (runner: Runner): RunnerView => {
  const first = runner.history[0]
  const last = runner.history.at(-1)
  const seconds = first === undefined || last === undefined ? 0 : (last[0] - first[0]) / 1000
  return {
    pid: runner.process.pid ?? 0,
    port: runner.port,
    status: runner.status,
    shards: runner.shards,
    entities: runner.entities,
    messages: runner.messages,
    messagesPerSecond: seconds > 0 ? Math.round((last![1] - first![1]) / seconds) : 0,
    startedAt: runner.startedAt,
    stoppedAt: runner.stoppedAt
  }
}

/** Starts a runner and waits (at most 60 s) until it serves. */
const spawnRunner = (databaseUrl: string, runners: Array<Runner>) =>
  Effect.gen(function*() {
    const port = yield* freePort
    const child = ChildProcess.spawn(process.execPath, [...runnerArgs, databaseUrl, String(port)], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      // Its own process group: a Ctrl-C in the terminal reaches the gateway, which stops the runners after its last flush.
      detached: true
    })
    const runner: Runner = {
      process: child,
      port,
      startedAt: Date.now(),
      status: "starting",
      stoppedAt: null,
      shards: 0,
      entities: 0,
      messages: 0,
      history: [],
      stderr: ""
    }
    runners.push(runner)
    child.stderr!.on("data", (chunk: Buffer) => {
      runner.stderr = (runner.stderr + chunk.toString()).slice(-2000)
    })
    child.on("message", (report: RunnerReport) => {
      if (report._tag === "ready") runner.status = "up"
      else if (runner.status === "up") {
        runner.shards = report.shards
        runner.entities = report.entities
        runner.messages = report.messages
        const now = Date.now()
        runner.history.push([now, report.messages])
        while (runner.history.length > 1 && now - runner.history[0]![0] > 3_000) runner.history.shift()
      }
    })
    child.on("exit", (_, signal) => {
      runner.status = signal === "SIGKILL" ? "killed" : "exited"
      runner.stoppedAt = Date.now()
      runner.shards = 0
      runner.entities = 0
      runner.history.length = 0
    })
    yield* Effect.async<void, RunnerStartFailed>((resume) => {
      const timer = setTimeout(() => resume(Effect.fail(failed("not ready within 60 s"))), 60_000)
      const failed = (reason: string) => new RunnerStartFailed({ port, reason: `${reason}\n${runner.stderr}`.trim() })
      const onMessage = (report: RunnerReport) => {
        if (report._tag !== "ready") return
        done()
        resume(Effect.void)
      }
      const onExit = (code: number | null, signal: string | null) => {
        done()
        resume(Effect.fail(failed(`exited (${signal ?? code})`)))
      }
      const done = () => {
        clearTimeout(timer)
        child.off("message", onMessage)
        child.off("exit", onExit)
      }
      child.on("message", onMessage)
      child.on("exit", onExit)
      // Interrupted while waiting: the runner is stopped with the others at release.
      return Effect.sync(done)
    })
    return runner
  })

/** SIGTERM (a graceful stop releases its shards), SIGKILL if it is still there after 5 s. */
const stopRunner = (runner: Runner) =>
  Effect.async<void>((resume) => {
    const child = runner.process
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000)
    child.once("exit", () => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    child.kill("SIGTERM")
  })

/** How often the gateway's counts are handed to the topics' entities. */
export const flushInterval = "250 millis"

const isLive = (runner: Runner) => runner.status === "starting" || runner.status === "up"

/** The cluster mode with `runners` runner processes; see the module comment. */
export const layer = (options: { readonly runners: number }) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const database = yield* Database.acquire
    const Sql = PgClient.layer({ url: Redacted.make(database.url), maxConnections: 8 })
    yield* Effect.provide(createTable, Sql).pipe(
      Effect.mapError((error) => new Database.DatabaseUnavailable({ reason: error.message }))
    )
    const runners: Array<Runner> = []
    yield* Effect.addFinalizer(() => Effect.forEach(runners, stopRunner, { concurrency: "unbounded", discard: true }))
    // The first runner creates the cluster's storage tables; the others start once they exist.
    if (options.runners > 0) yield* spawnRunner(database.url, runners)
    yield* Effect.forEach(
      Array.from({ length: options.runners - 1 }),
      () => spawnRunner(database.url, runners),
      { concurrency: "unbounded", discard: true }
    )
    const Client = NodeClusterSocket.layer({
      clientOnly: true,
      storage: "sql",
      shardingConfig: shardingConfig(undefined)
    })
      .pipe(Layer.provideMerge(Sql))
    const context = yield* Layer.build(Client)
    const sharding = Context.get(context, Sharding)
    const sql = Context.get(context, PgClient.PgClient)
    const refs = new Map<string, ClusterEntity.EntityRef<CountFrames | TopicTotals>>()
    const refFor: TopicPlugin.RefFor = (topic) =>
      Effect.suspend(() => {
        const cached = refs.get(topic)
        if (cached !== undefined) return Effect.succeed(cached)
        return Effect.tap(
          Effect.provideService(ClusterEntity.ref(Topic, topic), Sharding, sharding),
          (ref) => Effect.sync(() => refs.set(topic, ref))
        )
      })
    const pluginState = TopicPlugin.makeState()
    const runId = Crypto.randomUUID().slice(0, 8)
    const plugin: ExtraPlugin = {
      name: "cluster",
      make: (deps) => ({
        spawn: (options) => Actor.spawn(TopicPlugin.behavior(deps, pluginState), options),
        state: pluginState
      })
    }
    const flush = TopicPlugin.flush(pluginState, refFor, runId)
    // Closed after the gateway (which drained the plugin) and before the client and the runners:
    // the counts still held are handed over, for at most 10 s. Added before the periodic flush
    // is forked, so it runs after that fiber is interrupted: one flush at a time.
    yield* Effect.addFinalizer(() =>
      flush.pipe(
        Effect.timeout("10 seconds"),
        Effect.catchAll(() =>
          Effect.logWarning(
            `cluster: ${TopicPlugin.pendingFrames(pluginState)} counted frames not handed over at shutdown`
          )
        )
      )
    )
    yield* flush.pipe(Effect.repeat(Schedule.spaced(flushInterval)), Effect.forkScoped)
    const service = ClusterMode.of({
      view: Effect.sync(() => ({
        runners: runners.map(view),
        shardsPerGroup,
        database: database.server,
        tells: pluginState.tells,
        retries: pluginState.retries,
        flushes: pluginState.flushes,
        pendingFrames: TopicPlugin.pendingFrames(pluginState)
      })),
      topics: sql<{ topic: string; frames: string; bytes: string }>`
        SELECT topic, sum(frames) AS frames, sum(bytes) AS bytes FROM weft_demo_topic_batches
        GROUP BY topic ORDER BY topic`.pipe(
        Effect.map((rows) =>
          rows.map((row) => ({ topic: row.topic, frames: Number(row.frames), bytes: Number(row.bytes) }))
        ),
        Effect.orDie
      ),
      kill: (pid) =>
        Effect.suspend(() => {
          const runner = runners.find((runner) => runner.process.pid === pid && isLive(runner))
          if (runner === undefined) {
            return Effect.fail(
              new RunnerNotFound({ pid, live: runners.filter(isLive).map((runner) => runner.process.pid ?? 0) })
            )
          }
          runner.process.kill("SIGKILL")
          return Effect.succeed(view(runner))
        }),
      startRunner: Effect.map(spawnRunner(database.url, runners), view)
    })
    return Layer.mergeAll(Layer.succeed(ClusterMode, service), Layer.succeed(ExtraPlugins, [plugin]))
  }))
