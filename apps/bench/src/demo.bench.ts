/**
 * apps/demo end to end: frames/s through the real gateway over loopback TCP (decode → arena →
 * dispatcher → 4 plugin actors: stats, topics, checksum, sink with fsync batching), with 64 B and
 * 4 KiB payloads, beside a plain Node `net` server that only decodes and counts the same frames
 * (the limit: no arena, no plugins, no Effect). And the gateway's RSS under 10× overload: the
 * compiled `weft-demo serve` (`pnpm build`) as a child process with the `slow` plugin, fed ten
 * times faster than it acks. And the sink's record checksum, CRC-32, JavaScript against Node's
 * native `zlib.crc32` on both sides of `Frame.nativeCrcFrom`.
 */
import * as Frame from "@weft/demo/Frame"
import * as Gateway from "@weft/demo/Gateway"
import { Context, Effect, Exit, Layer, Logger, LogLevel, Scope } from "effect"
import * as ChildProcess from "node:child_process"
import * as FileSystem from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Zlib from "node:zlib"
import { connect, endAndAwaitClose, makeWire, type Wire, writeFrames } from "./demoWire.js"
import { workersEndToEnd } from "./demoWorkers.js"
import { benchmark, type BenchmarkFile, expect } from "./harness.js"

export { teardown } from "./demoWorkers.js"

const plugins = ["stats", "topics", "checksum", "sink"] as const
const connections = 4

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `done` every `everyMs` until it holds, or throws after `timeoutMs`. */
const waitFor = async (
  what: string,
  done: () => boolean | Promise<boolean>,
  { everyMs = 1, timeoutMs = 120_000 }: { readonly everyMs?: number; readonly timeoutMs?: number } = {}
) => {
  const start = Date.now()
  while (!(await done())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** `frames` split over `connections` clients, each sending its share and half-closing. */
const sendOver = async (port: number, wire: Wire, frames: number) => {
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(port)))
  await Promise.all(sockets.map(async (socket, i) => {
    const share = Math.floor(frames / connections) + (i < frames % connections ? 1 : 0)
    await writeFrames(socket, wire, share)
    await endAndAwaitClose(socket)
  }))
}

// ---------------------------------------------------------------------------------------------
// end-to-end throughput

interface EndToEndResult {
  readonly framesIn: number
  /** Frames the sink wrote and fsynced (0 for the limit row, which has no sink). */
  readonly acked: number
  /** Frames each plugin processed (one entry for the limit row: its count). */
  readonly processed: ReadonlyArray<number>
  /** Arena slots still live at the end: 0 when every plugin settled every frame. */
  readonly arenaLive: number
  readonly deadLetters: number
  readonly failedConnections: number
}

const quiet = Logger.withMinimumLogLevel(LogLevel.Warning)

/** One gateway, fresh for the run (its start and graceful stop are inside the timing). */
const weftEndToEnd = async (wire: Wire, frames: number): Promise<EndToEndResult> => {
  const dir = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "weft-bench-demo-"))
  const scope = Effect.runSync(Scope.make())
  try {
    const config: Gateway.Config = {
      ...Gateway.defaults(Path.join(dir, "sink.log")),
      tcpPort: 0,
      httpPort: 0,
      plugins,
      chaosEvery: 0
    }
    const context = await Effect.runPromise(quiet(Layer.buildWithScope(Gateway.layer(config), scope)))
    const gateway = Context.get(context, Gateway.Gateway)
    await sendOver(gateway.tcpAddress.port, wire, frames)
    let snapshot = await Effect.runPromise(gateway.snapshot())
    // A snapshot every 5 ms: at most 5 ms late, and cheap beside the run.
    await waitFor("every plugin to settle every frame", async () => {
      snapshot = await Effect.runPromise(gateway.snapshot())
      return snapshot.acked >= frames && snapshot.arena.live === 0
        && Object.values(snapshot.plugins).every((p) => p.processed >= frames)
    }, { everyMs: 5 })
    return {
      framesIn: snapshot.framesIn,
      acked: snapshot.acked,
      processed: Object.values(snapshot.plugins).map((p) => p.processed),
      arenaLive: snapshot.arena.live,
      deadLetters: snapshot.deadLetters,
      failedConnections: snapshot.connections.failed
    }
  } finally {
    await Effect.runPromise(quiet(Scope.close(scope, Exit.void)))
    FileSystem.rmSync(dir, { recursive: true, force: true })
  }
}

