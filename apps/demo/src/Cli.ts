/**
 * The `weft-demo` command line, on @effect/cli:
 *
 * - `weft-demo` (what `pnpm demo` runs): the gateway plus a built-in load generator, until Ctrl-C
 *   or `--duration`, then a summary;
 * - `weft-demo serve`: the gateway alone;
 * - `weft-demo load`: a load generator over real TCP against a running gateway;
 * - `weft-demo watch <topic>`: the frames of one topic, from the gateway's typed RPC client;
 * - `weft-demo verify-sink <file>`: checks a sink file (`VerifySink.ts`).
 *
 * Parsing is separate from running: `make(handlers)` builds the command tree over any handlers
 * (the tests parse with handlers that only record what they got), `run` is it over the real ones.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Terminal from "@effect/platform/Terminal"
import {
  Cause,
  Clock,
  Console,
  Context,
  Data,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Schedule,
  Stream
} from "effect"
import * as FileSystem from "node:fs/promises"
import { createRequire } from "node:module"
import * as Os from "node:os"
import * as Path from "node:path"
import type * as Acks from "./Acks.js"
import * as Gateway from "./Gateway.js"
import * as Help from "./Help.js"
import * as Http from "./Http.js"
import * as Load from "./Load.js"
import * as Plugins from "./Plugins.js"
import * as Rpc from "./Rpc.js"
import * as VerifySink from "./VerifySink.js"

// ---------------------------------------------------------------------------------------------
// what the commands parse to

/** Options of `weft-demo serve` (and the gateway half of `weft-demo`). */
export interface ServeOptions {
  readonly host: string
  readonly tcpPort: number
  readonly httpPort: number
  readonly arenaSlots: number
  readonly arenaBytes: number
  readonly mailbox: number
  readonly plugins: ReadonlyArray<Plugins.PluginName>
  readonly chaosEvery: number
  /** Milliseconds the `slow` plugin spends per frame. */
  readonly slowDelayMs: number
  /** The sink file; a new temp dir when absent. */
  readonly sink: Option.Option<string>
  readonly maxFrame: number
  readonly maxConnections: number
  readonly maxSseClients: number
  readonly drainTimeout: Duration.Duration
  readonly idleTimeout: Duration.Duration
  readonly frameDeadline: Duration.Duration
  readonly maxRequestBody: number
  /** Stop after this long; run until Ctrl-C / SIGTERM when absent. */
  readonly duration: Option.Option<Duration.Duration>
}

/**
 * Payload sizes of generated frames: one size, a list used in turn, or a range (`min-max`)
 * spread evenly.
 */
export type PayloadSizes =
  | { readonly _tag: "List"; readonly sizes: readonly [number, ...Array<number>] }
  | { readonly _tag: "Range"; readonly min: number; readonly max: number }

/** What the built-in load generator of `weft-demo` is told. */
export interface LoadShape {
  /** TCP connections (0: no load at all). */
  readonly connections: number
  /** Frames per second over all connections (0: as fast as TCP allows). */
  readonly rate: number
  readonly payload: PayloadSizes
}

/** Options of `weft-demo` with no subcommand: the gateway and its built-in load. */
export interface DemoOptions extends ServeOptions, LoadShape {}

/** Options of `weft-demo load`. */
export interface LoadOptions extends LoadShape {
  readonly host: string
  readonly port: number
  /** Stop after this many frames in total (see {@link connectionFrames}). */
  readonly frames: Option.Option<number>
  /** Frames per socket write. */
  readonly batch: number
  /** Distinct topics (`sensor/0` … `sensor/<n-1>`), skewed towards the first. */
  readonly topics: number
  readonly duration: Option.Option<Duration.Duration>
}

/** Options of `weft-demo watch <topic>`. */
export interface WatchOptions {
  readonly topic: string
  /** The gateway's HTTP base URL. */
  readonly url: string
  /** Stop after this many frames; stream until Ctrl-C when absent. */
  readonly limit: Option.Option<number>
}

// ---------------------------------------------------------------------------------------------
// option parsers

const invalid = (text: string) => ValidationError.invalidValue(HelpDoc.p(text))

