/**
 * @weft/cluster: an entity `ask` against a local `Actor.ask` (one runner, in-memory storage, with
 * the same ask through @effect/cluster alone as the floor), and against @effect/cluster used
 * directly (3 runner processes over loopback sockets, PostgreSQL storage); asks/s to 300 entities on 3 runners against 1 runner, with PostgreSQL's own write rate
 * as the bound; and the time from a runner's SIGKILL to its entities answering again.
 *
 * The rows with runner processes need PostgreSQL: the server `WEFT_PG_URL` names, else this
 * checkout's private one (`scripts/pg.mjs`, started and stopped here if it was not running); each
 * cluster gets a database of its own, dropped at the end. `--quick` (CI's smoke run) runs only the
 * in-memory row: starting runner processes takes longer than the whole smoke run.
 */
import type { Sharding } from "@effect/cluster/Sharding"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Actor, ActorSystem } from "@weft/actor"
import { ClusterEntity, Embedded } from "@weft/cluster"
import * as Database from "@weft/demo/cluster/Database"
import { Effect, Exit, Layer, ManagedRuntime, Redacted, Scope } from "effect"
import * as ChildProcess from "node:child_process"
import * as Net from "node:net"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Counter, counter, Locator, Ping, RawCounter, rawCounter, sharding, WhereAreYou } from "./cluster.entities.js"
import { benchmark, type BenchmarkFile, expect } from "./harness.js"

// ---------------------------------------------------------------------------------------------
// one process: Embedded cluster and a local actor

const embedded = ManagedRuntime.make(
  Layer.merge(ClusterEntity.layer(Counter, counter), rawCounter).pipe(Layer.provideMerge(Embedded.layer()), Layer.orDie)
)
const embeddedRef = embedded.runSync(ClusterEntity.ref(Counter, "embedded"))
const embeddedRaw = embedded.runSync(Effect.map(RawCounter.client, (clientFor) => clientFor("embedded")))

// A persisted ask runs a long path through Effect's, the cluster's and weft's code: its first
// thousand or so run before the JIT has compiled it, at several times the steady cost (the first
// 250 at about 5 ms each on the 2-core machine), and a second of samples would time mostly them.
let embeddedWarm: Promise<void> | undefined
const embeddedWarmedUp = (asks: number) =>
  embeddedWarm ??= embedded.runPromise(
    Effect.zip(ClusterEntity.ask(embeddedRef, new Ping()), embeddedRaw.Ping()).pipe(Effect.repeatN(asks), Effect.asVoid)
  )

const local = ManagedRuntime.make(ActorSystem.layer())
const localScope = Effect.runSync(Scope.make())
const localRef = local.runSync(Actor.spawn(counter).pipe(Scope.extend(localScope), Effect.orDie))

// ---------------------------------------------------------------------------------------------
// runner processes

const runnerScript = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "cluster.runner.ts")

