/**
 * The gateway's plugin host: the plugin actors, one per running plugin, behind a broadcast
 * Dispatcher; adding and removing plugins at runtime; and stopping them at shutdown (the sink
 * drains, the others stop after their current batch).
 */
import { Actor, ActorSystem } from "@weft/actor"
import type { MessageArena } from "@weft/arena"
import { Semaphore } from "@weft/channel"
import { Dispatcher } from "@weft/dispatch"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Acks from "../Acks.js"
import type * as Frame from "../Frame.js"
import * as Plugins from "../Plugins.js"
import * as Compress from "../workers/Compress.js"
import { type Config, PluginAlreadyRunning, PluginNotRunning } from "./Config.js"
import type { ExtraPlugin } from "./ExtraPlugins.js"

/** A running plugin: its actor, and the results it counts. */
export interface Running {
  /** A `Plugins.PluginName`, or an extra plugin's name. */
  readonly name: string
  readonly ref: Actor.ActorRef<Dispatcher.Deliveries>
  readonly state: Plugins.Processed
}

/** What the host needs: the arena frames live in, and the sink's file, state and ack ledger. */
export interface Deps {
  readonly config: Config
  readonly arena: MessageArena.MessageArena.Service
  readonly frameIndex: Frame.Index
  readonly file: Plugins.SinkFile
  readonly sinkState: Plugins.SinkState
  readonly acks: Acks.Ledger
  /** Started after `config.plugins`; they drain at shutdown. */
  readonly extra: ReadonlyArray<ExtraPlugin>
}

/**
 * Starts `config.plugins` in the current scope and returns the host. Closing the scope stops
 * every plugin: the sink drains (its last batch is written, fsynced and acked), the others stop
 * after their current batch and dead-letter what is queued (`ActorStopped`).
 */
export const make = ({ acks, arena, config, extra, file, frameIndex, sinkState }: Deps) =>
  Effect.gen(function*() {
    const statsState = Plugins.makeStatsState()
    const topicsState = Plugins.makeTopicsState()
    const checksumState = Plugins.makeChecksumState()
    const chaosState = Plugins.makeChaosState(config.chaosEvery)
    const slowState = Plugins.makeSlowState(config.slowDelay)
    const compressState = Compress.makeCompressState(config.workers)

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
      slow: { behavior: Plugins.slow(arena, slowState), state: slowState },
      compress: { behavior: Compress.compress(arena, frameIndex, compressState), state: compressState }
    } satisfies Record<Plugins.PluginName, unknown>

    // Plugins are spawned in the gateway's scope, whether at start or later through addPlugin.
    const scope = yield* Effect.scope
    const system = yield* ActorSystem.ActorSystem
    const running: Array<Running> = []
    const start = (name: string) =>
      Effect.gen(function*() {
        const { spawn, state } = Plugins.isPluginName(name)
          ? { spawn: (options: Actor.SpawnOptions) => Actor.spawn(plugins[name].behavior, options), ...plugins[name] }
          : extra.find((plugin) => plugin.name === name)!.make({ arena, frameIndex })
        // Its worker threads start with it, before its first batch, and live as long as the gateway.
        if (name === "compress") yield* Compress.startWorkers(compressState)
        // The name is free: it is only reused after the previous plugin of that name terminated.
        const ref = yield* Effect.orDie(spawn(spawnOptions(name)))
        yield* Dispatcher.add(dispatcher, ref)
        running.push({ name, ref, state })
        // After `Dispatcher.add`: every frame counted as sent to the sink does reach it.
        if (name === "sink") Acks.sinkStarted(acks)
      }).pipe(
        Scope.extend(scope),
        Effect.provideService(ActorSystem.ActorSystem, system)
      )
    const stop = (plugin: Running) => Actor.stop(plugin.ref, { mode: "drain", timeout: config.drainTimeout })
    // At shutdown only the sink finishes its queue: its frames are acked to clients. The others'
    // results die with the process, so they stop after their current batch (the queued ones are
    // dead-lettered "ActorStopped", which settles them): a slow plugin's backlog — up to the
    // whole arena, 8192 frames, at 1 ms each under --slow-delay 1 — no longer holds shutdown.
    const stopAtShutdown = (plugin: Running) =>
      plugin.name === "sink" || !Plugins.isPluginName(plugin.name)
        ? stop(plugin)
        : Actor.stop(plugin.ref, { mode: "stop", timeout: config.drainTimeout })

    for (const name of config.plugins) yield* start(name)
    for (const plugin of extra) yield* start(plugin.name)
    // Graceful shutdown, step 2 (runs after the listener closed and the connections stopped
    // reading; see Gateway.make): the sink finishes its queue, its onStop writes and fsyncs its last batch, and
    // acks it to the connections still open; the other plugins stop after their current batch.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => Effect.forEach(running, stopAtShutdown, { concurrency: "unbounded", discard: true }))
    )

    // Adding and removing plugins at runtime, one change at a time.
    const changes = Semaphore.unsafeMake(1)
    const addPlugin = (name: Plugins.PluginName) =>
      Semaphore.withPermit(changes)(Effect.suspend(() =>
        running.some((plugin) => plugin.name === name)
          ? Effect.fail(new PluginAlreadyRunning({ plugin: name }))
          : start(name)
      ))
    const removePlugin = (name: Plugins.PluginName) =>
      Semaphore.withPermit(changes)(Effect.suspend(() => {
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

    return {
      dispatcher,
      /** The plugins running now, in the order they were started. */
      running: running as ReadonlyArray<Running>,
      states: {
        stats: statsState,
        topics: topicsState,
        checksum: checksumState,
        chaos: chaosState,
        compress: compressState
      },
      addPlugin,
      removePlugin
    }
  })

/** The running plugin host. */
export type PluginHost = Effect.Effect.Success<ReturnType<typeof make>>