const integerIn = (name: string, min: number, max: number, fallback: number, description: string) =>
  Options.integer(name).pipe(
    Options.withDefault(fallback),
    Options.mapEffect((n) =>
      n >= min && n <= max
        ? Effect.succeed(n)
        : Effect.fail(invalid(`--${name} must be an integer from ${min} to ${max}, got ${n}`))
    ),
    Options.withDescription(`${description} (default ${fallback})`)
  )

const positiveSeconds = (name: string) =>
  Options.float(name).pipe(
    Options.withPseudoName("seconds"),
    Options.mapEffect((seconds) =>
      Number.isFinite(seconds) && seconds > 0
        ? Effect.succeed(Duration.millis(Math.round(seconds * 1000)))
        : Effect.fail(invalid(`--${name} must be a positive number of seconds, got ${seconds}`))
    )
  )

const duration = positiveSeconds("duration").pipe(
  Options.optional,
  Options.withDescription("stop after this many seconds (default: run until Ctrl-C)")
)

const portRange = 65535
const maxPayload = 16 * 1024 * 1024

/** Parses `64`, `64,256,4096` or `64-4096` (bytes). */
export const parsePayloadSizes = (text: string): Option.Option<PayloadSizes> => {
  const size = (part: string) => {
    const n = /^\d+$/.test(part) ? Number(part) : NaN
    return Number.isSafeInteger(n) && n <= maxPayload ? Option.some(n) : Option.none()
  }
  const range = /^(\d+)-(\d+)$/.exec(text)
  if (range !== null) {
    return Option.flatMap(
      Option.all([size(range[1]!), size(range[2]!)]),
      ([min, max]) => min <= max ? Option.some({ _tag: "Range", min, max } as const) : Option.none()
    )
  }
  return Option.flatMap(
    Option.all(text.split(",").map(size)),
    (sizes) =>
      sizes.length === 0 ? Option.none() : Option.some({ _tag: "List", sizes: [sizes[0]!, ...sizes.slice(1)] } as const)
  )
}

const payload = (fallback: string) =>
  Options.text("payload").pipe(
    Options.withPseudoName("bytes"),
    Options.withDefault(fallback),
    Options.mapEffect((text) =>
      Option.match(parsePayloadSizes(text), {
        onNone: () =>
          Effect.fail(
            invalid(
              `--payload must be bytes (0 to ${maxPayload}): one size, a list a,b,c or a range min-max, got ${text}`
            )
          ),
        onSome: Effect.succeed
      })
    ),
    Options.withDescription(
      `payload bytes per connection: one size, a list used in turn (64,4096) or a range spread over the `
        + `connections (16-1024) (default ${fallback})`
    )
  )

const plugins: Options.Options<ReadonlyArray<Plugins.PluginName>> = Options.text("plugins").pipe(
  Options.withPseudoName("a,b,…"),
  Options.withDefault(Plugins.defaultPlugins.join(",")),
  Options.mapEffect((text) => {
    const names = text.split(",").filter((name) => name !== "")
    const unknown = names.filter((name) => !Plugins.isPluginName(name))
    const twice = names.filter((name, i) => names.indexOf(name) !== i)
    return unknown.length > 0
      ? Effect.fail(
        invalid(`--plugins: unknown plugin(s) ${unknown.join(", ")}; known: ${Plugins.pluginNames.join(", ")}`)
      )
      : twice.length > 0
      ? Effect.fail(invalid(`--plugins: ${twice.join(", ")} listed more than once`))
      : Effect.succeed(names.filter(Plugins.isPluginName))
  }),
  Options.withDescription(
    `plugins to run, comma-separated (known: ${Plugins.pluginNames.join(", ")}; `
      + `default ${Plugins.defaultPlugins.join(",")})`
  )
)

const host = (description: string) =>
  Options.text("host").pipe(
    Options.withPseudoName("address"),
    Options.withDefault("127.0.0.1"),
    Options.withDescription(`${description} (default 127.0.0.1)`)
  )

const gatewayDefaults = Gateway.defaults("")

