/**
 * The demo with its `compress` plugin's deflating on worker threads (`--workers 1`) or on the main
 * thread (`--workers 0`): frames/s of 64 B frames through stats, topics, checksum and compress,
 * over loopback TCP. The gateways are started once per setting and warmed (their worker thread
 * loaded and running) before any timing: a run is the frames, from the first write until every
 * plugin has taken every frame and every frame has been deflated (inline, or by the worker, whose
 * totals the gateway asks for again as soon as they answer while they change: one ask's round trip
 * after the last job counts against the worker row).
 * The limit row is the compress plugin's deflating alone on a worker thread, nothing else on it: the
 * one worker of `--workers 1` cannot deflate faster, so it bounds that row whatever the hand-off
 * costs.
 * (Not a `*.bench.ts`: `demo.bench.ts` registers it.)
 */
import * as Frame from "@weft/demo/Frame"
import * as Gateway from "@weft/demo/Gateway"
import { jobBytes } from "@weft/demo/workers/Compress"
import { recordHeader } from "@weft/demo/workers/Compressor"
import { Context, Effect, Exit, Layer, Logger, LogLevel, Scope } from "effect"
import * as FileSystem from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Worker } from "node:worker_threads"
import { connect, endAndAwaitClose, type Wire, writeFrames } from "./demoWire.js"
import { benchmark, expect } from "./harness.js"
import { ownCpuSeconds, statFields } from "./procStat.js"

const plugins = ["stats", "topics", "checksum", "compress"] as const
const connections = 4
const quiet = Logger.withMinimumLogLevel(LogLevel.Warning)
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** 64 payloads that are pseudo-random (so deflate has work to do): compressible, but not trivially. */
const makeNoisyPayloads = (payloadSize: number): ReadonlyArray<Uint8Array> => {
  let seed = 0x9e3779b9
  return Array.from({ length: 64 }, () =>
    new Uint8Array(payloadSize).map(() => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
      // Half the bits random.
      return (seed >>> 24) & 0x0f | 0x40
    }))
}

/** 64 KiB of frames carrying `payloads` in turn, over 8 topics. */
const makeNoisyWire = (payloads: ReadonlyArray<Uint8Array>): Wire => {
  const frames = payloads.map((payload, i) => Frame.encode(`sensor/${i % 8}`, payload))
  const frameSize = frames[0]!.length
  const framesPerChunk = Math.floor((64 * 1024) / frameSize)
  const chunk = new Uint8Array(framesPerChunk * frameSize)
  for (let i = 0; i < framesPerChunk; i++) chunk.set(frames[i % frames.length]!, i * frameSize)
  return { chunk, frameSize, framesPerChunk }
}

/**
 * The records of one worker job (see `CompressBatch`): `payloads` in turn, up to the plugin's
 * `jobBytes`.
 */
const makeJobRecords = (payloads: ReadonlyArray<Uint8Array>) => {
  const recordSize = recordHeader + payloads[0]!.length
  const frames = Math.floor(jobBytes / recordSize)
  const records = new Uint8Array(frames * recordSize)
  const view = new DataView(records.buffer)
  for (let i = 0; i < frames; i++) {
    view.setUint32(i * recordSize, payloads[i % payloads.length]!.length)
    records.set(payloads[i % payloads.length]!, i * recordSize + recordHeader)
  }
  return { records, frames }
}

/**
 * The most frames/s one worker thread can deflate: the plugin's `deflateRecords` alone on a thread
 * with the compressor's modules loaded, over job-sized records, nothing else on it. `--workers 1`
 * cannot go faster than this, however cheap its hand-off.
 */
const makeDeflateThread = (payloads: ReadonlyArray<Uint8Array>) => {
  const { frames: perJob, records } = makeJobRecords(payloads)
  const recordSize = records.length / perJob
  let thread: Worker | undefined
  let answer: (deflated: number) => void = () => {}
  const deflate = (frames: number) =>
    new Promise<number>((resolve) => {
      thread ??= new Worker(new URL("./demoDeflate.worker.mjs", import.meta.url))
        .on("message", (deflated: number) => answer(deflated))
      answer = resolve
      thread.postMessage({ frames, records, recordSize })
    })
  const stop = async () => {
    await thread?.terminate()
    thread = undefined
  }
  return { deflate, stop }
}

