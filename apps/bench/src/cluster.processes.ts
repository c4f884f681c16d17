/**
 * The runner processes of the cluster bench and the clusters they form: one cluster at a time, so
 * that no row runs beside another cluster's runners (each polls PostgreSQL several times a second,
 * on a machine of 2 cores). `clusterOf(n)` stops the cluster that runs unless it has `n` runners.
 *
 * A runner runs the built packages, as the other rows and users do: `cluster.runner.ts` goes
 * through tsx like this bench's own files, and `@weft/*` resolves to `dist` through the package
 * exports (no `--conditions=source`); each runner reports what it resolved and a runner on
 * sources fails the bench.
 */
import type { Sharding } from "@effect/cluster/Sharding"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Database from "@weft/demo/cluster/Database"
import { Effect, Exit, Layer, ManagedRuntime, Redacted, Scope } from "effect"
import * as ChildProcess from "node:child_process"
import * as Net from "node:net"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { type CpuParties, parentOf } from "./cluster.cpu.js"
import { sharding } from "./cluster.entities.js"

const runnerScript = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "cluster.runner.ts")

export interface Runner {
  readonly process: ChildProcess.ChildProcess
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = Net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })

/** Starts a runner process; resolves once it serves (at most 120 s) on the built packages. */
export const startRunner = async (databaseUrl: string): Promise<Runner> => {
  const port = await freePort()
  const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", runnerScript, databaseUrl, String(port)], {
    stdio: ["ignore", "pipe", "inherit", "ipc"]
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench runner on port ${port} not ready in 120 s`)), 120_000)
    child.once("exit", (code) => reject(new Error(`bench runner on port ${port} exited with ${code}`)))
    child.stdout!.on("data", (data: Buffer) => {
      const ready = /^ready (\S+)$/m.exec(data.toString())
      if (ready === null) return
      clearTimeout(timer)
      if (ready[1]!.includes("/src/")) {
        child.kill("SIGKILL")
        reject(new Error(`bench runner on port ${port} runs @weft/cluster from sources (${ready[1]}), not dist`))
      } else resolve({ process: child })
    })
  })
}

const stopRunner = (runner: Runner) =>
  new Promise<void>((resolve) => {
    if (runner.process.exitCode !== null || runner.process.signalCode !== null) return resolve()
    runner.process.once("exit", () => resolve())
    runner.process.kill("SIGKILL")
  })

export type Client = ManagedRuntime.ManagedRuntime<Sharding | PgClient.PgClient, never>

export interface Cluster {
  readonly url: string
  readonly runners: Array<Runner>
  readonly client: Client
  /** Whose CPU time a run spends: the runners' and the PostgreSQL server's. */
  readonly parties: CpuParties
}

/** The databases (and the PostgreSQL server, if the bench started it) live until `stopAll`. */
const scope = Effect.runSync(Scope.make())

/**
 * Starts `runners` runner processes on a fresh database and a client-only sharding for the
 * bench; `warm` then runs once through the client (to place the shards and start the entities).
 */
const startCluster = async (
  runners: number,
  warm: Effect.Effect<void, never, Sharding | PgClient.PgClient>
): Promise<Cluster> => {
  const database = await Effect.runPromise(Scope.extend(Database.acquire, scope))
  // The first runner creates the storage tables; the others start once they exist.
  const started = [await startRunner(database.url)]
  started.push(...await Promise.all(Array.from({ length: runners - 1 }, () => startRunner(database.url))))
  const client: Client = ManagedRuntime.make(
    NodeClusterSocket.layer({ clientOnly: true, storage: "sql", shardingConfig: sharding(undefined) }).pipe(
      Layer.provideMerge(PgClient.layer({ url: Redacted.make(database.url), maxConnections: 16 })),
      Layer.orDie
    )
  )
  await client.runPromise(warm)
  // The postmaster is the parent of any backend (when the server runs on this machine).
  const backend = await client.runPromise(
    Effect.flatMap(PgClient.PgClient, (sql) => sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`).pipe(Effect.orDie)
  )
  return {
    url: database.url,
    runners: started,
    client,
    parties: {
      runnerPids: () => started.map((runner) => runner.process.pid!),
      postmaster: parentOf(backend[0]!.pid)
    }
  }
}

const stopCluster = async (cluster: Cluster) => {
  await cluster.client.dispose()
  await Promise.all(cluster.runners.map(stopRunner))
}

let current: { readonly runners: number; readonly cluster: Promise<Cluster> } | undefined

/** The cluster of `runners` runners: the running one, or a new one once the running one stopped. */
export const clusterOf = (
  runners: number,
  warm: Effect.Effect<void, never, Sharding | PgClient.PgClient>
): Promise<Cluster> => {
  if (current === undefined || current.runners !== runners) {
    const previous = current?.cluster
    current = {
      runners,
      cluster: (async () => {
        const running = await previous?.catch(() => undefined)
        if (running !== undefined) await stopCluster(running)
        return startCluster(runners, warm)
      })()
    }
  }
  return current.cluster
}

/** Stops the running cluster and drops every database. */
export const stopAll = async () => {
  const running = await current?.cluster.catch(() => undefined)
  current = undefined
  if (running !== undefined) await stopCluster(running)
  await Effect.runPromise(Scope.close(scope, Exit.void))
}