const serveOptions = {
  host: host("address to listen on (TCP and HTTP)"),
  tcpPort: integerIn("tcp-port", 0, portRange, gatewayDefaults.tcpPort, "TCP ingest port (0: any free port)"),
  httpPort: integerIn("http-port", 0, portRange, gatewayDefaults.httpPort, "HTTP API port (0: any free port)"),
  arenaSlots: integerIn(
    "arena-slots",
    1,
    2 ** 24,
    gatewayDefaults.arenaCapacity,
    "message arena slots: frames in flight at once"
  ),
  arenaBytes: integerIn(
    "arena-bytes",
    1,
    Number.MAX_SAFE_INTEGER,
    gatewayDefaults.arenaMaxBytes,
    "bytes the message arena may hold at once (at least --max-frame)"
  ),
  mailbox: integerIn("mailbox", 1, 2 ** 24, gatewayDefaults.mailboxCapacity, "capacity of each plugin's mailbox"),
  plugins,
  chaosEvery: integerIn(
    "chaos-every",
    0,
    Number.MAX_SAFE_INTEGER,
    gatewayDefaults.chaosEvery,
    "the chaos plugin crashes on the batch holding every k-th frame (0: never)"
  ),
  slowDelayMs: integerIn(
    "slow-delay",
    0,
    60_000,
    Duration.toMillis(gatewayDefaults.slowDelay),
    "milliseconds the slow plugin spends per frame"
  ),
  sink: Options.text("sink").pipe(
    Options.withPseudoName("path"),
    Options.optional,
    Options.withDescription("the sink's log file (default: sink.log in a new temp dir)")
  ),
  maxFrame: integerIn("max-frame", 2, 2 ** 32 - 1, gatewayDefaults.maxFrameLength, "longest frame accepted, in bytes"),
  maxConnections: integerIn(
    "max-connections",
    1,
    1_000_000,
    gatewayDefaults.maxConnections,
    "most TCP connections at once; more are refused"
  ),
  maxSseClients: integerIn(
    "max-sse-clients",
    0,
    1_000_000,
    gatewayDefaults.maxSseClients,
    "most /events subscribers at once; more get a 503"
  ),
  drainTimeout: positiveSeconds("drain-timeout").pipe(
    Options.withDefault(Duration.decode(gatewayDefaults.drainTimeout)),
    Options.withDescription(
      `seconds each plugin may take to drain on shutdown before it is killed (default ${
        Duration.toSeconds(gatewayDefaults.drainTimeout)
      })`
    )
  ),
  idleTimeout: positiveSeconds("idle-timeout").pipe(
    Options.withDefault(Duration.decode(gatewayDefaults.idleTimeout)),
    Options.withDescription(
      `seconds a TCP connection may send nothing before it is closed (default ${
        Duration.toSeconds(gatewayDefaults.idleTimeout)
      })`
    )
  ),
  frameDeadline: positiveSeconds("frame-deadline").pipe(
    Options.withDefault(Duration.decode(gatewayDefaults.frameDeadline)),
    Options.withDescription(
      `seconds a frame may take to arrive whole after its first byte, else its connection is closed (default ${
        Duration.toSeconds(gatewayDefaults.frameDeadline)
      })`
    )
  ),
  maxRequestBody: integerIn(
    "max-request-body",
    1,
    Number.MAX_SAFE_INTEGER,
    gatewayDefaults.maxRequestBodyBytes,
    "largest /rpc request body, in bytes; a larger one gets a 413"
  ),
  duration
} as const

const connections = (min: number, fallback: number, description: string) =>
  integerIn("connections", min, 10_000, fallback, description)

const rate = (fallback: number) =>
  integerIn(
    "rate",
    0,
    Number.MAX_SAFE_INTEGER,
    fallback,
    "frames per second over all connections (0: as fast as TCP allows)"
  )

const demoCommand = Command.make("weft-demo", {
  ...serveOptions,
  connections: connections(0, 4, "built-in load generator connections (0: no load)"),
  rate: rate(20_000),
  payload: payload("64")
})

const serveCommand = Command.make("serve", serveOptions)