interface Running {
  readonly gateway: Context.Tag.Service<typeof Gateway.Gateway>
  readonly scope: Scope.CloseableScope
  readonly dir: string
}

const running = new Map<number, Promise<Running>>()

const snapshotOf = (gateway: Context.Tag.Service<typeof Gateway.Gateway>) => Effect.runPromise(gateway.snapshot())

/** Frames the compress plugin has had deflated, on the main thread or on its workers. */
const deflated = (snapshot: Gateway.Snapshot) =>
  snapshot.compress.inlineFrames + snapshot.workers.reduce((sum, worker) => sum + worker.frames, 0)

const sendOver = async (port: number, wire: Wire, frames: number) => {
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(port)))
  await Promise.all(sockets.map(async (socket, i) => {
    const share = Math.floor(frames / connections) + (i < frames % connections ? 1 : 0)
    await writeFrames(socket, wire, share)
    await endAndAwaitClose(socket)
  }))
}

/** Waits until every plugin took `total` frames and all of them were deflated. */
const settled = async (gateway: Context.Tag.Service<typeof Gateway.Gateway>, total: number) => {
  const start = Date.now()
  for (;;) {
    const snapshot = await snapshotOf(gateway)
    const done = Object.values(snapshot.plugins).every((plugin) => plugin.processed >= total)
      && deflated(snapshot) >= total && snapshot.arena.live === 0
    if (done) return snapshot
    if (Date.now() - start > 300_000) throw new Error(`timed out: ${JSON.stringify(snapshot.compress)}`)
    await sleep(2)
  }
}

/** The gateway for `workers`, started and warmed once (its threads loaded). */
const gatewayFor = (workers: number, wire: Wire) => {
  let started = running.get(workers)
  if (started === undefined) {
    started = (async () => {
      const dir = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "weft-bench-workers-"))
      const scope = Effect.runSync(Scope.make())
      const config: Gateway.Config = {
        ...Gateway.defaults(Path.join(dir, "sink.log")),
        tcpPort: 0,
        httpPort: 0,
        plugins,
        workers,
        chaosEvery: 0
      }
      const context = await Effect.runPromise(quiet(Layer.buildWithScope(Gateway.layer(config), scope)))
      const gateway = Context.get(context, Gateway.Gateway)
      await sendOver(gateway.tcpAddress.port, wire, 2_000)
      await settled(gateway, 2_000)
      return { gateway, scope, dir }
    })()
    running.set(workers, started)
  }
  return started
}

/** CPU time (ms) of this process's main thread and of all its other threads together. */
interface ThreadTimes {
  readonly main: number
  readonly others: number
}

/** This process's CPU time (ms) per thread, from Linux's `/proc/self/task`; undefined where there is none. */
const threadTimes = (): ThreadTimes | undefined => {
  if (!FileSystem.existsSync("/proc/self/task")) return undefined
  let main = 0
  let others = 0
  for (const tid of FileSystem.readdirSync("/proc/self/task")) {
    const fields = statFields(`/proc/self/task/${tid}/stat`)
    if (fields === undefined) continue // the thread ended meanwhile
    const ms = ownCpuSeconds(fields) * 1000
    if (Number(tid) === process.pid) main += ms
    else others += ms
  }
  return { main, others }
}

interface Result {
  /** CPU µs per frame on the main thread (the gateway and the sending sockets) and on the others (worker thread, GC, libuv), where known. */
  readonly cpuPerFrame?: ThreadTimes
  readonly frames: number
  readonly processed: ReadonlyArray<number>
  readonly deflated: number
  readonly onWorkers: number
  readonly deadLetters: number
}