interface Runner {
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

/** Starts a runner process; resolves once it serves (at most 120 s). */
const startRunner = async (databaseUrl: string): Promise<Runner> => {
  const port = await freePort()
  const child = ChildProcess.spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", runnerScript, databaseUrl, String(port)],
    { stdio: ["ignore", "pipe", "inherit", "ipc"] }
  )
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench runner on port ${port} not ready in 120 s`)), 120_000)
    child.once("exit", (code) => reject(new Error(`bench runner on port ${port} exited with ${code}`)))
    child.stdout!.on("data", (data: Buffer) => {
      if (data.toString().includes("ready")) {
        clearTimeout(timer)
        resolve({ process: child })
      }
    })
  })
}

type Client = ManagedRuntime.ManagedRuntime<Sharding | PgClient.PgClient, never>

interface Cluster {
  readonly url: string
  readonly runners: Array<Runner>
  readonly client: Client
}

const scope = Effect.runSync(Scope.make())

const startCluster = async (runners: number): Promise<Cluster> => {
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
  const cluster = { url: database.url, runners: started, client }
  // Every entity id asked once through both entity types, so that the timed runs find the shards
  // placed and the entities started.
  await client.runPromise(
    Effect.forEach(entityIds, (id) => Effect.zip(askCounter(id), askRaw(id)).pipe(Effect.retry({ times: 10 })), {
      concurrency: 32,
      discard: true
    })
  )
  return cluster
}

let clusters: Promise<{ readonly three: Cluster; readonly one: Cluster }> | undefined
const clustersStarted = () =>
  clusters ??= (async () => {
    const three = await startCluster(3)
    const one = await startCluster(1)
    return { three, one }
  })()

const entityIds = Array.from({ length: 300 }, (_, i) => `entity-${i}`)

const askCounter = (id: string) =>
  Effect.flatMap(ClusterEntity.ref(Counter, id), (ref) => ClusterEntity.ask(ref, new Ping()))

const askRaw = (id: string) => Effect.flatMap(RawCounter.client, (clientFor) => clientFor(id).Ping())

/** `count` asks spread over the 300 entities, `concurrency` at a time. */
const askMany = (client: Client, count: number, concurrency: number, offset: number) =>
  client.runPromise(Effect.forEach(
    Array.from({ length: count }, (_, i) => entityIds[(offset + i) % entityIds.length]!),
    askCounter,
    { concurrency }
  ))

// ---------------------------------------------------------------------------------------------
// rows

let next = 0
const round = () => next++ % 30

/** Asks Locator ids until one lives on `pid`'s runner; then kills that runner and times the move. */
const recovery = async (): Promise<number> => {
  const { three } = await clustersStarted()
  const victim = three.runners[0]!
  const where = (id: string) =>
    Effect.flatMap(ClusterEntity.ref(Locator, id), (ref) => ClusterEntity.ask(ref, new WhereAreYou()))
  let id = ""
  for (let i = 0; id === "" && i < 300; i++) {
    if (await three.client.runPromise(where(`locator-${i}`)) === victim.process.pid) id = `locator-${i}`
  }
  expect(id !== "", () => "no Locator entity on the first runner")
  const killedAt = Date.now()
  victim.process.kill("SIGKILL")
  for (;;) {
    const exit = await three.client.runPromise(Effect.exit(where(id)))
    if (Exit.isSuccess(exit) && exit.value !== victim.process.pid) break
    if (Date.now() - killedAt > 120_000) throw new Error("the killed runner's entity did not answer within 120 s")
  }
  const recoveredMs = Date.now() - killedAt
  // Back to 3 runners for the next run.
  three.runners[0] = await startRunner(three.url)
  return recoveredMs
}

export const benchmarks: BenchmarkFile = ({ quick }) => [
  benchmark({
    package: "cluster",
    name: "entity ask round trip, single runner, in-memory storage",
    unit: "ask",
    opsPerRun: 1,
    goal: "report the ratio; p50 ≤ 200 µs",
    contenders: [
      {
        name: "ClusterEntity.ask (Embedded)",
        role: "weft",
        run: async () => {
          await embeddedWarmedUp(quick ? 1 : 3_000)
          return embedded.runPromise(ClusterEntity.ask(embeddedRef, new Ping()))
        }
      },
      { name: "Actor.ask (local actor)", role: "peer", run: () => local.runPromise(Actor.ask(localRef, new Ping())) },
      {
        // The same persisted ask through @effect/cluster alone — a hand-written entity, no weft —
        // on the same Embedded sharding and storage: what the cluster itself costs.
        name: "@effect/cluster alone, hand-written entity (Embedded)",
        role: "limit",
        run: async () => {
          await embeddedWarmedUp(quick ? 1 : 3_000)
          return embedded.runPromise(embeddedRaw.Ping())
        }
      }
    ],
    check: (count) => expect(count > 0, () => `count ${count}`)
  }),
  ...(quick ? [] : [
    benchmark({
      package: "cluster",
      name: "entity ask, 3 runner processes over loopback, PostgreSQL storage",
      unit: "ask",
      opsPerRun: 1,
      goal: "≥ 0.9× @effect/cluster alone",
      contenders: [
        {
          name: "ClusterEntity.ask",
          role: "weft",
          run: async () => (await clustersStarted()).three.client.runPromise(askCounter(entityIds[round()]!))
        },
        {
          name: "@effect/cluster, hand-written entity",
          role: "peer",
          run: async () => (await clustersStarted()).three.client.runPromise(askRaw(entityIds[round()]!))
        }
      ],
      check: (count) => expect(count > 0, () => `count ${count}`)
    }),
    benchmark({
      package: "cluster",
      name: "asks/s to 300 entities (600 asks, 64 at a time), PostgreSQL storage",
      unit: "ask",
      opsPerRun: 600,
      samples: 3,
      goal: "3 runners ≥ 1.5× 1 runner on 2 cores",
      contenders: [
        {
          name: "3 runner processes",
          role: "weft",
          run: async () => askMany((await clustersStarted()).three.client, 600, 64, round())
        },
        {
          name: "1 runner process",
          role: "variant",
          run: async () => askMany((await clustersStarted()).one.client, 600, 64, round())
        },
        {
          // Each persisted ask is at least 3 statements (save the request, save the reply, mark it
          // processed): this row is the database's own ceiling for 600 single-row writes.
          name: "PostgreSQL alone: 600 INSERTs, 64 at a time",
          role: "limit",
          run: async () => {
            const { client } = (await clustersStarted()).one
            return client.runPromise(
              Effect.gen(function*() {
                const sql = yield* PgClient.PgClient
                yield* sql`CREATE TABLE IF NOT EXISTS bench_writes (id serial PRIMARY KEY, body text)`
                return yield* Effect.forEach(
                  Array.from({ length: 600 }, (_, i) => i),
                  (i) => Effect.as(sql`INSERT INTO bench_writes (body) VALUES (${`ping ${i}`})`, 1),
                  { concurrency: 64 }
                )
              }).pipe(Effect.orDie)
            )
          }
        }
      ],
      check: (answers) =>
        expect(answers.length === 600 && answers.every((n) => n > 0), () => `${answers.length} answers`)
    }),
    benchmark({
      package: "cluster",
      name: "runner SIGKILL → its entity answering again (3 runners, lock expiry 4 s)",
      unit: "recovery",
      opsPerRun: 1,
      samples: 1,
      goal: "≤ 5 s, reported",
      contenders: [{
        name: "ClusterEntity.ask after SIGKILL",
        role: "weft",
        run: recovery,
        report: (ms) => `answered again after ${ms} ms`
      }],
      check: (ms) => expect(ms > 0 && ms < 120_000, () => `${ms} ms`)
    })
  ])
]

export const teardown = async () => {
  const started = clusters === undefined ? undefined : await clusters.catch(() => undefined)
  for (const cluster of started === undefined ? [] : [started.three, started.one]) {
    await cluster.client.dispose()
    for (const runner of cluster.runners) runner.process.kill("SIGKILL")
  }
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await Effect.runPromise(Scope.close(localScope, Exit.void))
  await local.dispose()
  await embedded.dispose()
}
