/**
 * `pnpm demo`: the gateway with a built-in load generator, until Ctrl-C or `--duration`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Context, Data, Duration, Effect, Fiber, Layer, Schedule } from "effect"
import * as FileSystem from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Gateway from "./Gateway.js"
import * as Http from "./Http.js"
import * as Load from "./Load.js"
import * as Plugins from "./Plugins.js"

const usage = `weft demo — the weft gateway with a built-in load generator

usage: pnpm demo [options]

  --duration <seconds>     stop after this long (default: run until Ctrl-C)
  --tcp-port <port>        TCP ingest port (default 7878; 0 = any free port)
  --http-port <port>       HTTP API port (default 8787; 0 = any free port)
  --sink <path>            sink log file (default: a new temp dir)
  --plugins <a,b,...>      plugins to run (default: stats,topics,checksum,sink,chaos; also: slow)
  --chaos-every <k>        chaos crashes on every k-th message (default 1000; 0 = never)
  --max-frame <bytes>      longest frame accepted (default 65536)
  --connections <n>        load generator connections (default 4; 0 = no load)
  --payload <bytes>        load generator payload size (default 64)
  --rate <frames/s>        load generator total rate (default 20000; 0 = as fast as TCP allows)
  --help                   this text
`

/** A command-line argument that cannot be used. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly reason: string }> {
  override get message() {
    return `${this.reason}\n\n${usage}`
  }
}

interface Args {
  readonly help: boolean
  readonly duration: Duration.Duration | undefined
  readonly tcpPort: number
  readonly httpPort: number
  readonly sink: string | undefined
  readonly plugins: ReadonlyArray<Plugins.PluginName>
  readonly chaosEvery: number
  readonly maxFrame: number
  readonly connections: number
  readonly payload: number
  readonly rate: number
}

const integerFlags = ["tcp-port", "http-port", "chaos-every", "max-frame", "connections", "payload", "rate"] as const

/** Parses `--flag value` / `--flag=value` arguments. */
export const parseArgs = (argv: ReadonlyArray<string>): Effect.Effect<Args, UsageError> =>
  Effect.suspend(() => {
    const values = new Map<string, string>()
    let help = false
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!
      if (arg === "--") continue
      if (arg === "--help" || arg === "-h") {
        help = true
        continue
      }
      if (!arg.startsWith("--")) return Effect.fail(new UsageError({ reason: `unexpected argument ${arg}` }))
      const eq = arg.indexOf("=")
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
      if (value === undefined) return Effect.fail(new UsageError({ reason: `--${name} needs a value` }))
      values.set(name, value)
    }
    const known = new Set<string>(["duration", "sink", "plugins", ...integerFlags])
    for (const name of values.keys()) {
      if (!known.has(name)) return Effect.fail(new UsageError({ reason: `unknown option --${name}` }))
    }
    const integer = (name: typeof integerFlags[number], fallback: number) => {
      const raw = values.get(name)
      if (raw === undefined) return fallback
      return /^\d+$/.test(raw) ? Number(raw) : NaN
    }
    const ints = Object.fromEntries(
      integerFlags.map((name) => [name, integer(name, defaults[name])])
    ) as Record<typeof integerFlags[number], number>
    for (const name of integerFlags) {
      if (!Number.isSafeInteger(ints[name])) {
        return Effect.fail(new UsageError({ reason: `--${name} must be a non-negative integer` }))
      }
    }
    const rawDuration = values.get("duration")
    const seconds = rawDuration === undefined ? undefined : Number(rawDuration)
    if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0)) {
      return Effect.fail(new UsageError({ reason: `--duration must be a positive number of seconds` }))
    }
    const plugins = (values.get("plugins") ?? Plugins.defaultPlugins.join(",")).split(",").filter((p) => p !== "")
    const unknown = plugins.filter((p) => !Plugins.isPluginName(p))
    if (unknown.length > 0) {
      return Effect.fail(
        new UsageError({ reason: `unknown plugin(s) ${unknown.join(", ")}; known: ${Plugins.pluginNames.join(", ")}` })
      )
    }
    return Effect.succeed({
      help,
      duration: seconds === undefined ? undefined : Duration.seconds(seconds),
      tcpPort: ints["tcp-port"],
      httpPort: ints["http-port"],
      sink: values.get("sink"),
      plugins: plugins.filter(Plugins.isPluginName),
      chaosEvery: ints["chaos-every"],
      maxFrame: ints["max-frame"],
      connections: ints.connections,
      payload: ints.payload,
      rate: ints.rate
    })
  })