/** The limit: a plain `net` server that decodes the u32 length headers and counts frames. */
const plainEndToEnd = async (wire: Wire, frames: number): Promise<EndToEndResult> => {
  let count = 0
  let bytes = 0
  const server = Net.createServer((socket) => {
    let carry: Buffer | undefined
    socket.on("data", (chunk: Buffer) => {
      const buffer = carry === undefined ? chunk : Buffer.concat([carry, chunk])
      let offset = 0
      while (buffer.length - offset >= 4) {
        const length = buffer.readUInt32BE(offset)
        if (buffer.length - offset - 4 < length) break
        count++
        bytes += length
        offset += 4 + length
      }
      carry = offset < buffer.length ? buffer.subarray(offset) : undefined
    })
    socket.on("end", () => socket.end())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  try {
    await sendOver((server.address() as Net.AddressInfo).port, wire, frames)
    await waitFor("every frame counted", () => count >= frames)
  } finally {
    server.close()
  }
  return {
    framesIn: count,
    acked: 0,
    processed: [count],
    arenaLive: 0,
    deadLetters: bytes === frames * (wire.frameSize - 4) ? 0 : -1,
    failedConnections: 0
  }
}

const checkEndToEnd = (frames: number) => (result: EndToEndResult, contender: { readonly role: string }) => {
  expect(result.framesIn === frames, () => `${result.framesIn} frames in, expected ${frames}`)
  expect(result.processed.every((n) => n === frames), () => `processed ${result.processed}, expected ${frames} each`)
  expect(result.deadLetters === 0, () => `${result.deadLetters} dead letters (or a byte count mismatch)`)
  expect(result.failedConnections === 0, () => `${result.failedConnections} connections failed`)
  if (contender.role === "weft") {
    expect(result.acked === frames, () => `sink acked ${result.acked}, expected ${frames}`)
    expect(result.processed.length === plugins.length, () => `${result.processed.length} plugins ran`)
    expect(result.arenaLive === 0, () => `${result.arenaLive} arena slots still live`)
  }
}

const endToEnd = (payloadSize: number, frames: number, samples: number) => {
  let wire: Wire | undefined
  const theWire = () => wire ??= makeWire(payloadSize)
  return benchmark<EndToEndResult>({
    package: "demo",
    name: `end to end over loopback TCP, ${payloadSize} B payloads, ${connections} connections, 4 plugins`,
    unit: "frame",
    opsPerRun: frames,
    samples,
    ...(payloadSize <= 64 ? { goal: "≥ 200 k frames/s of 64 B frames" } : {}),
    check: checkEndToEnd(frames),
    contenders: [
      {
        name: "weft gateway: stats, topics, checksum, sink",
        role: "weft",
        run: () => weftEndToEnd(theWire(), frames),
        report: (r) => `${r.acked} acked after fsync; each run starts and gracefully stops a gateway`
      },
      {
        name: "plain Node net server: decode + count",
        role: "limit",
        run: () => plainEndToEnd(theWire(), frames)
      }
    ]
  })
}

// ---------------------------------------------------------------------------------------------
// RSS under 10× overload

const slowDelayMs = 1
/** The producer's pace: ten times what a `slow` plugin sleeping `slowDelayMs` per frame can ack. */
const overloadRate = 10 * (1000 / slowDelayMs)
const mib = 2 ** 20
/** How often the gateway's `/stats` (its RSS included) is sampled. */
const sampleMs = 100

interface OverloadResult {
  readonly frames: number
  /** The gateway's RSS once it was up, before any load. */
  readonly idleRssBytes: number
  readonly acked: number
  /** RSS samples (bytes) taken while the producer was still sending (the first overload). */
  readonly overloaded: ReadonlyArray<number>
  readonly maxRssBytes: number
  readonly maxArenaLive: number
  /** From SIGTERM, sent while overloaded again (the slow plugin's backlog full), to the exit. */
  readonly shutdownMs: number
}

/** How long the second overload runs before SIGTERM: time enough to fill the arena (8192 slots). */
const overloadBeforeSigtermMs = 3000

/** The compiled demo (`pnpm build`): the gateway as it ships, run by plain Node, no loader. */
const demoMain = fileURLToPath(new URL("../../demo/dist/main.js", import.meta.url))

interface Sample {
  readonly framesIn: number
  readonly acked: number
  readonly arena: { readonly live: number }
  readonly memory: { readonly rssBytes: number }
}

/**
 * `weft-demo serve` (compiled) as a child process, with the `slow` plugin; fed over TCP ten times
 * faster than it can ack, with its `/stats` (frames, arena, RSS) sampled every `sampleMs`.
 */
const weftOverload = async (wire: Wire, frames: number): Promise<OverloadResult> => {
  if (!FileSystem.existsSync(demoMain)) throw new Error(`${demoMain} is missing: run \`pnpm build\` first`)
  const dir = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "weft-bench-overload-"))
  // dprint-ignore
  const args = [demoMain, "serve", "--tcp-port", "0", "--http-port", "0", "--plugins", "stats,checksum,sink,slow",
    "--slow-delay", String(slowDelayMs), "--chaos-every", "0", "--drain-timeout", "5", "--sink", Path.join(dir, "sink.log")]
  const child = ChildProcess.spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve))
  let out = ""
  child.stdout.on("data", (chunk: Buffer) => out += chunk.toString())
  let result: Omit<OverloadResult, "shutdownMs">
  let exitCode: number | null = null
  let shutdownMs = Number.NaN
  try {
    await waitFor(
      "the gateway to print its addresses",
      () => child.exitCode === null && /TCP ingest +\S+:\d+/.test(out),
      {
        everyMs: 20,
        timeoutMs: 60_000
      }
    )
    const port = Number(/TCP ingest +\S+:(\d+)/.exec(out)![1])
    const url = /dashboard +(http:\/\/\S+)\//.exec(out)![1]!
    const sample = async (): Promise<Sample> => (await fetch(`${url}/stats?top=1`)).json() as Promise<Sample>
    const idleRssBytes = (await sample()).memory.rssBytes
    const samples: Array<Sample> = []
    const overloaded: Array<number> = []
    let producing = true
    let ackedBeforeSecond = 0
    const sampler = setInterval(() => {
      void sample().then((s) => {
        samples.push(s)
        if (producing) overloaded.push(s.memory.rssBytes)
      }, () => {})
    }, sampleMs)
    try {
      const socket = await connect(port)
      const paced = (start: number) => async (sent: number) => {
        const due = start + (sent / overloadRate) * 1000
        const now = Date.now()
        if (due > now) await sleep(due - now)
      }
      await writeFrames(socket, wire, frames, paced(Date.now()))
      producing = false
      await endAndAwaitClose(socket)
      await waitFor("the sink to ack every frame", () => (samples.at(-1)?.acked ?? 0) >= frames, {
        everyMs: 10,
        timeoutMs: 600_000
      })
      ackedBeforeSecond = samples.at(-1)?.acked ?? 0
      // Overloaded again, then SIGTERM while the slow plugin's backlog is full: shutdown must not
      // wait for that backlog (it did: 9.1 s). Its RSS samples count for the peak, not the plateau.
      const second = await connect(port)
      second.on("error", () => {})
      void writeFrames(second, wire, frames, paced(Date.now())).catch(() => {})
      await sleep(overloadBeforeSigtermMs)
      const sigtermAt = performance.now()
      child.kill("SIGTERM")
      exitCode = await exited
      shutdownMs = performance.now() - sigtermAt
      second.destroy()
    } finally {
      clearInterval(sampler)
    }
    result = {
      frames,
      idleRssBytes,
      acked: ackedBeforeSecond,
      overloaded,
      maxRssBytes: Math.max(...samples.map((s) => s.memory.rssBytes)),
      maxArenaLive: Math.max(...samples.map((s) => s.arena.live))
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM")
      exitCode = await exited
    }
    FileSystem.rmSync(dir, { recursive: true, force: true })
  }
  if (exitCode !== 0) throw new Error(`the gateway exited with ${exitCode} after SIGTERM, expected 0`)
  return { ...result, shutdownMs }
}

