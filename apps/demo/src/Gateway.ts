/**
 * The gateway service: TCP ingest → LengthDelimited decode → MessageArena → Dispatcher →
 * plugin actors. `Gateway.layer(config)` owns everything; closing it shuts down gracefully.
 */
import { Actor, ActorSystem } from "@weft/actor"
import { MessageArena, type MessageRef } from "@weft/arena"
import { Bytes, LengthDelimited } from "@weft/bytes"
import { Broadcast } from "@weft/channel"
import { Dispatcher } from "@weft/dispatch"
import { NodeBridge } from "@weft/stream"
import {
  Chunk,
  Clock,
  Context,
  Data,
  Duration,
  Effect,
  Either,
  Layer,
  Metric,
  Option,
  Queue,
  Schedule,
  Scope,
  Stream
} from "effect"
import * as FiberSet from "effect/FiberSet"
import * as Net from "node:net"
import * as Acks from "./Acks.js"
import * as Frame from "./Frame.js"
import * as LatencyWindow from "./LatencyWindow.js"
import * as Plugins from "./Plugins.js"
import * as SinkFile from "./SinkFile.js"
import * as Timeouts from "./Timeouts.js"

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
  /** Capacity of each plugin's mailbox, in batches (the arena bounds the frames). */
  readonly mailboxCapacity: number
  /** Which plugins run. */
  readonly plugins: ReadonlyArray<Plugins.PluginName>
  /** The sink's log file (created, appended to). */
  readonly sinkPath: string
  /**
   * The sink writes and fsyncs once it holds this many frames, or when its mailbox is empty. It
   * writes whole batches, so one write can hold more.
   */
  readonly sinkBatch: number
  /** The sink also writes once the frames it holds weigh this many bytes. */
  readonly sinkBatchBytes: number
  /** The chaos plugin crashes on the batch holding every this-many-th frame (0: never). */
  readonly chaosEvery: number
  /** Time the `slow` plugin spends per frame. */
  readonly slowDelay: Duration.DurationInput
  /** Most TCP connections at once; more are refused and logged. */
  readonly maxConnections: number
  /** Most `/events` subscribers at once; more get a 503. */
  readonly maxSseClients: number
  /** How long a graceful stop of each plugin may take before it is killed. */
  readonly drainTimeout: Duration.DurationInput
  /** A connection that sends nothing for this long (while the gateway waits for it) is closed. */
  readonly idleTimeout: Duration.DurationInput
  /** A frame must arrive whole within this long of its first byte, or its connection is closed. */
  readonly frameDeadline: Duration.DurationInput
  /** The largest `/rpc` request body; a larger one is answered 413 without being read. */
  readonly maxRequestBodyBytes: number
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
  sinkBatch: 4096,
  sinkBatchBytes: 4 * 1024 * 1024,
  chaosEvery: 1000,
  slowDelay: "10 millis",
  maxConnections: 64,
  maxSseClients: 16,
  drainTimeout: "10 seconds",
  idleTimeout: "60 seconds",
  frameDeadline: "10 seconds",
  maxRequestBodyBytes: 1024 * 1024
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
    return `cannot listen for TCP ingest on ${this.host}:${this.port}: ${describeListenError(this.cause)}`
  }
}

/** A listen error as a person reads it: the reason, then Node's code (`EADDRINUSE`, `EACCES`, …). */
export const describeListenError = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
  const reason = code === "EADDRINUSE"
    ? "the port is already in use"
    : code === "EACCES"
    ? "permission denied"
    : code === "EADDRNOTAVAIL"
    ? "the address is not available on this machine"
    : cause instanceof Error
    ? cause.message
    : String(cause)
  return code === undefined ? reason : `${reason} (${code})`
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

const checkDuration = (option: keyof Config, value: Duration.DurationInput) => {
  const duration = Duration.decodeUnknown(value)
  return Option.isSome(duration) && Duration.isFinite(duration.value) && Duration.toMillis(duration.value) > 0
    ? Effect.void
    : Effect.fail(new InvalidConfig({ option, value, expected: "a positive, finite duration" }))
}