const defaults = {
  "tcp-port": 7878,
  "http-port": 8787,
  "chaos-every": 1000,
  "max-frame": 64 * 1024,
  connections: 4,
  payload: 64,
  rate: 20_000
}

const formatSummary = (counters: Gateway.Counters, sink: Plugins.SinkState, sent: number, sinkPath: string) => {
  const deadLetters = Array.from(counters.deadLetters.values()).reduce((a, b) => a + b, 0)
  const restarts = Array.from(counters.restarts.values()).reduce((a, b) => a + b, 0)
  const reasons = Array.from(counters.deadLetters, ([reason, n]) => `${reason} ${n}`).join(", ")
  return [
    "",
    "summary",
    `  frames sent      ${sent}`,
    `  frames in        ${counters.framesIn}${
      counters.framesPartial === 0 ? "" : ` (+${counters.framesPartial} partial)`
    }`,
    `  acked (fsynced)  ${sink.acked}  → ${sinkPath}`,
    `  dead letters     ${deadLetters}${reasons === "" ? "" : ` (${reasons})`}`,
    `  restarts         ${restarts}`,
    `  connection errors ${counters.failures.length}`
  ].join("\n")
}

const main = Effect.gen(function*() {
  const args = yield* parseArgs(process.argv.slice(2))
  if (args.help) return yield* Console.log(usage)
  const sinkPath = args.sink
    ?? Path.join(yield* Effect.promise(() => FileSystem.mkdtemp(Path.join(Os.tmpdir(), "weft-demo-"))), "sink.log")
  const config: Gateway.Config = {
    ...Gateway.defaults(sinkPath),
    tcpPort: args.tcpPort,
    httpPort: args.httpPort,
    plugins: args.plugins,
    chaosEvery: args.chaosEvery,
    maxFrameLength: args.maxFrame
  }
  // Filled while running, read after the graceful shutdown for the summary.
  const observed: { gateway?: Context.Tag.Service<Gateway.Gateway>; sent: () => number } = { sent: () => 0 }

  const run = Effect.gen(function*() {
    const context = yield* Layer.build(Http.layer(config))
    const gateway = Context.get(context, Gateway.Gateway)
    observed.gateway = gateway
    const url = yield* Effect.provide(Http.baseUrl, context)
    yield* Console.log(
      `weft gateway\n  dashboard  ${url}/\n  TCP ingest ${gateway.tcpAddress.host}:${gateway.tcpAddress.port}\n  sink       ${sinkPath}\n`
    )
    yield* Console.log(
      args.duration === undefined ? "running until Ctrl-C" : `running for ${Duration.format(args.duration)}`
    )
    const load = args.connections === 0 ? undefined : yield* Load.start({
      host: gateway.tcpAddress.host,
      port: gateway.tcpAddress.port,
      connections: args.connections,
      payloadSize: args.payload,
      batch: 64,
      topics: 12,
      ratePerConnection: args.rate === 0 ? undefined : args.rate / args.connections
    })
    if (load !== undefined) observed.sent = () => load.progress.sent
    yield* gateway.snapshot().pipe(
      Effect.flatMap((s) =>
        Console.log(
          `  ${s.framesIn} in · ${s.acked} acked · arena ${s.arena.live}/${s.arena.capacity} · `
            + `${s.deadLetters} dead letters · ${Object.values(s.restarts).reduce((a, b) => a + b, 0)} restarts`
        )
      ),
      Effect.repeat(Schedule.spaced("1 second")),
      Effect.forkScoped
    )
    yield* args.duration === undefined ? Effect.never : Effect.sleep(args.duration)
    yield* Console.log("\nshutting down: stop load, stop accepting, drain plugins, fsync sink…")
    // The load generator is cut off (its unsent frames are simply never acked), so shutdown does
    // not wait for the gateway to read what the kernel still buffers.
    if (load !== undefined) yield* Fiber.interrupt(load.fiber)
  }).pipe(Effect.scoped)

  yield* run.pipe(
    Effect.onExit(() =>
      observed.gateway === undefined
        ? Effect.void
        : Console.log(formatSummary(observed.gateway.counters, observed.gateway.sink, observed.sent(), sinkPath))
    )
  )
})

NodeRuntime.runMain(
  main.pipe(
    Effect.catchTag("UsageError", (error) =>
      Effect.zipRight(
        Console.error(error.message),
        Effect.sync(() => {
          process.exitCode = 2
        })
      ))
  )
)
