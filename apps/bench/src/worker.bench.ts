/**
 * @weft/worker benchmarks, on a pool of `os.availableParallelism()` threads.
 *
 * 1. CPU-bound jobs (CRC-32 of 1 MiB of a generated pattern, ~2.5 ms each) on weft's
 *    `BlockingPool`, beside the same jobs inline on the main thread and on piscina (the pool Node
 *    users reach for) with the same number of threads and the same job code.
 * 2. One empty job's round trip (latency: compare the p50 column), beside piscina's `run` of an
 *    empty function and a bare `postMessage` echo (the floor under any pool). Effect's own
 *    serialized worker, pooled and alone, is the floor under weft's pool, which is built on it
 *    (the CPU-bound rows show the pooled one too). A worker actor's ask of the same empty request
 *    shows what the stand-in and the thread's actor add to one job.
 * 3. A 64 KiB payload to a worker and back: weft moves it with `ThreadBytes.Transfer` (0 bytes
 *    copied, counted by `ThreadBytes.stats`), beside a bare `postMessage` that structured-clones
 *    it each way and a bare `postMessage` that transfers it each way (the floor).
 */
import * as NodeWorker from "@effect/platform-node/NodeWorker"
import * as Worker from "@effect/platform/Worker"
import { Actor, ActorSystem } from "@weft/actor"
import { Bytes } from "@weft/bytes"
import { BlockingPool, ThreadBytes, WorkerActor } from "@weft/worker"
import { Effect, Exit, Layer, Scope } from "effect"
import * as os from "node:os"
import { Worker as Thread, type WorkerOptions } from "node:worker_threads"
import { Piscina } from "piscina"
import { crc32 } from "./cpuJob.mjs"
import { benchmark, type BenchmarkFile, expect } from "./harness.js"
import { Cpu, Echo, Empty, type Jobs, Pinger } from "./worker.jobs.js"

const threads = os.availableParallelism()

/**
 * Every contender is timed warm, as a pool that lives as long as its process runs: Effect's
 * runtime on both sides of a thread gets faster over its first few thousand jobs (CPU-bound jobs
 * 1.2–1.5× more per second than in the first second, on weft's pool and on Effect's own; an empty
 * job's p50 halved).
 */
const warmupSeconds = 3

/** Holds the weft pool; it lives as long as the bench process. */
const scope = Effect.runSync(Scope.make())

// weft's worker module is TypeScript (the bench runs under tsx): the thread registers tsx's
// loader and imports the entry through it (tsx's own `--import` in `execArgv` does not reach a
// worker's entry on Node 20).
const spawnTypeScript = (entry: URL | string, options: WorkerOptions): Thread =>
  new Thread(
    `import { tsImport } from "tsx/esm/api"\nawait tsImport(${JSON.stringify(String(entry))}, import.meta.url)`,
    { ...options, eval: true }
  )

let weftPool: Promise<BlockingPool.BlockingPool<Jobs>> | undefined
const getWeftPool = () =>
  weftPool ??= Effect.runPromise(Scope.extend(
    BlockingPool.make<Jobs>({
      entry: new URL("./worker.runner.ts", import.meta.url),
      size: threads,
      spawn: spawnTypeScript
    }),
    scope
  ))

/**
 * A worker actor on its own thread, in an actor system that lives as long as the bench process,
 * warmed with `warmAsks` asks before it is timed (the pool's threads are warm from the rows before).
 */
let pingerRef: Promise<Actor.ActorRef<Empty>> | undefined
const getPinger = (warmAsks: number) =>
  pingerRef ??= Effect.runPromise(Effect.gen(function*() {
    const system = yield* Layer.buildWithScope(ActorSystem.layer(), scope)
    const ref = yield* WorkerActor.spawn(Pinger, {
      entry: new URL("./worker.actor.runner.ts", import.meta.url),
      spawn: spawnTypeScript
    }).pipe(Scope.extend(scope), Effect.provide(system))
    yield* Effect.repeatN(Actor.ask(ref, new Empty()), warmAsks)
    return ref
  }))

