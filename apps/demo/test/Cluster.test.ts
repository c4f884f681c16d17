// `weft-demo serve --runners 3`: the gateway and 3 real runner processes over loopback sockets, with
// PostgreSQL storage. Needs WEFT_PG_URL (`pnpm pg:start`, or .ci/run); the gateway creates and drops
// its own database in that server.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import * as Load from "../src/Load.js"
import { readSink, request, tempDir, waitUntil } from "./helpers.js"
import { awaitExit, type Child, spawnDemo, tcpPortIn, urlIn } from "./processes.js"

interface RunnerView {
  readonly pid: number
  readonly status: string
  readonly shards: number
  readonly messages: number
}

interface ClusterJson {
  readonly runners: ReadonlyArray<RunnerView>
  readonly shardsPerGroup: number
  readonly topics: ReadonlyArray<{ readonly topic: string; readonly frames: number }>
}

const clusterOf = (url: string) =>
  Effect.map(request("GET", `${url}/cluster`), (response) => JSON.parse(response.text) as ClusterJson)

/** Frames per topic among the frames the gateway acked: the records of its sink file. */
const ackedPerTopic = (sinkPath: string) =>
  Effect.map(readSink(sinkPath), (records) => {
    const counts: Record<string, number> = {}
    for (const [topic] of records) counts[topic] = (counts[topic] ?? 0) + 1
    return counts
  })

const countedPerTopic = (cluster: ClusterJson) =>
  Object.fromEntries(cluster.topics.map((row) => [row.topic, row.frames]))

/** Load that ends once every frame has been acked (fsynced by the sink). */
const loadAcked = (port: number, firstConnection: number) =>
  Effect.gen(function*() {
    const progress = Load.makeProgress()
    yield* Load.run({
      host: "127.0.0.1",
      port,
      connections: 2,
      firstConnection,
      payloadSize: 16,
      batch: 64,
      topics: 12,
      framesPerConnection: 3000
    }, progress)
    return progress
  })

/** Waits (bounded) until the topics' entities have counted exactly the frames the sink acked. */
const awaitCounted = (url: string, sinkPath: string, timeoutMs: number) =>
  Effect.gen(function*() {
    let last = { acked: {} as Record<string, number>, counted: {} as Record<string, number> }
    yield* waitUntil(
      "the topics' entities counted every acked frame",
      Effect.gen(function*() {
        const acked = yield* ackedPerTopic(sinkPath)
        const counted = countedPerTopic(yield* clusterOf(url))
        last = { acked, counted }
        return JSON.stringify(sorted(acked)) === JSON.stringify(sorted(counted))
      }),
      timeoutMs
    ).pipe(Effect.catchTag("Timeout", (timeout) =>
      Effect.die(`${timeout.message}: acked ${JSON.stringify(last.acked)}, counted ${JSON.stringify(last.counted)}`)))
    return { acked: sorted(last.acked), counted: sorted(last.counted) }
  })

const everyShardOwned = (cluster: ClusterJson) =>
  cluster.runners.filter((runner) => runner.status === "up").reduce((sum, runner) => sum + runner.shards, 0)
    === cluster.shardsPerGroup

const sorted = (counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a < b ? -1 : 1))

describe.skipIf(process.env.WEFT_PG_URL === undefined)("weft-demo serve --runners 3", () => {
  it.live(
    "per-topic counts are right; a runner killed with SIGKILL: the others take its shards, 0 acked frames lost",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const sinkPath = Path.join(dir, "sink.log")
        const child: Child = yield* spawnDemo(
          "serve",
          "--runners",
          "3",
          "--tcp-port",
          "0",
          "--http-port",
          "0",
          "--plugins",
          "stats,sink",
          "--sink",
          sinkPath
        )
        yield* waitUntil(
          "serve printed its cluster",
          Effect.sync(() => /cluster {4}3 runners/.test(child.stdout())),
          180_000
        )
        const url = urlIn(child.stdout())
        const port = tcpPortIn(child.stdout())

        // Frames in, acked; every acked frame counted once by its topic's entity.
        const first = yield* loadAcked(port, 0)
        assert.strictEqual(first.acked, 6000)
        yield* awaitCounted(url, sinkPath, 60_000)
        // Runners report their shards every 500 ms; a report can lag a shard's hand-over.
        yield* waitUntil("the 3 runners own every shard", Effect.map(clusterOf(url), everyShardOwned), 30_000)
        const before = yield* clusterOf(url)
        assert.deepStrictEqual(before.runners.map((runner) => runner.status), ["up", "up", "up"])

        // SIGKILL a runner that owns shards (as `kill -9` from a shell), with load running.
        const victim = before.runners.find((runner) => runner.shards > 0)!
        const killedAt = Date.now()
        process.kill(victim.pid, "SIGKILL")
        const second = yield* loadAcked(port, 2)
        assert.strictEqual(second.acked, 6000)
        yield* waitUntil("the other runners own every shard", Effect.map(clusterOf(url), everyShardOwned), 60_000)
        const movedAfterMs = Date.now() - killedAt
        const { acked, counted } = yield* awaitCounted(url, sinkPath, 90_000)
        const after = yield* clusterOf(url)
        assert.strictEqual(after.runners.find((runner) => runner.pid === victim.pid)?.status, "killed")
        assert.strictEqual(Object.values(acked).reduce((a, b) => a + b, 0), 12_000)
        assert.deepStrictEqual(counted, acked)
        console.log(
          `cluster demo: runner ${victim.pid} (${victim.shards} shards) SIGKILLed; every shard owned again `
            + `${movedAfterMs} ms later; 12000 acked frames, 12000 counted`
        )

        // The dashboard's kill action answers 404 for a pid that is not a live runner.
        const missing = yield* request("POST", `${url}/cluster/runners/${victim.pid}/kill`)
        assert.strictEqual(missing.status, 404)
        assert.include(missing.text, "RunnerNotFound")

        // SIGTERM: a graceful shutdown stops the runners too.
        child.process.kill("SIGTERM")
        yield* awaitExit(child, 60_000)
        const stillRunning = after.runners.filter((runner) => {
          try {
            return process.kill(runner.pid, 0)
          } catch {
            return false
          }
        })
        assert.deepStrictEqual(stillRunning, [])
      }).pipe(Effect.scoped),
    420_000
  )
})