/** Plateaued: the second half of the overloaded phase never rose 10% above the first half's peak. */
const overloadReport = (r: OverloadResult): string => {
  const rss = `max RSS ${(r.maxRssBytes / mib).toFixed(0)} MiB (goal < 256 MiB; ${
    (r.idleRssBytes / mib).toFixed(0)
  } MiB idle, compiled, plain node); arena peak ${r.maxArenaLive} live slots; SIGTERM → exit ${
    (r.shutdownMs / 1000).toFixed(1)
  } s while overloaded (goal ≤ 5 s)`
  if (r.overloaded.length < 4) return `${rss}; overloaded too briefly to judge a plateau`
  const half = Math.floor(r.overloaded.length / 2)
  const first = Math.max(...r.overloaded.slice(0, half))
  const second = Math.max(...r.overloaded.slice(half))
  return `${rss}; overloaded phase: ${r.overloaded.length} samples, peak ${(first / mib).toFixed(0)} MiB in the`
    + ` first half, ${(second / mib).toFixed(0)} MiB in the second → ${
      second <= first * 1.1 ? "plateaued" : "did NOT plateau"
    }`
}

const overload = (frames: number) => {
  let wire: Wire | undefined
  return benchmark<OverloadResult>({
    package: "demo",
    name: `RSS under 10× overload: 4 KiB payloads at ${overloadRate / 1000} k frames/s into a sink acking ≤ ${
      1000 / slowDelayMs
    } frames/s`,
    unit: "frame",
    opsPerRun: frames,
    samples: 1,
    goal: "RSS plateaus under 256 MiB; SIGTERM → exit ≤ 5 s while overloaded",
    check: (r) => expect(r.acked === frames, () => `sink acked ${r.acked}, expected ${frames}`),
    contenders: [{
      name: "weft-demo serve (compiled, child process): stats, checksum, sink, slow 1 ms/frame",
      role: "weft",
      run: () => weftOverload(wire ??= makeWire(4096), frames),
      report: overloadReport
    }]
  })
}

