/**
 * @weft/cluster: an entity `ask` against a local `Actor.ask` (one runner, in-memory storage, with
 * the same ask through @effect/cluster alone as the floor), and against @effect/cluster used
 * directly (3 runner processes over loopback sockets, PostgreSQL storage); asks/s to 300 entities
 * on 3 runners against 1 runner, with PostgreSQL's own write rate and the machine's ceiling as
 * bounds; and the time from a runner's SIGKILL to its entities answering again.
 *
 * The rows with runner processes need PostgreSQL: the server `WEFT_PG_URL` names, else this
 * checkout's private one (`scripts/pg.mjs`, started and stopped here if it was not running); each
 * cluster gets a database of its own, dropped at the end. Only one cluster runs at a time
 * (`cluster.processes.ts`), and its runners run the built packages. `--quick` (CI's smoke run)
 * runs only the in-memory row: starting runner processes takes longer than the whole smoke run.
 *
 * Why 3 runners do not beat 1 on this 2-core machine (each throughput run prints its CPU time per
 * ask: the runner processes, this client process and every PostgreSQL process, from /proc; and
 * pg_stat_database and pg_stat_user_tables, read by hand, show the storage side). Every persisted
 * ask writes ≈ 2 rows and updates ≈ 2 with either runner count (in ≈ 2.1 transactions with 1
 * runner, ≈ 2.5–2.9 with 3). What grows with 3 runners:
 * - each notified runner reads its unprocessed messages from storage (@effect/cluster's
 *   `unprocessedMessages`), a sequential scan of the whole messages table (its shard index goes
 *   unused), where processed messages stay. One runner folds ≈ 10–16 notified asks into one scan, 3 runners each scan for
 *   their own third: ≈ 0.5 scans per ask instead of ≈ 0.06–0.1, ≈ 1 400–2 400 rows read per ask
 *   instead of ≈ 200, growing with the table;
 * - the idle cost of the polls and lock refreshes (quickFailover: every 300 ms, 500 ms, 1 s) is
 *   paid by every runner: ≈ 25 ms of CPU per second per runner, and PostgreSQL's answers to them.
 * So an ask costs ≈ 4–6 ms of CPU with 1 runner and ≈ 7.5–10 ms with 3 (runners ≈ 2×, PostgreSQL
 * ≈ 1.6×, the client the same), and one runner with 64 asks in flight already keeps both cores
 * busy (≈ 1.9 cores used: runner ≈ 0.9, client ≈ 0.6, PostgreSQL ≈ 0.6). Throughput is then
 * 2 cores ÷ CPU per ask: 3 runners ≤ 2 ÷ 8.4 ms ≈ 240 asks/s, 1 runner ≤ 2 ÷ 4.7 ms ≈ 425. The
 * ceiling row (one runner, 3× the asks in flight) is where 2 cores top out, ≈ the 1-runner row;
 * 1.5× that row would need ≤ 2 ÷ (1.5 × 436 asks/s) ≈ 3.1 ms of CPU per ask in all, less than one
 * runner spends. The goal needs cores to spare: at least one per runner besides the client's and
 * PostgreSQL's.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { Actor, ActorSystem } from "@weft/actor"
import { ClusterEntity, Embedded } from "@weft/cluster"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { formatCpu, measureCpu } from "./cluster.cpu.js"
import { Counter, counter, Locator, Ping, RawCounter, rawCounter, WhereAreYou } from "./cluster.entities.js"
import { type Client, clusterOf, startRunner, stopAll } from "./cluster.processes.js"
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
// clusters of runner processes

const entityIds = Array.from({ length: 300 }, (_, i) => `entity-${i}`)

const askCounter = (id: string) =>
  Effect.flatMap(ClusterEntity.ref(Counter, id), (ref) => ClusterEntity.ask(ref, new Ping()))

const askRaw = (id: string) => Effect.flatMap(RawCounter.client, (clientFor) => clientFor(id).Ping())

/**
 * Every entity id asked twice through both entity types, so that the timed runs find the shards
 * placed and the entities started, and run less of a fresh runner's first asks, before the JIT
 * compiled their path (see `embeddedWarmedUp`; the rows' unmeasured first runs do the rest).
 */
const warmCluster = Effect.forEach(
  Array.from({ length: 2 * entityIds.length }, (_, i) => entityIds[i % entityIds.length]!),
  (id) => Effect.zip(askCounter(id), askRaw(id)).pipe(Effect.retry({ times: 10 })),
  { concurrency: 32, discard: true }
).pipe(Effect.orDie)

const cluster = (runners: number) => clusterOf(runners, warmCluster)

/**
 * One ask at a time, alternately through each entity type, until both paths run compiled: the
 * concurrent warm-up leaves the first sequential asks ≈ 40 % slower (p50 14 ms, then 10 ms), and
 * the weft contender, timed first, would pay for it alone.
 */
