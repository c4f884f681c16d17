/**
 * The PostgreSQL database of `weft-demo serve --runners N`: a new database (created, and dropped
 * at exit) in the server `WEFT_PG_URL` names; without it, in the private server of this checkout
 * (`scripts/pg.mjs`: the one `pnpm pg:start` started, or one started now and stopped at exit).
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import type { Scope } from "effect"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as ChildProcess from "node:child_process"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

/** The database the runners and the gateway share. */
export interface Database {
  readonly url: string
  /** Where the server came from, for the banner and the dashboard. */
  readonly server: "WEFT_PG_URL" | "pnpm pg:start" | "private (started for this run)"
}

/** No PostgreSQL could be found or started. */
export class DatabaseUnavailable extends Data.TaggedError("DatabaseUnavailable")<{ readonly reason: string }> {
  override get message() {
    return `no PostgreSQL for --runners: ${this.reason} (set WEFT_PG_URL, or run pnpm pg:start)`
  }
}

const pgScript = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "scripts", "pg.mjs")

const runPgScript = (command: "start" | "stop" | "url") =>
  Effect.sync(() => ChildProcess.spawnSync(process.execPath, [pgScript, command], { encoding: "utf8" }))

/** A server URL and whether this run started it (then it stops it at exit). */
const server = Effect.gen(function*() {
  const fromEnv = process.env.WEFT_PG_URL
  if (fromEnv !== undefined && fromEnv !== "") return { url: fromEnv, server: "WEFT_PG_URL" as const }
  if (!FileSystem.existsSync(pgScript)) {
    return yield* new DatabaseUnavailable({ reason: `WEFT_PG_URL is unset and ${pgScript} is missing` })
  }
  const running = yield* runPgScript("url")
  if (running.status === 0) return { url: running.stdout.trim(), server: "pnpm pg:start" as const }
  const started = yield* Effect.acquireRelease(
    runPgScript("start"),
    (started) => started.status === 0 ? Effect.asVoid(runPgScript("stop")) : Effect.void
  )
  if (started.status !== 0) {
    return yield* new DatabaseUnavailable({ reason: `scripts/pg.mjs start failed: ${started.stderr.trim()}` })
  }
  return { url: started.stdout.trim(), server: "private (started for this run)" as const }
})

/** Runs one statement on the server's `postgres` database. */
const onServer = (url: string, statement: string) =>
  Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe(statement)).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })),
    Effect.mapError((error) => new DatabaseUnavailable({ reason: `${statement}: ${error.message}` }))
  )

let databases = 0

/** A fresh database for this run, dropped (with its connections) when the scope closes. */
export const acquire: Effect.Effect<Database, DatabaseUnavailable, Scope.Scope> = Effect.gen(function*() {
  const { url, server: source } = yield* server
  const name = `weft_demo_${process.pid}_${Date.now()}_${databases++}`
  yield* Effect.acquireRelease(
    onServer(url, `CREATE DATABASE ${name}`),
    () => Effect.ignore(onServer(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  )
  return { url: url.replace(/\/[^/]*$/, `/${name}`), server: source }
})