// ---------------------------------------------------------------------------------------------
// CRC-32 of sink records

const crc = (size: number, records: number) => {
  const data = new Uint8Array(size * records).map((_, i) => (i * 2654435761) >>> 24)
  const sumOver = (checksum: (array: Uint8Array, start: number, end: number) => number) => () => {
    let sum = 0
    for (let start = 0; start < data.length; start += size) sum = (sum + checksum(data, start, start + size)) >>> 0
    return sum
  }
  const expected = sumOver(Frame.crc32Sliced)()
  return benchmark<number>({
    package: "demo",
    name: `CRC-32 of ${records} records of ${size} B (the sink's checksum)`,
    unit: "record",
    opsPerRun: records,
    goal: "the faster of the two at every size (Frame.crc32 switches at nativeCrcFrom bytes)",
    check: (sum) => expect(sum === expected, () => `checksum sum ${sum}, expected ${expected}`),
    contenders: [
      { name: "Frame.crc32", role: "weft", run: sumOver(Frame.crc32) },
      { name: "JavaScript, slicing by 4", role: "peer", run: sumOver(Frame.crc32Sliced) },
      {
        name: "zlib.crc32 (native)",
        role: "peer",
        run: sumOver((array, start, end) => Zlib.crc32(array.subarray(start, end)))
      }
    ]
  })
}

export const benchmarks: BenchmarkFile = ({ quick }) => [
  crc(64, quick ? 10 : 10_000),
  crc(4096, quick ? 10 : 1_000),
  endToEnd(64, quick ? 2_000 : 200_000, 3),
  endToEnd(4096, quick ? 200 : 20_000, 3),
  workersEndToEnd(quick ? 2_000 : 200_000, 3),
  // 40,000 frames keep it overloaded for about 30 s: its RSS climbs for the first ~10 s (the arena
  // filling, the heap growing to its working size), so a shorter phase judges the climb, not a plateau.
  overload(quick ? 300 : 40_000)
]
