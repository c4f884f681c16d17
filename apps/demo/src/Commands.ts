/**
 * The `weft-demo` command tree, on @effect/cli: what each command parses its arguments to, and
 * the parsers' checks. Parsing is separate from running: `make(handlers)` builds the tree over any
 * handlers (the tests parse with handlers that only record what they got); `Cli.run` is it over
 * the real ones.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { createRequire } from "node:module"
import * as Gateway from "./Gateway.js"
import * as Help from "./Help.js"
import * as Plugins from "./Plugins.js"
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
  /** Worker threads for the `compress` plugin (0: it deflates on the main thread). */
  readonly workers: number
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
  /** Runner processes for the per-topic state (`cluster/Runners.ts`); 0: no cluster. */
  readonly runners: number
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
  workers: integerIn(
    "workers",
    0,
    256,
    gatewayDefaults.workers,
    "worker threads for the compress plugin's deflating, one compressor actor each (0: on the main thread; "
      + "the default is cores - 1)"
  ),
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
  runners: integerIn(
    "runners",
    0,
    16,
    0,
    "runner processes holding the per-topic state as cluster entities, with PostgreSQL storage "
      + "(WEFT_PG_URL, else a private server via scripts/pg.mjs) (0: no cluster)"
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
