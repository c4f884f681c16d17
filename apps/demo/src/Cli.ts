/**
 * The `weft-demo` command line: the command tree (`Commands.ts`) over the real handlers.
 *
 * - `weft-demo` (what `pnpm demo` runs): the gateway plus a built-in load generator, until Ctrl-C
 *   or `--duration`, then a summary;
 * - `weft-demo serve`: the gateway alone;
 * - `weft-demo load`: a load generator over real TCP against a running gateway;
 * - `weft-demo watch <topic>`: the frames of one topic, from the gateway's typed RPC client;
 * - `weft-demo verify-sink <file>`: checks a sink file (`VerifySink.ts`).
 *
 * What they print is in `CliOutput.ts`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as FileSystem from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import {
  formatLoadSummary,
  formatProgress,
  formatSummary,
  formatWatched,
  progressLine,
  rateMeter
} from "./CliOutput.js"
import * as ClusterMode from "./cluster/Runners.js"
import {
  type DemoOptions,
  type Handlers,
  type LoadOptions,
  type LoadShape,
  type PayloadSizes,
  runWith,
  type ServeOptions,
  type WatchOptions
} from "./Commands.js"
import * as Gateway from "./Gateway.js"
import * as Http from "./Http.js"
import * as Load from "./Load.js"
import * as Rpc from "./Rpc.js"

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
  workers: options.workers,
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

const waitFor = (duration: Option.Option<Duration.Duration>) =>
  Option.match(duration, { onNone: () => Effect.never, onSome: Effect.sleep })

/** The gateway with its HTTP API, and optionally the built-in load, until Ctrl-C or `duration`. */
const runGateway = (options: ServeOptions, load: LoadShape | undefined) =>
  Effect.gen(function*() {
    const sinkPath = yield* sinkPathOf(options)
    // Filled while running, read after the graceful shutdown for the summary.
    const observed: { gateway?: Context.Tag.Service<Gateway.Gateway>; load?: Load.Progress } = {}
    const running = Effect.gen(function*() {
      const service = Http.layer(gatewayConfig(options, sinkPath))
      // With --runners, the cluster is built first and closed last (after the gateway drained).
      const context = yield* Layer.build(
        options.runners === 0
          ? service
          : service.pipe(Layer.provideMerge(ClusterMode.layer({ runners: options.runners })))
      )
      const gateway = Context.get(context, Gateway.Gateway)
      const cluster = yield* Option.match(Context.getOption(context, ClusterMode.ClusterMode), {
        onNone: () => Effect.succeed([]),
        onSome: (cluster) =>
          Effect.map(cluster.view, (view) => [
            `  cluster    ${view.runners.length} runners (pids ${
              view.runners.map((runner) => runner.pid).join(", ")
            }), `
            + `PostgreSQL: ${view.database}; kill one with kill -9 <pid> or from the dashboard`
          ])
      })
      observed.gateway = gateway
      const url = yield* Effect.provide(Http.baseUrl, context)
      yield* Console.log(
        [
          "weft gateway",
          `  dashboard  ${url}/`,
          `  TCP ingest ${gateway.tcpAddress.host}:${gateway.tcpAddress.port}`,
          `  sink       ${sinkPath}`,
          ...cluster,
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
        Effect.zipWith(gateway.snapshot(), framesPerSecond, formatProgress)
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