const validate = (config: Config): Effect.Effect<void, InvalidConfig> =>
  Effect.all([
    checkInt("tcpPort", config.tcpPort, 0, 65535),
    checkInt("httpPort", config.httpPort, 0, 65535),
    checkInt("maxFrameLength", config.maxFrameLength, 2, 2 ** 32 - 1),
    checkInt("arenaCapacity", config.arenaCapacity, 1, 2 ** 24),
    checkInt("arenaMaxBytes", config.arenaMaxBytes, config.maxFrameLength),
    checkInt("mailboxCapacity", config.mailboxCapacity, 1),
    checkInt("sinkBatch", config.sinkBatch, 1),
    checkInt("sinkBatchBytes", config.sinkBatchBytes, 1),
    checkInt("chaosEvery", config.chaosEvery, 0),
    checkInt("maxConnections", config.maxConnections, 1),
    checkInt("maxSseClients", config.maxSseClients, 0),
    checkDuration("idleTimeout", config.idleTimeout),
    checkDuration("frameDeadline", config.frameDeadline),
    checkInt("maxRequestBodyBytes", config.maxRequestBodyBytes, 1)
  ], { discard: true })

// ---------------------------------------------------------------------------------------------
// observability

/** Why a connection was closed by the gateway. */
export type ConnectionError =
  | LengthDelimited.DecodeError
  | Frame.MalformedFrame
  | NodeBridge.ReadError
  | Acks.AckWriteFailed
  | ConnectionLimit
  | Timeouts.Expired

/** One connection the gateway closed because of an error, as logged. */
export interface ConnectionFailure {
  readonly peer: string
  readonly error: string
  readonly message: string
}

/**
 * The client's `address:port` as logged. A client that reset the connection before the gateway
 * got to it has no address any more (Node's `remoteAddress` is then `undefined`).
 */
export const peerOf = (socket: Pick<Net.Socket, "remoteAddress" | "remotePort">): string =>
  socket.remoteAddress === undefined
    ? "unknown (reset before it was accepted)"
    : `${socket.remoteAddress}:${socket.remotePort}`

/** Counters that outlive the gateway, so a summary can be printed after shutdown. */
export interface Counters {
  framesIn: number
  bytesIn: number
  /** Frames whose batch reached only some plugins (a "fail" lane turned it away, or a plugin was stopping). */
  framesPartial: number
  connectionsAccepted: number
  connectionsActive: number
  connectionsRefused: number
  /** Connections the gateway closed because of an error (refused ones included), since the start. */
  connectionsFailed: number
  /** Connections closed because they sent nothing for `idleTimeout`. */
  idleTimeouts: number
  /** Connections closed because they did not complete a started frame within `frameDeadline`. */
  frameDeadlines: number
  /** Dead letters, by reason, as the system reported them. */
  readonly deadLetters: Map<string, number>
  /** Supervised restarts, by plugin. */
  readonly restarts: Map<string, number>
  /** The most recent connection failures (at most {@link recentFailures}); `connectionsFailed` counts them all. */
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
    readonly idleTimeouts: number
    readonly frameDeadlines: number
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
  readonly sink: {
    readonly acked: number
    readonly pending: number
    readonly syncs: number
    readonly bytes: number
    /** Failed attempts to write or fsync a batch (each batch is retried until it is durable). */
    readonly writeFailures: number
  }
  /** Ingest (decoded) → durable in the sink (written and fsynced), per frame, since the start. */
  readonly latency: Acks.LatencySummary
  /** The same latency over about the last `windowSeconds` (10 to 11 s: the window moves every second). */
  readonly recentLatency: Acks.LatencySummary & { readonly windowSeconds: number }
  /** The gateway process's memory when the snapshot was taken (`process.memoryUsage()`). */
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number }
}

/** The window of `Snapshot.recentLatency`. */
const recentLatencySeconds = 10

/** How many failures `Counters.failures` keeps. */
export const recentFailures = 64

