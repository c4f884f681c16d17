/**
 * The gateway service: TCP ingest → LengthDelimited decode → MessageArena → Dispatcher →
 * plugin actors. `Gateway.layer(config)` owns everything; closing it shuts down gracefully.
 */
import { Actor, ActorSystem, Dispatcher } from "@weft/actor"
import { MessageArena } from "@weft/arena"
import { type Bytes, LengthDelimited } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import type { Duration } from "effect"
import { Chunk, Clock, Context, Data, Effect, Layer, Metric, Queue, Schedule, Scope, Stream } from "effect"
import * as FiberSet from "effect/FiberSet"
import * as FileSystem from "node:fs/promises"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Frame from "./Frame.js"
import * as Plugins from "./Plugins.js"

// ---------------------------------------------------------------------------------------------
// configuration

/** Everything the gateway can be told. */
export interface Config {
  /** Address to listen on (TCP and HTTP). Default 127.0.0.1. */
  readonly host: string
  /** TCP ingest port; 0 picks a free one. */
  readonly tcpPort: number
  /** HTTP API port; 0 picks a free one. */
  readonly httpPort: number
  /** The longest frame a client may send; a longer header closes the connection. */
  readonly maxFrameLength: number
  /** Slots of the message arena: frames in flight at once. */
  readonly arenaCapacity: number
  /** Bytes the arena may hold at once. */
  readonly arenaMaxBytes: number
  /** Capacity of each plugin's mailbox. */
  readonly mailboxCapacity: number
  /** Which plugins run. */
  readonly plugins: ReadonlyArray<Plugins.PluginName>
  /** The sink's log file (created, appended to). */
  readonly sinkPath: string
  /** The sink writes and fsyncs at least every this many frames. */
  readonly sinkBatch: number
  /** The chaos plugin crashes on every this-many-th message (0: never). */
  readonly chaosEvery: number
  /** Time the `slow` plugin spends per frame. */
  readonly slowDelay: Duration.DurationInput
  /** Most TCP connections at once; more are refused and logged. */
  readonly maxConnections: number
  /** Most `/events` subscribers at once; more get a 503. */
  readonly maxSseClients: number
  /** How long a graceful stop of each plugin may take before it is killed. */
  readonly drainTimeout: Duration.DurationInput
}

export const defaults = (sinkPath: string): Config => ({
  host: "127.0.0.1",
  tcpPort: 7878,
  httpPort: 8787,
  maxFrameLength: Frame.defaultMaxFrameLength,
  arenaCapacity: 8192,
  arenaMaxBytes: 64 * 1024 * 1024,
  mailboxCapacity: 1024,
  plugins: Plugins.defaultPlugins,
  sinkPath,
  sinkBatch: 512,
  chaosEvery: 1000,
  slowDelay: "10 millis",
  maxConnections: 64,
  maxSseClients: 16,
  drainTimeout: "10 seconds"
})

/** A configuration value out of range. */
export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{
  readonly option: string
  readonly value: unknown
  readonly expected: string
}> {
  override get message() {
    return `invalid ${this.option}: ${String(this.value)} (expected ${this.expected})`
  }
}

/** The TCP listener could not start (port in use, bad address, …). */
export class ListenFailed extends Data.TaggedError("ListenFailed")<{
  readonly host: string
  readonly port: number
  readonly cause: unknown
}> {
  override get message() {
    return `cannot listen on ${this.host}:${this.port}: ${String(this.cause)}`
  }
}

/** The sink file could not be opened. */
export class SinkOpenFailed extends Data.TaggedError("SinkOpenFailed")<{
  readonly path: string
  readonly cause: unknown
}> {
  override get message() {
    return `cannot open sink file ${this.path}: ${String(this.cause)}`
  }
}

/** `addPlugin` for a plugin that is already running. */
export class PluginAlreadyRunning extends Data.TaggedError("PluginAlreadyRunning")<{ readonly plugin: string }> {
  override get message() {
    return `plugin ${this.plugin} is already running`
  }
}

