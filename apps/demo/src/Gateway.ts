/**
 * The gateway service: TCP ingest → LengthDelimited decode → MessageArena → Dispatcher →
 * plugin actors. `Gateway.layer(config)` owns everything; closing it shuts down gracefully.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { ActorSystem } from "@weft/actor"
import { MessageArena } from "@weft/arena"
import type { Stream } from "effect"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Acks from "./Acks.js"
import * as Frame from "./Frame.js"
import {
  type Config,
  type InvalidConfig,
  type ListenFailed,
  type PluginAlreadyRunning,
  type PluginNotRunning,
  SinkOpenFailed,
  validate
} from "./gateway/Config.js"
import * as Connections from "./gateway/Connections.js"
import { type Counters, recentLatencySeconds, type Snapshot } from "./gateway/Counters.js"
import { ExtraPlugins } from "./gateway/ExtraPlugins.js"
import * as Ingest from "./gateway/Ingest.js"
import * as PluginHost from "./gateway/PluginHost.js"
import * as Snapshots from "./gateway/Snapshot.js"
import * as SystemEvents from "./gateway/SystemEvents.js"
import { makeWatch, type WatchedFrame, type WatchStats } from "./gateway/TopicWatch.js"
import * as LatencyWindow from "./LatencyWindow.js"
import * as Plugins from "./Plugins.js"
import * as SinkFile from "./SinkFile.js"

export {
  type Config,
  ConnectionLimit,
  defaults,
  describeListenError,
  InvalidConfig,
  ListenFailed,
  PluginAlreadyRunning,
  PluginNotRunning,
  SinkOpenFailed
} from "./gateway/Config.js"
export {
  type ConnectionError,
  type ConnectionFailure,
  type Counters,
  peerOf,
  recentFailures,
  type Snapshot
} from "./gateway/Counters.js"
export { type ExtraPlugin, ExtraPlugins } from "./gateway/ExtraPlugins.js"
export { handOff, type HandOffEvents } from "./gateway/HandOff.js"
export { watchCapacity, type WatchedFrame, type WatchStats } from "./gateway/TopicWatch.js"

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
  /** The plugins running now, in the order they were started (extra plugins last). */
  readonly plugins: () => ReadonlyArray<string>
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
  /** The gateway's actor system (the dashboard follows its lifecycle events and dead letters). */
  readonly system: ActorSystem.ActorSystem.Service
}>() {}

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
      systemEventsLost: 0,
      failures: []
    }
    const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)

    // Dead letters and restarts, counted from the start. Subscribed before any actor exists;
    // on shutdown the followers read what is still in their subscriptions before they stop.
    const lost = (skipped: number) => {
      counters.systemEventsLost += skipped
    }
    yield* SystemEvents.follow(yield* ActorSystem.subscribeDeadLetters, {
      onEvent: (letter) => bump(counters.deadLetters, letter.reason),
      onLagged: lost
    })
    yield* SystemEvents.follow(yield* ActorSystem.subscribeLifecycle, {
      onEvent: (event) => {
        if (event._tag === "Restarted") bump(counters.restarts, event.actor.name)
      },
      onLagged: lost
    })

    // The sink file: opened first, so it is closed last (after every plugin has drained). Opening
    // cuts a torn tail a crash left (see SinkFile); the end of its last whole record is where the
    // sink's first batch goes. Before it closes, anything a failed write left past the last
    // fsynced batch is truncated.
    const { file, size } = yield* SinkFile.open(config.sinkPath).pipe(
      Effect.mapError((error) => new SinkOpenFailed({ path: config.sinkPath, cause: error.message }))
    )
    const sinkState = Plugins.makeSinkState(config.sinkBatch, size, config.sinkBatchBytes)
    yield* Effect.addFinalizer(() => Plugins.closeSinkFile(file, sinkState))
    // Per-frame ack facts, indexed by arena slot; the clock is read once per decoded chunk.
    const clock = yield* Effect.clock
    const acks = Acks.make(config.arenaCapacity, () => Number(clock.unsafeCurrentTimeNanos()) / 1e6)
    const frameIndex = Frame.makeIndex(config.arenaCapacity)
    // The recent latency, moved on every second.
    const recentLatency = LatencyWindow.make(Acks.durableLatencies, recentLatencySeconds)
    yield* Effect.forkScoped(
      Effect.repeat(Effect.sync(() => LatencyWindow.rotate(recentLatency)), Schedule.spaced("1 second"))
    )

    // Graceful shutdown, step 3 (after the plugins drained): the connections that stopped reading
    // at step 1 but still wait for acks get their last one, then are closed.
    const lingering = yield* Connections.lingering
    // Step 2 is the host's: closing its scope stops the plugins.
    const extra = yield* Effect.serviceOption(ExtraPlugins)
    const host = yield* PluginHost.make({
      config,
      arena,
      frameIndex,
      file,
      sinkState,
      acks,
      extra: Option.getOrElse(extra, () => [])
    })
    const ingestChunk = Ingest.make({ arena, dispatcher: host.dispatcher, frameIndex, acks, counters, watch })
    // Step 1: stop accepting, then stop reading the connections.
    const address = yield* Connections.listen({ config, acks, counters, ingestChunk, lingering })
    const system = yield* ActorSystem.ActorSystem
    const { publish, snapshot } = Snapshots.make({
      startedAt,
      arena,
      system,
      host,
      counters,
      sinkState,
      acks,
      recentLatency
    })

    yield* Effect.logInfo(`TCP ingest on ${address.address}:${address.port}`)
    return {
      config,
      tcpAddress: { host: address.address, port: address.port },
      counters,
      sink: sinkState,
      chaos: host.states.chaos,
      snapshot,
      publishMetrics: publish,
      addPlugin: host.addPlugin,
      removePlugin: host.removePlugin,
      plugins: () => host.running.map((plugin) => plugin.name),
      sseClients: 0,
      watchTopic: watch.watchTopic,
      watchStats: watch.stats,
      system
    }
  })

/**
 * The gateway, with its own actor system and message arena. Closing the layer shuts down
 * gracefully: stop accepting, stop reading the connections, drain every plugin (the sink writes
 * and fsyncs its last batch), write each connection that asked for acks its last ack and close
 * the connections, close the sink file, stop the actor system, close the arena.
 */
export const layer = (config: Config): Layer.Layer<Gateway, InvalidConfig | ListenFailed | SinkOpenFailed> =>
  // Validated before any layer is built, so a bad option is an InvalidConfig, not a defect.
  Layer.unwrapEffect(Effect.as(validate(config), layer_(config)))

const layer_ = (config: Config): Layer.Layer<Gateway, InvalidConfig | ListenFailed | SinkOpenFailed> =>
  Layer.scoped(Gateway, make(config)).pipe(
    Layer.provide(Layer.mergeAll(
      NodeFileSystem.layer,
      // `drainTimeout` is validated above; the buffer is a constant: the system's options are valid.
      ActorSystem.layer({ stopTimeout: config.drainTimeout, deadLetterBuffer: 1 << 16 }).pipe(Layer.orDie),
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