const framesInMetric = Metric.counter("weft_demo_frames_in_total", {
  incremental: true,
  description: "frames ingested, counted when stored in the arena (before any plugin sees them)"
})
const bytesInMetric = Metric.counter("weft_demo_bytes_in_total", {
  incremental: true,
  description: "bytes of the frames ingested (length prefixes excluded)"
})
const connectionsMetric = Metric.gauge("weft_demo_connections_active", { description: "TCP connections open now" })
const connectionErrorsMetric = Metric.counter("weft_demo_connection_errors_total", {
  incremental: true,
  description: "connections the gateway closed because of an error, by error"
})
const ackedMetric = Metric.counter("weft_demo_sink_acked_total", {
  incremental: true,
  description: "frames written and fsynced by the sink"
})
/** The standard Prometheus name for a process's resident memory. */
const residentMemoryMetric = Metric.gauge("process_resident_memory_bytes", {
  description: "resident set size of the gateway process, in bytes"
})

/**
 * Publishes a plain, growing field to an incremental counter: each call adds what it grew by, in
 * one synchronous step, so an interrupted publish (a `/metrics` client gone) loses no delta.
 */
const counterFeed = (metric: Metric.Metric.Counter<number>, read: () => number) => {
  let published = 0
  return Effect.sync(() => {
    const now = read()
    metric.unsafeUpdate(now - published, [])
    published = now
  })
}

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
  /**
   * The frames of `topic` ingested from now on, as owned copies, in ingest order (see the watch
   * section). Never slows ingest: a watcher that falls behind loses the oldest frames, and the
   * next frame it gets says how many (`skipped`). The stream ends when the gateway shuts down.
   *
   * Cancellation safety: interrupting the stream unsubscribes at once; the frames it had not read
   * are released, and the topic's last watcher closes the topic's feed.
   */
  readonly watchTopic: (topic: string) => Stream.Stream<WatchedFrame>
  /** Watchers, and the frames they were sent or lost. */
  readonly watchStats: () => WatchStats
}>() {}

interface Running {
  readonly name: Plugins.PluginName
  readonly ref: Actor.ActorRef<Dispatcher.Deliveries>
  readonly state: Plugins.Processed
}