/** `removePlugin` for a plugin that is not running. */
export class PluginNotRunning extends Data.TaggedError("PluginNotRunning")<{ readonly plugin: string }> {
  override get message() {
    return `plugin ${this.plugin} is not running`
  }
}

/** A connection refused because `maxConnections` were open. */
export class ConnectionLimit extends Data.TaggedError("ConnectionLimit")<{
  readonly peer: string
  readonly max: number
}> {
  override get message() {
    return `connection from ${this.peer} refused: ${this.max} connections already open`
  }
}

const checkInt = (option: keyof Config, value: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  Number.isInteger(value) && value >= min && value <= max
    ? Effect.void
    : Effect.fail(new InvalidConfig({ option, value, expected: `an integer from ${min} to ${max}` }))

const validate = (config: Config): Effect.Effect<void, InvalidConfig> =>
  Effect.all([
    checkInt("tcpPort", config.tcpPort, 0, 65535),
    checkInt("httpPort", config.httpPort, 0, 65535),
    checkInt("maxFrameLength", config.maxFrameLength, 2, 2 ** 32 - 1),
    checkInt("arenaCapacity", config.arenaCapacity, 1, 2 ** 24),
    checkInt("arenaMaxBytes", config.arenaMaxBytes, config.maxFrameLength),
    checkInt("mailboxCapacity", config.mailboxCapacity, 1),
    checkInt("sinkBatch", config.sinkBatch, 1),
    checkInt("chaosEvery", config.chaosEvery, 0),
    checkInt("maxConnections", config.maxConnections, 1),
    checkInt("maxSseClients", config.maxSseClients, 0)
  ], { discard: true })

// ---------------------------------------------------------------------------------------------
// observability

/** Why a connection was closed by the gateway. */
export type ConnectionError =
  | LengthDelimited.DecodeError
  | Frame.MalformedFrame
  | NodeBridge.ReadError
  | ConnectionLimit

/** One connection the gateway closed because of an error, as logged. */
export interface ConnectionFailure {
  readonly peer: string
  readonly error: string
  readonly message: string
}

/** Counters that outlive the gateway, so a summary can be printed after shutdown. */
export interface Counters {
  framesIn: number
  bytesIn: number
  /** Frames that reached only some plugins (a plugin was removed while they waited for it). */
  framesPartial: number
  connectionsAccepted: number
  connectionsActive: number
  connectionsRefused: number
  /** Dead letters, by reason, as the system reported them. */
  readonly deadLetters: Map<string, number>
  /** Supervised restarts, by plugin. */
  readonly restarts: Map<string, number>
  /** The most recent connection failures (at most 64). */
  readonly failures: Array<ConnectionFailure>
}

/** An owned, JSON-ready view of the whole gateway at one instant. */
export interface Snapshot {
  readonly at: number
  readonly uptimeMs: number
  readonly framesIn: number
  readonly bytesIn: number
  readonly acked: number
  readonly deadLetters: number
  readonly deadLettersByReason: Record<string, number>
  readonly restarts: Record<string, number>
  readonly connections: {
    readonly active: number
    readonly accepted: number
    readonly refused: number
    readonly failed: number
  }
  readonly arena: {
    readonly capacity: number
    readonly live: number
    readonly bytes: number
    readonly highWater: number
    readonly waiting: number
  }
  readonly plugins: Record<string, { readonly mailbox: number; readonly processed: number }>
  readonly topTopics: ReadonlyArray<{ readonly topic: string; readonly score: number }>
  readonly topicStats: Record<string, { readonly frames: number; readonly bytes: number }>
  readonly checksum: { readonly combined: string; readonly duplicates: number }
  readonly sink: { readonly acked: number; readonly pending: number; readonly syncs: number; readonly bytes: number }
}

const framesInMetric = Metric.counter("weft_demo_frames_in_total", { incremental: true })
const bytesInMetric = Metric.gauge("weft_demo_bytes_in")
const connectionsMetric = Metric.gauge("weft_demo_connections_active")
const connectionErrorsMetric = Metric.counter("weft_demo_connection_errors_total", { incremental: true })
const ackedMetric = Metric.gauge("weft_demo_sink_acked")

// ---------------------------------------------------------------------------------------------
// the service

/** The running gateway. */
export class Gateway extends Context.Tag("@weft/demo/Gateway")<Gateway, {
  readonly config: Config
  /** Where TCP ingest listens (the real port when `tcpPort` was 0). */
  readonly tcpAddress: { readonly host: string; readonly port: number }
  readonly counters: Counters
  /** The sink's results; `acked` is final once the gateway has shut down. */
  readonly sink: Plugins.SinkState
  readonly chaos: Plugins.ChaosState
  /** Brings the gateway's own Effect metrics up to date (the ingest loop counts in plain fields). */
  readonly publishMetrics: Effect.Effect<void>
  /** An owned snapshot of every number the dashboard shows. */
  readonly snapshot: (options?: { readonly top?: number }) => Effect.Effect<Snapshot>
  /** Starts a plugin and adds it to the dispatcher: it gets the frames ingested from now on. */
  readonly addPlugin: (name: Plugins.PluginName) => Effect.Effect<void, PluginAlreadyRunning>
  /** Removes a plugin from the dispatcher; it finishes the frames it has, then stops. */
  readonly removePlugin: (name: Plugins.PluginName) => Effect.Effect<void, PluginNotRunning>
  /** The plugins running now, in the order they were started. */
  readonly plugins: () => ReadonlyArray<Plugins.PluginName>
  /** Current `/events` subscribers; `Http` bounds it by `maxSseClients`. */
  sseClients: number
}>() {}

interface Running {
  readonly name: Plugins.PluginName
  readonly ref: Actor.ActorRef<Dispatcher.Delivery>
  readonly state: Plugins.Processed
}

const make = (config: Config) =>
  Effect.gen(function*() {
    const arena = yield* MessageArena.MessageArena
    const startedAt = yield* Clock.currentTimeMillis
    const counters: Counters = {
      framesIn: 0,
      bytesIn: 0,
      framesPartial: 0,
      connectionsAccepted: 0,
      connectionsActive: 0,
      connectionsRefused: 0,
      deadLetters: new Map(),
      restarts: new Map(),
      failures: []
    }
    const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)

    // Dead letters and restarts, counted from the start. Subscribed before any actor exists;
    // on shutdown the loops read what is still queued before they stop.
    const deadLetters = yield* ActorSystem.subscribeDeadLetters
    const lifecycle = yield* ActorSystem.subscribeLifecycle
    const countDeadLetter = (letter: { readonly reason: string }) => bump(counters.deadLetters, letter.reason)
    const countLifecycle = (event: { readonly _tag: string; readonly actor: { readonly name: string } }) => {
      if (event._tag === "Restarted") bump(counters.restarts, event.actor.name)
    }
    // Polled with takeAll, never a waiting Queue.take: interrupting a waiting take can lose the
    // element offered in the same tick (effect 3.22), and these loops are interrupted at shutdown.
    const follow = <A>(queue: Queue.Dequeue<A>, count: (a: A) => void) => {
      const drain = Effect.map(Queue.takeAll(queue), (items) => Chunk.forEach(items, count))
      return drain.pipe(
        Effect.repeat(Schedule.spaced("50 millis")),
        Effect.onInterrupt(() => drain),
        Effect.forkScoped
      )
    }
    yield* follow(deadLetters, countDeadLetter)
    yield* follow(lifecycle, countLifecycle)

    // The sink file: opened first, so it is closed last (after every plugin has drained).
    yield* Effect.promise(() => FileSystem.mkdir(Path.dirname(config.sinkPath), { recursive: true }))
    const file = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => FileSystem.open(config.sinkPath, "a"),
        catch: (cause) => new SinkOpenFailed({ path: config.sinkPath, cause })
      }),
      (file) => Effect.promise(() => file.sync().then(() => file.close()))
    )

    const statsState = Plugins.makeStatsState()
    const topicsState = Plugins.makeTopicsState()
    const checksumState = Plugins.makeChecksumState()
    const sinkState = Plugins.makeSinkState(config.sinkBatch)
    const chaosState = Plugins.makeChaosState(config.chaosEvery)
    const slowState = Plugins.makeSlowState(config.slowDelay)

    const dispatcher = yield* Dispatcher.make<Dispatcher.Delivery>(Dispatcher.broadcast)
    const spawnOptions = (name: string) => ({
      name: `plugin-${name}`,
      mailbox: { capacity: config.mailboxCapacity, strategy: "suspend" as const },
      // Restart at once, without limit: chaos crashes on purpose, and a crash costs only the
      // crashing message (dead-lettered with reason "Crashed").
      supervision: { strategy: "restart" as const, restarts: Schedule.forever }
    })
    const plugins = {
      stats: { behavior: Plugins.stats(arena, statsState), state: statsState },
      topics: { behavior: Plugins.topics(arena, topicsState), state: topicsState },
      checksum: { behavior: Plugins.checksum(arena, checksumState), state: checksumState },
      sink: { behavior: Plugins.sink(arena, file, sinkState), state: sinkState },
      chaos: { behavior: Plugins.chaos(arena, chaosState), state: chaosState },
      slow: { behavior: Plugins.slow(arena, slowState), state: slowState }
    } satisfies Record<Plugins.PluginName, unknown>

    // Plugins are spawned in the gateway's scope, whether at start or later through addPlugin.
    const scope = yield* Effect.scope
    const system = yield* ActorSystem.ActorSystem
    const running: Array<Running> = []
    const start = (name: Plugins.PluginName) =>
      Effect.gen(function*() {
        const { behavior, state } = plugins[name]
        // The name is free: it is only reused after the previous plugin of that name terminated.
        const ref = yield* Effect.orDie(Actor.spawn(behavior, spawnOptions(name)))
        yield* Dispatcher.add(dispatcher, ref)
        running.push({ name, ref, state })
      }).pipe(
        Scope.extend(scope),
        Effect.provideService(ActorSystem.ActorSystem, system)
      )
    const stop = (plugin: Running) => Actor.stop(plugin.ref, { mode: "drain", timeout: config.drainTimeout })

    for (const name of config.plugins) yield* start(name)
    // Graceful shutdown, step 2 (runs after the listener and the connections are closed):
    // every plugin finishes its queue; the sink's onStop writes and fsyncs its last batch.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => Effect.forEach(running, stop, { concurrency: "unbounded", discard: true }))
    )

    // Adding and removing plugins at runtime, one change at a time.
    const changes = yield* Effect.makeSemaphore(1)
    const addPlugin = (name: Plugins.PluginName) =>
      changes.withPermits(1)(Effect.suspend(() =>
        running.some((plugin) => plugin.name === name)
          ? Effect.fail(new PluginAlreadyRunning({ plugin: name }))
          : start(name)
      ))
    const removePlugin = (name: Plugins.PluginName) =>
      changes.withPermits(1)(Effect.suspend(() => {
        const index = running.findIndex((plugin) => plugin.name === name)
        if (index === -1) return Effect.fail(new PluginNotRunning({ plugin: name }))
        const [plugin] = running.splice(index, 1)
        // It gets nothing dispatched from now on, finishes what it has, then stops.
        return Dispatcher.remove(dispatcher, plugin!.ref, { mode: "drain" }).pipe(
          Effect.orDie,
          Effect.zipRight(stop(plugin!)),
          Effect.asVoid
        )
      }))

    // A frame counts as in once every plugin has it. A frame cut off by shutdown while waiting
    // for a full lane reached only some plugins: it is not counted, and never acked.
    // A plugin whose lane turns a frame away (a "fail" lane that is full) makes that frame reach
    // only some plugins: it is counted in `framesPartial`, never acked by a sink that missed it,
    // and the connection goes on. (A plugin removed mid-dispatch no longer does this: the
    // dispatcher dead-letters its copy and delivers to the others.)
    const ingest = (frame: Bytes.Bytes) =>
      arena.alloc(frame).pipe(
        Effect.flatMap((ref) => Dispatcher.dispatchRef(dispatcher, arena, ref)),
        Effect.matchEffect({
          onFailure: (error) =>
            error._tag === "ActorStopping" || error._tag === "MailboxFull"
              ? Effect.sync(() => {
                counters.framesPartial++
              })
              : Effect.fail(error),
          onSuccess: () =>
            Effect.sync(() => {
              counters.framesIn++
              counters.bytesIn += frame.length
            })
        })
      )

    const fail = (peer: string, error: ConnectionError) => {
      counters.failures.push({ peer, error: error._tag, message: error.message })
      if (counters.failures.length > 64) counters.failures.shift()
      return Effect.zipRight(
        Metric.increment(Metric.tagged(connectionErrorsMetric, "error", error._tag)),
        Effect.logWarning(`connection ${peer} closed: ${error.message}`).pipe(
          Effect.annotateLogs({ peer, error: error._tag })
        )
      )
    }

    const serve = (socket: Net.Socket, peer: string) =>
      NodeBridge.fromSocket(socket).pipe(
        LengthDelimited.decode({ ...Frame.framing, maxFrameLength: config.maxFrameLength }),
        Stream.mapEffect(Frame.validate),
        // Per chunk of decoded frames: each frame waits for an arena slot (a full arena stops
        // this loop, so the bridge stops reading and TCP pushes back on the client).
        Stream.runForEachChunk((frames) => Effect.forEach(frames, ingest, { discard: true })),
        Effect.catchTags({
          FrameTooLarge: (error) => fail(peer, error),
          TruncatedFrame: (error) => fail(peer, error),
          InvalidFrameLength: (error) => fail(peer, error),
          InvalidOptions: (error) => fail(peer, error),
          MalformedFrame: (error) => fail(peer, error),
          ReadError: (error) => fail(peer, error)
        }),
        // Only possible while shutting down: the plugins are stopping or the arena closed.
        Effect.catchAll((error) => Effect.logDebug(`connection ${peer} stopped: ${error._tag}`)),
        Effect.ensuring(Effect.suspend(() => {
          socket.destroy()
          counters.connectionsActive--
          return Metric.set(connectionsMetric, counters.connectionsActive)
        }))
      )

    // Graceful shutdown, step 1: stop accepting (the listener closes first), then interrupt the
    // connections (their frames already dispatched are drained in step 2).
    const runConnection = yield* FiberSet.makeRuntime<never>()
    // allowHalfOpen: a client's half-close ends its stream, but the gateway closes the socket only
    // after every frame of it was ingested, so a client that sees "close" knows it is all in.
    const server = Net.createServer({ allowHalfOpen: true }, (socket) => {
      const peer = `${socket.remoteAddress}:${socket.remotePort}`
      if (counters.connectionsActive >= config.maxConnections) {
        counters.connectionsRefused++
        socket.destroy()
        runConnection(fail(peer, new ConnectionLimit({ peer, max: config.maxConnections })))
        return
      }
      counters.connectionsAccepted++
      counters.connectionsActive++
      runConnection(Effect.zipRight(Metric.set(connectionsMetric, counters.connectionsActive), serve(socket, peer)))
    })
    yield* Effect.acquireRelease(
      Effect.async<void, ListenFailed>((resume) => {
        const onError = (cause: Error) =>
          resume(Effect.fail(new ListenFailed({ host: config.host, port: config.tcpPort, cause })))
        server.once("error", onError)
        server.listen(config.tcpPort, config.host, () => {
          server.off("error", onError)
          resume(Effect.void)
        })
      }),
      () => Effect.sync(() => server.close())
    )
    const address = server.address() as Net.AddressInfo

    // Frames counted by the connection loops are published to the metric here, in batches.
    let published = 0
    const publish = Effect.suspend(() => {
      const delta = counters.framesIn - published
      published = counters.framesIn
      return Effect.all([
        Metric.incrementBy(framesInMetric, delta),
        Metric.set(bytesInMetric, counters.bytesIn),
        Metric.set(ackedMetric, sinkState.acked)
      ], { discard: true })
    })

    const snapshot = (options?: { readonly top?: number }) =>
      Effect.gen(function*() {
        yield* publish
        const now = yield* Clock.currentTimeMillis
        const arenaStats = yield* arena.stats
        const mailboxes = yield* Effect.forEach(running, ({ ref }) => Actor.mailboxSize(ref))
        const deadLetterTotal = yield* ActorSystem.deadLetterCount
        const plugins: Record<string, { mailbox: number; processed: number }> = {}
        running.forEach(({ name, state }, i) => {
          plugins[name] = { mailbox: mailboxes[i]!, processed: state.processed }
        })
        const result: Snapshot = {
          at: now,
          uptimeMs: now - startedAt,
          framesIn: counters.framesIn,
          bytesIn: counters.bytesIn,
          acked: sinkState.acked,
          deadLetters: deadLetterTotal,
          deadLettersByReason: Object.fromEntries(counters.deadLetters),
          restarts: Object.fromEntries(counters.restarts),
          connections: {
            active: counters.connectionsActive,
            accepted: counters.connectionsAccepted,
            refused: counters.connectionsRefused,
            failed: counters.failures.length
          },
          arena: {
            capacity: arenaStats.capacity,
            live: arenaStats.live,
            bytes: arenaStats.bytes,
            highWater: arenaStats.highWater,
            waiting: arenaStats.waiting
          },
          plugins,
          topTopics: Plugins.topN(topicsState, options?.top ?? 10),
          topicStats: Object.fromEntries(Array.from(statsState.topics, ([topic, count]) => [topic, { ...count }])),
          checksum: {
            combined: checksumState.combined.toString(16).padStart(8, "0"),
            duplicates: checksumState.duplicates
          },
          sink: {
            acked: sinkState.acked,
            pending: sinkState.pending.length,
            syncs: sinkState.syncs,
            bytes: sinkState.bytesWritten
          }
        }
        return result
      }).pipe(Effect.provideService(ActorSystem.ActorSystem, system))

    yield* Effect.logInfo(`TCP ingest on ${address.address}:${address.port}`)
    return {
      config,
      tcpAddress: { host: address.address, port: address.port },
      counters,
      sink: sinkState,
      chaos: chaosState,
      snapshot,
      publishMetrics: publish,
      addPlugin,
      removePlugin,
      plugins: () => running.map((plugin) => plugin.name),
      sseClients: 0
    }
  })

/**
 * The gateway, with its own actor system and message arena. Closing the layer shuts down
 * gracefully: stop accepting, close connections, drain every plugin (the sink writes and fsyncs
 * its last batch), close the sink file, stop the actor system, close the arena.
 */
export const layer = (config: Config): Layer.Layer<Gateway, InvalidConfig | ListenFailed | SinkOpenFailed> =>
  // Validated before any layer is built, so a bad option is an InvalidConfig, not a defect.
  Layer.unwrapEffect(Effect.as(validate(config), layer_(config)))

const layer_ = (config: Config): Layer.Layer<Gateway, InvalidConfig | ListenFailed | SinkOpenFailed> =>
  Layer.scoped(Gateway, make(config)).pipe(
    Layer.provide(Layer.mergeAll(
      ActorSystem.layer({ stopTimeout: config.drainTimeout, deadLetterBuffer: 1 << 16 }),
      MessageArena.layer({
        capacity: config.arenaCapacity,
        maxBytes: config.arenaMaxBytes,
        copyIn: { belowBytes: 1024 },
        name: "ingest"
      }).pipe(Layer.orDie)
    ))
  )