const loadCommand = Command.make("load", {
  host: host("the gateway's TCP address"),
  port: integerIn("port", 1, portRange, gatewayDefaults.tcpPort, "the gateway's TCP ingest port"),
  connections: connections(1, 4, "TCP connections"),
  rate: rate(0),
  frames: Options.integer("frames").pipe(
    Options.mapEffect((n) =>
      n >= 1 ? Effect.succeed(n) : Effect.fail(invalid(`--frames must be a positive integer, got ${n}`))
    ),
    Options.optional,
    Options.withDescription(
      "stop after this many frames in total, shared out over the connections (the first ones send one more "
        + "when it does not divide evenly) (default: no limit)"
    )
  ),
  payload: payload("64"),
  batch: integerIn("batch", 1, 65536, 64, "frames per socket write"),
  topics: integerIn("topics", 1, 1024, 12, "distinct topics sensor/0 … sensor/<n-1>, skewed towards the first"),
  duration
})

const watchCommand = Command.make("watch", {
  topic: Args.text({ name: "topic" }).pipe(Args.withDescription("the topic whose frames to print")),
  url: Options.text("url").pipe(
    Options.withPseudoName("url"),
    Options.withDefault(`http://127.0.0.1:${gatewayDefaults.httpPort}`),
    Options.withDescription(`the gateway's HTTP base URL (default http://127.0.0.1:${gatewayDefaults.httpPort})`)
  ),
  limit: Options.integer("limit").pipe(
    Options.mapEffect((n) =>
      n >= 1 ? Effect.succeed(n) : Effect.fail(invalid(`--limit must be a positive integer, got ${n}`))
    ),
    Options.optional,
    Options.withDescription("stop after this many frames (default: until Ctrl-C)")
  )
})

/** What each command does with its parsed options. */
export interface Handlers<E, R> {
  readonly demo: (options: DemoOptions) => Effect.Effect<void, E, R>
  readonly serve: (options: ServeOptions) => Effect.Effect<void, E, R>
  readonly load: (options: LoadOptions) => Effect.Effect<void, E, R>
  readonly watch: (options: WatchOptions) => Effect.Effect<void, E, R>
}

/** The command tree over the given handlers. */
export const make = <E, R>(handlers: Handlers<E, R>) =>
  demoCommand.pipe(
    Command.withHandler(handlers.demo),
    Command.withDescription("the weft gateway with a built-in load generator (pnpm demo)"),
    Command.withSubcommands([
      serveCommand.pipe(
        Command.withHandler(handlers.serve),
        Command.withDescription("run the gateway: TCP ingest, plugins, HTTP API and dashboard")
      ),
      loadCommand.pipe(
        Command.withHandler(handlers.load),
        Command.withDescription("a load generator over real TCP against a running gateway")
      ),
      watchCommand.pipe(
        Command.withHandler(handlers.watch),
        Command.withDescription("stream one topic's frames from a running gateway (typed RPC client)")
      ),
      VerifySink.command
    ])
  )

/** The app's version (from apps/demo/package.json). */
export const version: string = (createRequire(import.meta.url)("../package.json") as { readonly version: string })
  .version

/**
 * Parses `argv` (as `process.argv`: runtime and script first) and runs the chosen command.
 * Bad arguments are printed and fail with a `ValidationError` (nothing runs); `--help` and
 * `--version` print and succeed.
 */
export const runWith = <E, R>(handlers: Handlers<E, R>) =>
  Help.run(make(handlers), {
    name: "weft-demo",
    version,
    summary: "the weft gateway: TCP ingest → arena → plugin actors → HTTP, SSE and RPC"
  })

// ---------------------------------------------------------------------------------------------
// running

const sinkPathOf = (options: ServeOptions) =>
  Option.match(options.sink, {
    onSome: Effect.succeed,
    onNone: () =>
      Effect.map(
        Effect.promise(() => FileSystem.mkdtemp(Path.join(Os.tmpdir(), "weft-demo-"))),
        (dir) => Path.join(dir, "sink.log")
      )
  })

const gatewayConfig = (options: ServeOptions, sinkPath: string): Gateway.Config => ({
  ...Gateway.defaults(sinkPath),
  host: options.host,
  tcpPort: options.tcpPort,
  httpPort: options.httpPort,
  arenaCapacity: options.arenaSlots,
  arenaMaxBytes: options.arenaBytes,
  mailboxCapacity: options.mailbox,
  plugins: options.plugins,
  chaosEvery: options.chaosEvery,
  slowDelay: Duration.millis(options.slowDelayMs),
  maxFrameLength: options.maxFrame,
  maxConnections: options.maxConnections,
  maxSseClients: options.maxSseClients,
  drainTimeout: options.drainTimeout,
  idleTimeout: options.idleTimeout,
  frameDeadline: options.frameDeadline,
  maxRequestBodyBytes: options.maxRequestBody
})