const make = (config: Config) =>
  Effect.gen(function*() {
    const arena = yield* MessageArena.MessageArena
    const startedAt = yield* Clock.currentTimeMillis
    const watch = yield* makeWatch
    const counters: Counters = {
      framesIn: 0,
      bytesIn: 0,
      framesPartial: 0,
      connectionsAccepted: 0,
      connectionsActive: 0,
      connectionsRefused: 0,
      connectionsFailed: 0,
      idleTimeouts: 0,
      frameDeadlines: 0,
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

    // The sink file: opened first, so it is closed last (after every plugin has drained). Opening
    // cuts a torn tail a crash left (see SinkFile); the end of its last whole record is where the
    // sink's first batch goes. Closing it truncates anything a failed write left past the last
    // fsynced batch.
    const { file, sinkState } = yield* Effect.acquireRelease(
      SinkFile.open(config.sinkPath).pipe(
        Effect.map(({ file, size }) => ({
          file,
          sinkState: Plugins.makeSinkState(config.sinkBatch, size, config.sinkBatchBytes)
        })),
        Effect.mapError((error) => new SinkOpenFailed({ path: config.sinkPath, cause: error.message }))
      ),
      ({ file, sinkState }) => Plugins.closeSinkFile(file, sinkState)
    )
    // Per-frame ack facts, indexed by arena slot; the clock is read once per decoded chunk.
    const clock = yield* Effect.clock
    const acks = Acks.make(config.arenaCapacity, () => Number(clock.unsafeCurrentTimeNanos()) / 1e6)
    const frameIndex = Frame.makeIndex(config.arenaCapacity)
    // The recent latency, moved on every second.
    const recentLatency = LatencyWindow.make(acks.latency, recentLatencySeconds)
    yield* Effect.forkScoped(
      Effect.repeat(Effect.sync(() => LatencyWindow.rotate(recentLatency)), Schedule.spaced("1 second"))
    )

    const statsState = Plugins.makeStatsState()
    const topicsState = Plugins.makeTopicsState()
    const checksumState = Plugins.makeChecksumState()
    const chaosState = Plugins.makeChaosState(config.chaosEvery)
    const slowState = Plugins.makeSlowState(config.slowDelay)

    const dispatcher = yield* Dispatcher.make<Dispatcher.Deliveries>(Dispatcher.broadcast)
    const spawnOptions = (name: string) => ({
      name: `plugin-${name}`,
      mailbox: { capacity: config.mailboxCapacity, strategy: "suspend" as const },
      // Restart at once, without limit: chaos crashes on purpose, and a crash costs only the
      // crashing message — one batch, in that plugin only (dead-lettered with reason "Crashed").
      // The lane bound counts batches; the arena bounds the frames in flight.
      supervision: { strategy: "restart" as const, restarts: Schedule.forever }
    })
    const plugins = {
      stats: { behavior: Plugins.stats(arena, frameIndex, statsState), state: statsState },
      topics: { behavior: Plugins.topics(arena, frameIndex, topicsState), state: topicsState },
      checksum: { behavior: Plugins.checksum(arena, frameIndex, checksumState), state: checksumState },
      sink: { behavior: Plugins.sink(arena, file, sinkState, acks), state: sinkState },
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
        // After `Dispatcher.add`: every frame counted as sent to the sink does reach it.
        if (name === "sink") Acks.sinkStarted(acks)
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
          // The sink has drained and fsynced: acks are over, waiting connections may close.
          Effect.zipRight(Effect.sync(() => {
            if (name === "sink") Acks.sinkStopped(acks)
          })),
          Effect.asVoid
        )
      }))

    // A run of data frames: stored in the arena a batch at a time (as many as fit now; a full
    // arena waits, so the bridge stops reading and TCP pushes back on the client), and each batch
    // handed to every plugin as one `Deliveries` message. A frame counts as in once it is stored,
    // before any plugin sees it (so `acked ≤ framesIn`). A batch cut off by shutdown while waiting
    // for a full lane reached only some plugins; one a lane turns away ("fail" lane full) is also
    // counted in `framesPartial`, and the connection goes on.
    const ingestData = (connection: Acks.Connection, decodedAt: number, frames: ReadonlyArray<Bytes.Bytes>) => {
      let next = 0
      return Effect.whileLoop({
        while: () => next < frames.length,
        body: () =>
          Effect.map(ingestBatch(connection, decodedAt, frames, next), (stored) => {
            next += stored
          }),
        step: () => {}
      })
    }

    // One batch from `frames[from..]` (see `handOff`), with its ack facts and counters.
    const ingestBatch = (
      connection: Acks.Connection,
      decodedAt: number,
      frames: ReadonlyArray<Bytes.Bytes>,
      from: number
    ) => {
      let toSink = 0
      let firstSeq = 0
      return handOff(arena, dispatcher, from === 0 ? frames : frames.slice(from), {
        // Each frame's ack facts go into its slot's row, and the frame is counted in, before any
        // plugin can see it: the sink may make a batch durable (and ack it) while the dispatcher
        // still waits for another plugin's lane, so `acked ≤ framesIn` only holds if frames are
        // counted here, not once every plugin has them.
        stored: (refs) => {
          toSink = 0
          firstSeq = counters.framesIn + 1
          for (let i = 0; i < refs.length; i++) {
            const slot = refs[i]!.index
            Frame.indexFrame(frameIndex, slot, frames[from + i]!)
            if (Acks.admit(acks, connection, slot, decodedAt)) toSink++
            counters.bytesIn += frames[from + i]!.length
          }
          counters.framesIn += refs.length
        },
        partial: (refs) => {
          counters.framesPartial += refs.length
          for (let i = 0; i < toSink; i++) Acks.unadmit(connection)
        },
        // Never waits: a watcher that falls behind loses frames instead.
        dispatched: (refs) => watch.publishAll(frames, from, from + refs.length, firstSeq)
      })
    }

    type IngestError = Effect.Effect.Error<ReturnType<typeof ingestData>>

    // Each chunk of decoded frames is stamped once ("decoded at") and checked without an Effect
    // per frame; its runs of data frames are ingested in batches, in order with ack requests.
    const ingestChunk = (connection: Acks.Connection, chunk: Chunk.Chunk<Bytes.Bytes>) =>
      Effect.suspend(() => {
        const decodedAt = acks.now()
        const frames = Chunk.toReadonlyArray(chunk)
        let start = 0
        const loop = (): Effect.Effect<void, IngestError | Frame.MalformedFrame> => {
          for (let i = start; i < frames.length; i++) {
            const kind = Frame.classify(frames[i]!)
            if (kind === "data") continue
            const run = frames.slice(start, i)
            start = i + 1
            return Effect.zipRight(
              ingestData(connection, decodedAt, run),
              kind === "ackRequest"
                ? Effect.suspend(() => {
                  Acks.requestAcks(connection)
                  return loop()
                })
                : Effect.fail(kind)
            )
          }
          return ingestData(connection, decodedAt, start === 0 ? frames : frames.slice(start))
        }
        return loop()
      })

    // The client half-closed and all its frames are in. If it asked for acks, it gets the last
    // one before the socket closes: wait (at most drainTimeout) until every frame sent to the
    // sink is durable, then end the socket gracefully so the ack is flushed.
    // A socket the client closed or reset meanwhile ends at once, with the ack write that failed.
    const finish = (connection: Acks.Connection, socket: Net.Socket) =>
      Effect.suspend(() =>
        connection.wantsAcks
          ? Acks.awaitSettled(acks, connection).pipe(
            Effect.zipRight(Effect.async<void>((resume) => {
              if (connection.broken) return resume(Effect.void)
              socket.end(() => resume(Effect.void))
            })),
            Effect.timeoutOption(config.drainTimeout),
            Effect.zipRight(Acks.ackFailure(connection))
          )
          : Effect.void
      )

    const fail = (peer: string, error: ConnectionError) => {
      counters.connectionsFailed++
      counters.failures.push({ peer, error: error._tag, message: error.message })
      if (counters.failures.length > recentFailures) counters.failures.shift()
      return Effect.zipRight(
        Metric.increment(Metric.tagged(connectionErrorsMetric, "error", error._tag)),
        Effect.logWarning(`connection ${peer} closed: ${error.message}`).pipe(
          Effect.annotateLogs({ peer, error: error._tag })
        )
      )
    }

    // Slow clients: the read path stamps each connection's clocks, one sweeper closes the late ones
    // (destroying the socket, so the read fails and `watched.expired` says why).
    const deadlines = yield* Timeouts.make({
      idleTimeout: config.idleTimeout,
      frameDeadline: config.frameDeadline,
      headerBytes: Frame.framing.lengthFieldLength
    }, counters)

    const readFrames = (socket: Net.Socket, peer: string, connection: Acks.Connection) =>
      Effect.suspend(() => {
        const watched = deadlines.watch(peer, () => socket.destroy())
        return NodeBridge.fromSocket(socket).pipe(
          Stream.mapChunks((chunk) => {
            deadlines.received(watched, Chunk.reduce(chunk, 0, (n, bytes) => n + bytes.length))
            return chunk
          }),
          LengthDelimited.decode({ ...Frame.framing, maxFrameLength: config.maxFrameLength }),
          Stream.runForEachChunk((frames) =>
            Effect.suspend(() => {
              deadlines.ingesting(watched, Chunk.toReadonlyArray(frames))
              return Effect.zipLeft(ingestChunk(connection, frames), Effect.sync(() => deadlines.ingested(watched)))
            })
          ),
          Effect.mapError((error) => error._tag === "ReadError" ? watched.expired ?? error : error),
          Effect.ensuring(Effect.sync(() => deadlines.unwatch(watched)))
        )
      })

    const serve = (socket: Net.Socket, peer: string, connection: Acks.Connection) =>
      readFrames(socket, peer, connection).pipe(
        Effect.zipRight(finish(connection, socket)),
        Effect.catchTags({
          FrameTooLarge: (error) => fail(peer, error),
          TruncatedFrame: (error) => fail(peer, error),
          InvalidFrameLength: (error) => fail(peer, error),
          VarintTooLong: (error) => fail(peer, error),
          InvalidOptions: (error) => fail(peer, error),
          MalformedFrame: (error) => fail(peer, error),
          // A socket broken by a failed ack write fails the read too: report the write.
          ReadError: (error) => fail(peer, connection.ackFailure ?? error),
          AckWriteFailed: (error) => fail(peer, error),
          IdleTimeout: (error) => fail(peer, error),
          FrameDeadline: (error) => fail(peer, error)
        }),
        // Only possible while shutting down: the plugins are stopping or the arena closed.
        Effect.catchAll((error) => Effect.logDebug(`connection ${peer} stopped: ${error._tag}`)),
        Effect.ensuring(Effect.suspend(() => {
          Acks.close(acks, connection)
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
      const peer = peerOf(socket)
      if (counters.connectionsActive >= config.maxConnections) {
        counters.connectionsRefused++
        socket.destroy()
        runConnection(fail(peer, new ConnectionLimit({ peer, max: config.maxConnections })))
        return
      }
      counters.connectionsAccepted++
      counters.connectionsActive++
      const connection = Acks.open(acks, socket)
      runConnection(
        Effect.zipRight(Metric.set(connectionsMetric, counters.connectionsActive), serve(socket, peer, connection))
      )
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

    // What the connection loops and the sink count in plain fields is published here, in batches.
    const publish = Effect.all([
      counterFeed(framesInMetric, () => counters.framesIn),
      counterFeed(bytesInMetric, () => counters.bytesIn),
      counterFeed(ackedMetric, () => sinkState.acked),
      Effect.suspend(() => Metric.set(residentMemoryMetric, process.memoryUsage.rss()))
    ], { discard: true })

    const snapshot = (options?: { readonly top?: number }) =>
      Effect.gen(function*() {
        yield* publish
        const now = yield* Clock.currentTimeMillis
        const arenaStats = yield* arena.stats
        const mailboxes = yield* Effect.forEach(running, ({ ref }) => Actor.mailboxSize(ref))
        const deadLetterTotal = yield* ActorSystem.deadLetterCount
        const memory = process.memoryUsage()
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
            failed: counters.connectionsFailed,
            idleTimeouts: counters.idleTimeouts,
            frameDeadlines: counters.frameDeadlines
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
            pending: sinkState.frames.length,
            syncs: sinkState.syncs,
            bytes: sinkState.bytesWritten,
            writeFailures: sinkState.writeFailures
          },
          latency: Acks.summarize(acks.latency),
          recentLatency: { ...LatencyWindow.summarize(recentLatency), windowSeconds: recentLatencySeconds },
          memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed }
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
      sseClients: 0,
      watchTopic: watch.watchTopic,
      watchStats: watch.stats
    }
  })

/** What {@link handOff} tells its caller about one batch; each is a synchronous step. */
export interface HandOffEvents {
  /** The refs were stored (before any plugin can see them). */
  readonly stored: (refs: ReadonlyArray<MessageRef.MessageRef>) => void
  /** A lane turned the batch away ("fail" lane full, or a stopping plugin): only some plugins have it. */
  readonly partial: (refs: ReadonlyArray<MessageRef.MessageRef>) => void
  /** Every plugin has the batch. The effect it returns must not wait (it runs uninterruptibly). */
  readonly dispatched: (refs: ReadonlyArray<MessageRef.MessageRef>) => Effect.Effect<void>
}

/**
 * Stores the longest prefix of `frames` that fits in the arena now (waiting for room when not even
 * the first fits) and hands it to the dispatcher as one `Deliveries` batch per plugin. Returns how
 * many frames were stored (call again with the rest).
 *
 * The refs go from the arena to the dispatcher with no interruption point in between (the
 * hand-over the Dispatcher module documents), so shutdown cannot strand a stored frame.
 *
 * Cancellation safety: only two waits are interruptible — the arena's (which then has stored
 * nothing) and the dispatcher's wait for room in a lane (which then releases every ref it did not
 * hand to a plugin). No slot is leaked and no plugin gets a batch twice.
 */
export const handOff = (
  arena: MessageArena.MessageArena.Service,
  dispatcher: Dispatcher.Dispatcher<Dispatcher.Deliveries>,
  frames: ReadonlyArray<Bytes.Bytes>,
  events: HandOffEvents
) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(restore(arena.allocMany(frames)), (refs) => {
      events.stored(refs)
      return Effect.matchEffect(Dispatcher.dispatchBatch(dispatcher, arena, refs), {
        onFailure: (error) => {
          if (error._tag !== "ActorStopping" && error._tag !== "MailboxFull") return Effect.fail(error)
          events.partial(refs)
          return Effect.succeed(refs.length)
        },
        onSuccess: () => Effect.as(events.dispatched(refs), refs.length)
      })
    })
  )

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
        // Small frames are copied out of their socket chunk, a batch per buffer: every plugin
        // settles a batch as a whole, so its frames are released together.
        copyIn: { belowBytes: 1024, batched: true },
        name: "ingest"
      }).pipe(Layer.orDie)
    ))
  )