const sequentialWarm = new WeakMap<Client, Promise<void>>()
const sequentiallyWarmed = async (runners: number) => {
  const { client } = await cluster(runners)
  let warm = sequentialWarm.get(client)
  if (warm === undefined) {
    warm = client.runPromise(Effect.forEach(
      Array.from({ length: 300 }, (_, i) => entityIds[i % 30]!),
      (id) => Effect.zip(askCounter(id), askRaw(id)),
      { discard: true }
    ))
    sequentialWarm.set(client, warm)
  }
  await warm
  return client
}

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

/** Asks Locator ids until one lives on the first runner; then kills that runner and times the move. */
const recovery = async (): Promise<number> => {
  // Only Locator entities are asked here: a cluster started for this row needs no warming.
  const three = await clusterOf(3, Effect.void)
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

/** Asks per run of the throughput row, and how many are in flight. */
const throughputAsks = 1_200
const inFlight = 64

/** The concurrencies each client has run the throughput row at. */
const throughputWarm = new WeakMap<Client, Set<number>>()

/**
 * One run of the throughput row on `runners` runners, with the CPU each party spent on it. The
 * first run of a contender is the one whose CPU figures the row prints (the harness reports before
 * it times): it is preceded by an unmeasured run, so that it is as warm as the timed ones.
 */
const throughputRun = async (runners: number, concurrency: number) => {
  const { client, parties } = await cluster(runners)
  const warmed = throughputWarm.get(client) ?? new Set()
  throughputWarm.set(client, warmed)
  if (!warmed.has(concurrency)) {
    warmed.add(concurrency)
    await askMany(client, throughputAsks, concurrency, round())
  }
  const offset = round()
  const { cpu, result } = await measureCpu(parties, () => askMany(client, throughputAsks, concurrency, offset))
  return { answers: result, cpu }
}

export const benchmarks: BenchmarkFile = ({ quick }) => [
  benchmark({
    package: "cluster",
    name: "entity ask round trip, single runner, in-memory storage",
    unit: "ask",
    opsPerRun: 1,
    interleaved: { rounds: 8, runsPerTurn: 1_000 },
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
      // One ask takes 7–17 ms of PostgreSQL notifications and polls, and moves with whatever else
      // the machine does: timed in turns, the two contenders share that drift.
      interleaved: { rounds: 12, runsPerTurn: 60 },
      goal: "≥ 0.9× @effect/cluster alone",
      contenders: [
        {
          name: "ClusterEntity.ask",
          role: "weft",
          run: async () => (await sequentiallyWarmed(3)).runPromise(askCounter(entityIds[round()]!))
        },
        {
          name: "@effect/cluster, hand-written entity",
          role: "peer",
          run: async () => (await sequentiallyWarmed(3)).runPromise(askRaw(entityIds[round()]!))
        }
      ],
      check: (count) => expect(count > 0, () => `count ${count}`)
    }),
    benchmark({
      package: "cluster",
      name: `asks/s to 300 entities (${throughputAsks} asks, ${inFlight} at a time), PostgreSQL storage`,
      unit: "ask",
      opsPerRun: throughputAsks,
      samples: 5,
      goal: "3 runners ≥ 1.5× 1 runner on 2 cores",
      contenders: [
        {
          name: "3 runner processes",
          role: "weft",
          run: () => throughputRun(3, inFlight),
          report: ({ cpu }) => formatCpu(cpu, throughputAsks)
        },
        {
          name: "1 runner process",
          role: "variant",
          run: () => throughputRun(1, inFlight),
          report: ({ cpu }) => formatCpu(cpu, throughputAsks)
        },
        {
          // The bound of both rows above: with 3× the asks in flight, one runner (the least CPU
          // per ask) fills the machine's cores, as 3 runners could at best. See the module doc.
          name: `1 runner process, ${3 * inFlight} at a time: the machine's ceiling`,
          role: "limit",
          run: () => throughputRun(1, 3 * inFlight),
          report: ({ cpu }) => formatCpu(cpu, throughputAsks)
        },
        {
          // Each persisted ask is at least 3 statements (save the request, save the reply, mark it
          // processed): this row is the database's own ceiling for as many single-row writes.
          name: `PostgreSQL alone: ${throughputAsks} INSERTs, ${inFlight} at a time`,
          role: "limit",
          run: async () => {
            const { client, parties } = await cluster(1)
            const { cpu, result } = await measureCpu(parties, () =>
              client.runPromise(
                Effect.gen(function*() {
                  const sql = yield* PgClient.PgClient
                  yield* sql`CREATE TABLE IF NOT EXISTS bench_writes (id serial PRIMARY KEY, body text)`
                  return yield* Effect.forEach(
                    Array.from({ length: throughputAsks }, (_, i) => i),
                    (i) => Effect.as(sql`INSERT INTO bench_writes (body) VALUES (${`ping ${i}`})`, 1),
                    { concurrency: inFlight }
                  )
                }).pipe(Effect.orDie)
              ))
            return { answers: result, cpu }
          },
          report: ({ cpu }) => formatCpu(cpu, throughputAsks)
        }
      ],
      check: ({ answers }) =>
        expect(
          answers.length === throughputAsks && answers.every((n) => n > 0),
          () => `${answers.length} answers`
        )
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
  await stopAll()
  await Effect.runPromise(Scope.close(localScope, Exit.void))
  await local.dispose()
  await embedded.dispose()
}