/**
 * The payload size of each of `connections` connections: a list is used in turn, a range is
 * spread evenly from `min` (first connection) to `max` (last one).
 */
export const connectionPayloadSizes = (sizes: PayloadSizes, connections: number): Array<number> =>
  Array.from({ length: connections }, (_, i) =>
    sizes._tag === "List"
      ? sizes.sizes[i % sizes.sizes.length]!
      : connections === 1
      ? sizes.min
      : sizes.min + Math.round(((sizes.max - sizes.min) * i) / (connections - 1)))

/**
 * How many of `frames` each of `connections` connections sends: an equal share, the first
 * `frames % connections` connections one more.
 */
export const connectionFrames = (frames: number, connections: number): Array<number> =>
  Array.from({ length: connections }, (_, i) => Math.floor(frames / connections) + (i < frames % connections ? 1 : 0))

/**
 * The load as `Load.run` calls: one per payload size and frame count (a `Load.Options` has one
 * of each), all reporting into one `Progress`. Each run numbers its connections after the
 * previous runs' (`firstConnection`), and that number is in every payload, so the checksum plugin
 * sees no duplicates.
 */
const loadRuns = (
  shape: LoadShape,
  target: { readonly host: string; readonly port: number },
  extra: { readonly batch: number; readonly topics: number; readonly frames?: number | undefined }
): Array<Load.Options> => {
  const sizes = connectionPayloadSizes(shape.payload, shape.connections)
  const frames = extra.frames === undefined ? undefined : connectionFrames(extra.frames, shape.connections)
  const runs = new Map<string, { payloadSize: number; frames: number | undefined; connections: number }>()
  sizes.forEach((payloadSize, i) => {
    const key = `${payloadSize}/${frames?.[i]}`
    const run = runs.get(key)
    if (run === undefined) runs.set(key, { payloadSize, frames: frames?.[i], connections: 1 })
    else run.connections++
  })
  let firstConnection = 0
  return Array.from(runs.values(), (run) => {
    const options: Load.Options = {
      host: target.host,
      port: target.port,
      connections: run.connections,
      firstConnection,
      payloadSize: run.payloadSize,
      batch: extra.batch,
      topics: extra.topics,
      ratePerConnection: shape.rate === 0 ? undefined : shape.rate / shape.connections,
      framesPerConnection: run.frames
    }
    firstConnection += run.connections
    return options
  })
}

/** Runs the load in the background of the current scope; interrupting the fiber cuts it off. */
const startLoad = (runs: ReadonlyArray<Load.Options>) =>
  Effect.gen(function*() {
    const progress = Load.makeProgress()
    const fiber = yield* Effect.forkScoped(
      Effect.forEach(runs, (options) => Load.run(options, progress), { concurrency: "unbounded", discard: true })
    )
    return { progress, fiber } as const
  })

const sum = (values: Iterable<number>) => {
  let total = 0
  for (const value of values) total += value
  return total
}

/** p50/p99 (and max) of a latency summary, or nothing when no frame was measured. */
const formatLatency = (latency: Acks.LatencySummary | undefined) =>
  latency === undefined || latency.count === 0
    ? "no frames measured"
    : `p50 ${milliseconds(latency.p50Ms)} · p99 ${milliseconds(latency.p99Ms)} · max ${
      milliseconds(latency.maxMs)
    } (${latency.count} frames)`

/** Three significant digits at most: the histogram behind it is within ±4.5% anyway. */
const milliseconds = (ms: number) => `${Number(ms.toPrecision(3))} ms`

/**
 * The last lines `serve` and `weft-demo` print, read after the graceful shutdown (so `acked` is
 * final). `latency` is ingest → durable in the sink, from the gateway's last snapshot.
 */