// ---------------------------------------------------------------------------------------------
// watch: live per-topic feeds of ingested frames (the `/rpc` WatchTopic procedure)
//
// Everything for watching lives in this section; ingest makes one call, `publish`, once a frame
// is counted. With no watcher, `publish` is one `Map.size` check. A watched topic has one
// @weft/channel `Broadcast` with lag policy "dropOldest": publishing never waits, so ingest is
// never held back by a watcher, and a watcher that falls `watchCapacity` frames behind loses the
// oldest ones. It learns how many from the `skipped` field of the next frame it receives, and
// `WatchStats.skipped` counts every loss.

/** Frames a watched topic keeps for its slowest watcher; beyond that the oldest are dropped. */
export const watchCapacity = 256

/** Most frames one chunk of a watcher's stream holds (what is ready is emitted at once). */
const watchBatch = 32

/** One ingested frame as a watcher receives it. Owned: nothing in it points into the arena. */
export interface WatchedFrame {
  readonly topic: string
  /**
   * The payload, copied out of the ingested frame into a fresh buffer when it was published.
   * The watchers of one topic share it: treat it as read-only.
   */
  readonly payload: Uint8Array
  /** The frame's place in ingest order: `counters.framesIn` right after it was counted. */
  readonly seq: number
  /** When it was ingested (epoch milliseconds, from the gateway's `Clock`). */
  readonly at: number
  /** Frames of this topic this watcher lost just before this one, because it fell behind. */
  readonly skipped: number
}