const run = async (workers: number, wire: Wire, frames: number): Promise<Result> => {
  const { gateway } = await gatewayFor(workers, wire)
  const before = await snapshotOf(gateway)
  const timesBefore = threadTimes()
  await sendOver(gateway.tcpAddress.port, wire, frames)
  const after = await settled(gateway, before.framesIn + frames)
  const timesAfter = threadTimes()
  const onWorkers = (s: Gateway.Snapshot) => s.workers.reduce((sum, worker) => sum + worker.frames, 0)
  return {
    ...(timesBefore !== undefined && timesAfter !== undefined
      ? {
        cpuPerFrame: {
          main: (timesAfter.main - timesBefore.main) * 1000 / frames,
          others: (timesAfter.others - timesBefore.others) * 1000 / frames
        }
      }
      : {}),
    frames: after.framesIn - before.framesIn,
    processed: Object.entries(after.plugins).map(([name, plugin]) =>
      plugin.processed - before.plugins[name]!.processed
    ),
    deflated: deflated(after) - deflated(before),
    onWorkers: onWorkers(after) - onWorkers(before),
    deadLetters: after.deadLetters - before.deadLetters
  }
}

let deflateThread: ReturnType<typeof makeDeflateThread> | undefined

/** Stops the gateways (and so their worker threads) and the ceiling row's thread. */
export const teardown = async () => {
  await deflateThread?.stop()
  for (const started of running.values()) {
    const { dir, scope } = await started
    await Effect.runPromise(quiet(Scope.close(scope, Exit.void)))
    FileSystem.rmSync(dir, { recursive: true, force: true })
  }
  running.clear()
}

/** A run's CPU per frame by thread, or nothing where it was not measured. */
const cpuReport = ({ cpuPerFrame }: Result) =>
  cpuPerFrame === undefined
    ? ""
    : `CPU per frame: main thread ${cpuPerFrame.main.toFixed(1)} µs, other threads (worker, GC, libuv) ${
      cpuPerFrame.others.toFixed(1)
    } µs`

export const workersEndToEnd = (frames: number, samples: number) => {
  const payloads = makeNoisyPayloads(64)
  let wire: Wire | undefined
  const theWire = () => wire ??= makeNoisyWire(payloads)
  return benchmark<Result>({
    package: "demo",
    name:
      `--workers 1 vs 0: 64 B frames over loopback TCP, ${connections} connections, stats, topics, checksum, compress`,
    unit: "frame",
    opsPerRun: frames,
    samples,
    goal: "--workers 1 ≥ 1.3× --workers 0 on 2 cores",
    check: (result, contender) => {
      if (contender.role === "limit") {
        expect(result.deflated >= frames, () => `${result.deflated} frames deflated, expected ${frames}`)
        return
      }
      expect(result.frames === frames, () => `${result.frames} frames in, expected ${frames}`)
      expect(result.processed.every((n) => n === frames), () => `processed ${result.processed}, expected ${frames}`)
      expect(result.deflated === frames, () => `${result.deflated} frames deflated, expected ${frames}`)
      expect(result.deadLetters === 0, () => `${result.deadLetters} dead letters`)
      const expectedOnWorkers = contender.role === "weft" ? frames : 0
      expect(result.onWorkers === expectedOnWorkers, () => `${result.onWorkers} deflated on workers`)
    },
    contenders: [
      {
        name: "weft-demo --workers 1 (deflate on a worker thread)",
        role: "weft",
        run: () => run(1, theWire(), frames),
        report: (r) => `${r.onWorkers} frames deflated on the worker; ${cpuReport(r)}`
      },
      {
        name: "weft-demo --workers 0 (deflate on the main thread)",
        role: "peer",
        run: () => run(0, theWire(), frames),
        report: cpuReport
      },
      {
        name: "deflate alone on a worker thread (the ceiling of --workers 1)",
        role: "limit",
        run: async () => {
          deflateThread ??= makeDeflateThread(payloads)
          const deflated = await deflateThread.deflate(frames)
          return { frames, processed: [], deflated, onWorkers: 0, deadLetters: 0 }
        }
      }
    ]
  })
}