export const formatSummary = (
  gateway: Context.Tag.Service<Gateway.Gateway>,
  facts: { readonly load?: Load.Progress | undefined; readonly latency?: Acks.LatencySummary | undefined }
): string => {
  const { counters, sink } = gateway
  const reasons = Array.from(counters.deadLetters, ([reason, n]) => `${reason} ${n}`).join(", ")
  return [
    "",
    "summary",
    ...(facts.load === undefined ? [] : [`  frames sent       ${facts.load.sent}  (built-in load)`]),
    `  frames in         ${counters.framesIn}${
      counters.framesPartial === 0 ? "" : ` (+${counters.framesPartial} partial)`
    }`,
    `  acked (fsynced)   ${sink.acked}  → ${gateway.config.sinkPath}`,
    `  dead letters      ${sum(counters.deadLetters.values())}${reasons === "" ? "" : ` (${reasons})`}`,
    `  restarts          ${sum(counters.restarts.values())}`,
    `  connection errors ${counters.connectionsFailed}`,
    `  latency           ${formatLatency(facts.latency)}  (ingest → fsynced)`,
    ...(facts.load === undefined ? [] : [
      `  client latency    ${formatLatency(Load.latency(facts.load))}  (send → ack, ${facts.load.acked} acked)`
    ])
  ].join("\n")
}

/**
 * A live progress line: on a terminal, one line rewritten in place (`\r`, then clear to the end of
 * the line) four times a second; otherwise (logs, pipes, tests) one plain line per second. Runs
 * until interrupted, then ends the rewritten line with a newline.
 */
const progressLine = <E, R>(render: Effect.Effect<string, E, R>) =>
  Effect.gen(function*() {
    const terminal = yield* Terminal.Terminal
    if (yield* terminal.isTTY) {
      return yield* render.pipe(
        Effect.flatMap((line) => Effect.ignore(terminal.display(`\r${line}\u001b[K`))),
        Effect.repeat(Schedule.spaced("250 millis")),
        Effect.ensuring(Effect.ignore(terminal.display("\n")))
      )
    }
    return yield* render.pipe(
      Effect.flatMap((line) => Console.log(line)),
      Effect.repeat(Schedule.spaced("1 second"))
    )
  })

/** Frames per second between two readings of a counter. */
const rateMeter = (read: () => number) =>
  Effect.map(Clock.currentTimeMillis, (startedAt) => {
    let last = { at: startedAt, count: read() }
    return Effect.map(Clock.currentTimeMillis, (now) => {
      const count = read()
      const perSecond = now > last.at ? Math.round(((count - last.count) * 1000) / (now - last.at)) : 0
      last = { at: now, count }
      return perSecond
    })
  })

const waitFor = (duration: Option.Option<Duration.Duration>) =>
  Option.match(duration, { onNone: () => Effect.never, onSome: Effect.sleep })

/** The gateway with its HTTP API, and optionally the built-in load, until Ctrl-C or `duration`. */
const runGateway = (options: ServeOptions, load: LoadShape | undefined) =>
  Effect.gen(function*() {
    const sinkPath = yield* sinkPathOf(options)
    // Filled while running, read after the graceful shutdown for the summary.
    const observed: { gateway?: Context.Tag.Service<Gateway.Gateway>; load?: Load.Progress } = {}
    const running = Effect.gen(function*() {
      const context = yield* Layer.build(Http.layer(gatewayConfig(options, sinkPath)))
      const gateway = Context.get(context, Gateway.Gateway)
      observed.gateway = gateway
      const url = yield* Effect.provide(Http.baseUrl, context)
      yield* Console.log(
        [
          "weft gateway",
          `  dashboard  ${url}/`,
          `  TCP ingest ${gateway.tcpAddress.host}:${gateway.tcpAddress.port}`,
          `  sink       ${sinkPath}`,
          "",
          Option.match(options.duration, {
            onNone: () => "running until Ctrl-C",
            onSome: (d) => `running for ${Duration.format(d)}`
          })
        ].join("\n")
      )
      const generator = load === undefined || load.connections === 0
        ? undefined
        : yield* startLoad(loadRuns(load, gateway.tcpAddress, { batch: 64, topics: 12 }))
      if (generator !== undefined) observed.load = generator.progress
      const framesPerSecond = yield* rateMeter(() => gateway.counters.framesIn)
      const line = yield* Effect.forkScoped(progressLine(
        Effect.zipWith(gateway.snapshot(), framesPerSecond, (s, perSecond) =>
          `  ${perSecond} frames/s · ${s.framesIn} in · ${s.acked} acked · arena ${s.arena.live}/${s.arena.capacity}`
          + ` · ${s.deadLetters} dead letters · ${sum(Object.values(s.restarts))} restarts`)
      ))
      // After --duration, or on Ctrl-C / SIGTERM (interruption): the same graceful shutdown.
      yield* waitFor(options.duration).pipe(Effect.ensuring(Effect.gen(function*() {
        yield* Fiber.interrupt(line)
        const steps = [
          ...(generator === undefined ? [] : ["stop load"]),
          "stop accepting",
          "drain plugins",
          ...(gateway.plugins().includes("sink") ? ["fsync sink"] : [])
        ]
        yield* Console.log(`\nshutting down: ${steps.join(", ")}…`)
        // The load generator is cut off (frames it sent but was not acked for are reported), so
        // shutdown does not wait for the gateway to read what the kernel still buffers.
        if (generator !== undefined) {
          yield* Fiber.interrupt(generator.fiber)
        }
      })))
    }).pipe(Effect.scoped)
    yield* running.pipe(
      Effect.onExit(() => {
        const gateway = observed.gateway
        if (gateway === undefined) {
          return Effect.void
        }
        // The gateway's counters outlive it; its snapshot still reads the final latency.
        return Effect.flatMap(Effect.exit(gateway.snapshot()), (last) =>
          Console.log(formatSummary(gateway, {
            load: observed.load,
            latency: Exit.isSuccess(last) ? last.value.latency : undefined
          })))
      })
    )
  })