const effectRunner = new URL("./worker.effect.runner.ts", import.meta.url)
const effectWorkers = NodeWorker.layer(() => spawnTypeScript(effectRunner, {}))

// The floors under weft's pool, which is built on them: Effect's serialized worker pool (the same
// size, one job per thread) and one serialized worker with no pool at all.
let effectPool: Promise<Worker.SerializedWorkerPool<Jobs>> | undefined
const getEffectPool = () =>
  effectPool ??= Effect.runPromise(Scope.extend(
    Worker.makePoolSerialized<Jobs>({ size: threads, concurrency: 1 }).pipe(Effect.provide(effectWorkers)),
    scope
  ))

let effectWorker: Promise<Worker.SerializedWorker<Jobs>> | undefined
const getEffectWorker = () =>
  effectWorker ??= Effect.runPromise(Scope.extend(
    Worker.makeSerialized<Jobs>({}).pipe(Effect.provide(effectWorkers)),
    scope
  ))

let piscina: Piscina | undefined
const getPiscina = () =>
  piscina ??= new Piscina({
    filename: new URL("./piscina.worker.mjs", import.meta.url).href,
    minThreads: threads,
    maxThreads: threads
  })

const echoWorkers: Array<Thread> = []

/** A bare echo worker: one request at a time. */
const makeEcho = () => {
  let worker: Thread | undefined
  let reply: (payload: Uint8Array) => void = () => {}
  return (payload: Uint8Array, transfer: boolean): Promise<Uint8Array> => {
    if (worker === undefined) {
      worker = new Thread(new URL("./clone.worker.mjs", import.meta.url))
        .on("message", (message: { payload: Uint8Array }) => reply(message.payload))
      echoWorkers.push(worker)
    }
    const target = worker
    return new Promise((resolve) => {
      reply = resolve
      target.postMessage({ payload, transfer }, transfer ? [payload.buffer as ArrayBuffer] : [])
    })
  }
}
const echoClone = makeEcho()
const echoTransfer = makeEcho()

/** Closes the weft pool (its threads exit), piscina and the echo workers. */
export const teardown = async (): Promise<void> => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await piscina?.destroy()
  await Promise.all(echoWorkers.map((worker) => worker.terminate()))
}

// ---------------------------------------------------------------------------------------------
// 1. CPU-bound jobs

const cpuJobs = (quick: boolean) => {
  const jobs = quick ? 4 : 64
  const jobSize = quick ? 1024 : 1 << 20
  const expected = crc32(jobSize)
  const indices = Array.from({ length: jobs }, (_, i) => i)
  return benchmark<ReadonlyArray<number>>({
    package: "worker",
    name: `CPU-bound jobs (CRC-32 of 1 MiB), ${jobs} at once, ${threads} threads`,
    unit: "job",
    opsPerRun: jobs,
    warmupSeconds,
    goal: `≥ 0.9 × ${threads} × inline; ≥ 1× piscina`,
    contenders: [
      {
        name: "BlockingPool.run",
        role: "weft",
        run: async () => {
          const pool = await getWeftPool()
          return Effect.runPromise(
            Effect.forEach(indices, () => pool.run(new Cpu({ size: jobSize })), { concurrency: "unbounded" })
          )
        }
      },
      {
        name: "piscina.run",
        role: "peer",
        run: () =>
          Promise.all(indices.map(() => getPiscina().run({ size: jobSize }, { name: "cpu" }) as Promise<number>))
      },
      { name: "inline on the main thread", role: "peer", run: () => indices.map(() => crc32(jobSize)) },
      {
        name: "Effect Worker.makePoolSerialized alone",
        role: "limit",
        run: async () => {
          const pool = await getEffectPool()
          return Effect.runPromise(
            Effect.forEach(indices, () => pool.executeEffect(new Cpu({ size: jobSize })), { concurrency: "unbounded" })
          )
        }
      }
    ],
    check: (results) => {
      expect(results.length === jobs, () => `${results.length} results for ${jobs} jobs`)
      expect(results.every((h) => h === expected), () => `a job returned a wrong hash`)
    }
  })
}