/** The watch feeds at one instant. */
export interface WatchStats {
  /** Open `watchTopic` streams. */
  readonly watchers: number
  /** Topics with at least one watcher (one feed each). */
  readonly topics: number
  /** Frames copied into a feed. */
  readonly published: number
  /** Frames handed to watchers, once per watcher. */
  readonly delivered: number
  /** Frames watchers lost because they fell behind, once per watcher. */
  readonly skipped: number
}

interface Feed {
  readonly sender: Broadcast.Sender<WatchedFrame>
  watchers: number
}

interface Watcher {
  readonly feed: Feed
  readonly subscription: Broadcast.Subscription<WatchedFrame>
}

/** The gateway's watch feeds. Closing the scope ends every watcher's stream. */
const makeWatch = Effect.gen(function*() {
  const clock = yield* Effect.clock
  const feeds = new Map<string, Feed>()
  const counts = { watchers: 0, published: 0, delivered: 0, skipped: 0 }
  // Feeds are created and removed under this lock, so two first watchers of a topic share one.
  const lock = yield* Effect.makeSemaphore(1)

  /** `publish` for `frames[from..to)`, whose seqs start at `firstSeq`: nothing to do without watchers. */
  const publishAll = (frames: ReadonlyArray<Bytes.Bytes>, from: number, to: number, firstSeq: number) => {
    if (feeds.size === 0) return Effect.void
    let i = from
    return Effect.whileLoop({
      while: () => i < to,
      body: () => publish(frames[i]!, firstSeq + i - from),
      step: () => {
        i++
      }
    })
  }

  /** Called by ingest for every frame counted in `framesIn` (`seq` is its new value). */
  const publish = (frame: Bytes.Bytes, seq: number): Effect.Effect<void> => {
    if (feeds.size === 0) return Effect.void
    const parsed = Frame.parse(frame)
    if (Option.isNone(parsed)) return Effect.void
    const { payload, topic } = parsed.value
    const feed = feeds.get(topic)
    if (feed === undefined) return Effect.void
    counts.published++
    const watched: WatchedFrame = {
      topic,
      // A fresh, exact-size buffer: `new Uint8Array(view)` copies (a Node Buffer's `slice` would not).
      payload: new Uint8Array(Bytes.toUint8Array(payload)),
      seq,
      at: clock.unsafeCurrentTimeMillis(),
      skipped: 0
    }
    // "dropOldest" never waits. The only failure is ChannelClosed: the feed's last watcher left
    // after the lookup above, so there is nobody to deliver to.
    return Effect.ignore(Broadcast.send(feed.sender, watched))
  }

  const subscribe = (topic: string): Effect.Effect<Watcher> =>
    lock.withPermits(1)(Effect.gen(function*() {
      let feed = feeds.get(topic)
      let subscription: Broadcast.Subscription<WatchedFrame>
      if (feed === undefined) {
        const [sender, first] = yield* Effect.orDie(
          Broadcast.make<WatchedFrame>({ capacity: watchCapacity, lag: "dropOldest" })
        )
        feed = { sender, watchers: 0 }
        feeds.set(topic, feed)
        subscription = first
      } else {
        subscription = yield* Broadcast.subscribe(feed.sender)
      }
      feed.watchers++
      counts.watchers++
      return { feed, subscription }
    }))

  const unsubscribe = (topic: string, { feed, subscription }: Watcher): Effect.Effect<void> =>
    lock.withPermits(1)(Effect.suspend(() => {
      feed.watchers--
      counts.watchers--
      if (feed.watchers > 0) return Broadcast.unsubscribe(subscription)
      // The last watcher: the topic goes back to costing ingest nothing.
      if (feeds.get(topic) === feed) feeds.delete(topic)
      return Effect.zipRight(Broadcast.unsubscribe(subscription), Broadcast.close(feed.sender))
    }))

  /** One watcher's frames, in chunks of up to `watchBatch`; a lag is counted on the frame after it. */
  const frames = (subscription: Broadcast.Subscription<WatchedFrame>): Stream.Stream<WatchedFrame> => {
    let skipped = 0
    return Broadcast.toStream(subscription, { maxChunkSize: watchBatch }).pipe(
      Stream.filterMap((next) => {
        // A Lagged notice comes just before the oldest frame still retained (never the end).
        if (Either.isLeft(next)) {
          skipped += next.left.skipped
          counts.skipped += next.left.skipped
          return Option.none()
        }
        counts.delivered++
        if (skipped === 0) return Option.some(next.right)
        const lagged = { ...next.right, skipped }
        skipped = 0
        return Option.some(lagged)
      })
    )
  }

  const watchTopic = (topic: string): Stream.Stream<WatchedFrame> =>
    Stream.unwrapScoped(
      Effect.map(
        Effect.acquireRelease(subscribe(topic), (watcher) => unsubscribe(topic, watcher)),
        ({ subscription }) => frames(subscription)
      )
    )

  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      const open = Array.from(feeds.values())
      feeds.clear()
      return Effect.forEach(open, (feed) => Broadcast.close(feed.sender), { discard: true })
    })
  )

  const stats = (): WatchStats => ({ ...counts, topics: feeds.size })
  return { publish, publishAll, watchTopic, stats } as const
})