/**
 * `weft-demo serve`: the gateway and its HTTP API until `--duration` or interruption (Ctrl-C /
 * SIGTERM), either way a graceful shutdown (stop accepting, drain plugins, fsync the sink), then
 * the summary. Fails only if the gateway cannot start (`InvalidConfig`, `ListenFailed`, …).
 */
export const serve = (options: ServeOptions) => runGateway(options, undefined)

/**
 * `weft-demo` with no subcommand (`pnpm demo`): `serve` plus the built-in load generator against
 * it. On `--duration` or interruption the load is cut off first, then the gateway shuts down
 * gracefully and the summary is printed.
 */
export const demo = (options: DemoOptions) => runGateway(options, options)

/**
 * `weft-demo load`: the load generator against a running gateway, with a live progress line, until
 * `--frames` are all acked, `--duration` passed, or interruption (which cuts the connections off:
 * frames not yet acked are reported as unacked), or the gateway closing a connection first (then
 * it fails with `ServerClosed`). The summary is printed in each of these cases.
 */
export const load = (options: LoadOptions) =>
  Effect.gen(function*() {
    const runs = loadRuns(options, options, {
      batch: options.batch,
      topics: options.topics,
      frames: Option.getOrUndefined(options.frames)
    })
    yield* Console.log(
      `load → ${options.host}:${options.port}: ${options.connections} connection(s), payload `
        + `${Array.from(new Set(connectionPayloadSizes(options.payload, options.connections))).join(",")} B, `
        + (options.rate === 0 ? "as fast as TCP allows" : `${options.rate} frames/s`)
        + Option.match(options.frames, { onNone: () => "", onSome: (n) => `, ${n} frames` })
    )
    const generator = yield* startLoad(runs)
    const { progress } = generator
    const framesPerSecond = yield* rateMeter(() => progress.sent)
    const line = yield* Effect.forkScoped(progressLine(
      Effect.map(framesPerSecond, (perSecond) =>
        `  ${perSecond} frames/s · ${progress.sent} sent · ${progress.acked} acked · `
        + `${progress.sent - progress.acked} in flight`)
    ))
    // With --frames, the load ends once every frame is acked (the gateway closes each connection
    // after its last ack). Ctrl-C or --duration cut it off, and the gateway going away ends it
    // with ServerClosed; the summary is printed in all three cases (ServerClosed then fails the
    // command: exit 1 with its message).
    yield* Option.match(options.duration, {
      onNone: () =>
        Fiber.join(generator.fiber),
      onSome: (d) =>
        Effect.raceFirst(Fiber.join(generator.fiber), Effect.sleep(d))
    }).pipe(Effect.onExit((exit) =>
      Effect.zipRight(
        Fiber.interrupt(line),
        Exit.match(exit, {
          onSuccess: () => Console.log(formatLoadSummary(progress, undefined)),
          onFailure: (cause) => {
            const closed = Cause.failureOption(cause).pipe(Option.filter(isServerClosed))
            return Option.isSome(closed) || Cause.isInterruptedOnly(cause)
              ? Console.log(formatLoadSummary(progress, Option.getOrUndefined(closed)))
              // Any other failure (e.g. ConnectFailed) is reported by itself, without a summary of nothing.
              : Effect.void
          }
        })
      )
    ))
  }).pipe(Effect.scoped)