// ---------------------------------------------------------------------------------------------
// 2. Empty job round trip

const emptyJob = (quick: boolean) =>
  benchmark<number>({
    package: "worker",
    name: "empty job round trip, one at a time",
    unit: "job",
    opsPerRun: 1,
    warmupSeconds,
    goal: "≤ 1× piscina latency",
    contenders: [
      {
        name: "BlockingPool.run",
        role: "weft",
        run: async () => Effect.runPromise((await getWeftPool()).run(new Empty()))
      },
      { name: "piscina.run", role: "peer", run: () => getPiscina().run({}, { name: "empty" }) as Promise<number> },
      {
        name: "WorkerActor ask (one pool job, the stand-in and the thread's local actor around it)",
        role: "variant",
        run: async () => Effect.runPromise(Actor.ask(await getPinger(quick ? 0 : 2_000), new Empty()))
      },
      {
        name: "bare postMessage echo",
        role: "limit",
        run: async () => (await echoClone(new Uint8Array(0), false)).length
      },
      {
        name: "Effect Worker.makePoolSerialized alone",
        role: "limit",
        run: async () => Effect.runPromise((await getEffectPool()).executeEffect(new Empty()))
      },
      {
        name: "Effect Worker.makeSerialized, one thread, no pool",
        role: "limit",
        run: async () => Effect.runPromise((await getEffectWorker()).executeEffect(new Empty()))
      }
    ],
    check: (result) => expect(result === 0, () => `empty job returned ${result}`)
  })

// ---------------------------------------------------------------------------------------------
// 3. 64 KiB payload round trip

const payloadSize = 64 * 1024

interface RoundTrip {
  readonly payload: Uint8Array
  /** Payload bytes copied on this thread during the round trip. */
  readonly copied: number
}

const pattern = (): Uint8Array => new Uint8Array(payloadSize).map((_, i) => i & 0xff)
const intact = (payload: Uint8Array) =>
  payload.length === payloadSize && payload[1] === 1 && payload[payloadSize - 1] === ((payloadSize - 1) & 0xff)

/**
 * Each contender keeps one payload and sends it on every run: moved contenders get their buffer
 * back, the clone gets a copy (its original stays).
 */
const payloadRoundTrip = () => {
  let weftPayload = pattern()
  let clonePayload = pattern()
  let transferPayload = pattern()
  return benchmark<RoundTrip>({
    package: "worker",
    name: "64 KiB payload to a worker and back",
    unit: "round trip",
    opsPerRun: 1,
    warmupSeconds,
    goal: "≥ 5× structured clone, 0 bytes copied",
    contenders: [
      {
        name: "BlockingPool.run + ThreadBytes.Transfer",
        role: "weft",
        run: async () => {
          const pool = await getWeftPool()
          const before = (await Effect.runPromise(ThreadBytes.stats)).copiedBytes
          const back = await Effect.runPromise(pool.run(new Echo({ payload: Bytes.fromUint8Array(weftPayload) })))
          weftPayload = Bytes.toUint8Array(back)
          const copied = (await Effect.runPromise(ThreadBytes.stats)).copiedBytes - before
          return { payload: weftPayload, copied }
        },
        report: ({ copied }) => `${copied} B copied`
      },
      {
        name: "postMessage, structured clone",
        role: "peer",
        run: async () => {
          clonePayload = await echoClone(clonePayload, false)
          return { payload: clonePayload, copied: 2 * payloadSize }
        },
        report: ({ copied }) => `${copied} B copied (cloned each way)`
      },
      {
        name: "postMessage, transfer",
        role: "limit",
        run: async () => {
          transferPayload = await echoTransfer(transferPayload, true)
          return { payload: transferPayload, copied: 0 }
        },
        report: () => "0 B copied"
      }
    ],
    check: ({ copied, payload }, contender) => {
      expect(intact(payload), () => "the payload came back changed")
      if (contender.role === "weft") expect(copied === 0, () => `${copied} bytes copied`)
    }
  })
}

export const benchmarks: BenchmarkFile = ({ quick }) => [cpuJobs(quick), emptyJob(quick), payloadRoundTrip()]