const isServerClosed = (error: unknown): error is Load.ServerClosed => error instanceof Load.ServerClosed

/**
 * The last lines `load` prints: frames sent, acked and unacked, and the send → ack latency; when
 * the gateway went away (`closed`), that it closed the connection.
 */
export const formatLoadSummary = (progress: Load.Progress, closed: Load.ServerClosed | undefined): string => {
  const unacked = progress.sent - progress.acked
  return [
    "",
    "summary",
    ...(closed === undefined ? [] : [`  ${closed.message}: the load stopped there`]),
    `  frames sent       ${progress.sent}`,
    `  acked             ${progress.acked}`,
    `  unacked           ${unacked}${unacked === 0 ? "" : " (no ack received before the load stopped)"}`,
    `  latency           ${formatLatency(Load.latency(progress))}  (send → ack)`
  ].join("\n")
}

/** One watched frame as `watch` prints it: sequence, topic, size, the first bytes in hex. */
export const formatWatched = (frame: typeof Rpc.WatchedFrame.Type): string => {
  const preview = Array.from(frame.payload.subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("")
  return [
    `#${frame.seq}`,
    frame.topic,
    `${frame.payload.length} B`,
    `${preview}${frame.payload.length > 16 ? "…" : ""}`,
    ...(frame.skipped === 0 ? [] : [`(${frame.skipped} lost before this one: this watcher fell behind)`])
  ].join("  ")
}

/**
 * `weft-demo watch <topic>`: the typed RPC client's `WatchTopic` stream, one line per frame, until
 * `--limit` frames or interruption (which ends the call: the gateway unsubscribes the watcher).
 * A frame that comes after frames this watcher lost says how many.
 */
export const watch = (options: WatchOptions) =>
  Effect.gen(function*() {
    const client = yield* Rpc.makeClient(options.url)
    yield* Console.log(`watching ${JSON.stringify(options.topic)} at ${options.url} (frames ingested from now on)`)
    const seen = { frames: 0, lost: 0 }
    const frames = client.WatchTopic({ topic: options.topic })
    yield* Option.match(options.limit, { onNone: () => frames, onSome: (n) => Stream.take(frames, n) }).pipe(
      Stream.runForEach((frame) => {
        seen.frames++
        seen.lost += frame.skipped
        return Console.log(formatWatched(frame))
      }),
      Effect.onExit((exit) =>
        Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)
          ? Effect.void
          : Console.log(`watched ${seen.frames} frame(s), lost ${seen.lost}`)
      ),
      Effect.catchTag("RpcClientError", (error) => new WatchFailed({ url: options.url, cause: error }))
    )
  }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer))

/** `watch` could not reach the gateway's RPC endpoint, or the call broke off. */
export class WatchFailed extends Data.TaggedError("WatchFailed")<{ readonly url: string; readonly cause: unknown }> {
  override get message() {
    // The underlying reason (e.g. ECONNREFUSED) is a few `cause`s down.
    const reasons: Array<string> = []
    for (let cause = this.cause; cause instanceof Error && reasons.length < 4; cause = cause.cause) {
      if (!reasons.includes(cause.message)) reasons.push(cause.message)
    }
    return `cannot watch at ${this.url}/rpc: ${reasons.join(": ")}`
  }
}

type Handler = typeof demo | typeof serve | typeof load | typeof watch

/** Every error a command can end with (bad arguments aside). */
export type CommandError = Effect.Effect.Error<ReturnType<Handler>>

/** The real handlers. */
export const handlers: Handlers<CommandError, Effect.Effect.Context<ReturnType<Handler>>> = { demo, serve, load, watch }

/** `weft-demo` as run from the command line. */
export const run = runWith(handlers)
