/**
 * The gateway at one instant: an owned `Snapshot` of every number the HTTP API and the dashboard
 * show, and the publication of the counters kept in plain fields to their Effect metrics.
 */
import { Actor, ActorSystem } from "@weft/actor"
import type { MessageArena } from "@weft/arena"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Acks from "../Acks.js"
import * as LatencyWindow from "../LatencyWindow.js"
import * as Plugins from "../Plugins.js"
import {
  ackedMetric,
  bytesInMetric,
  counterFeed,
  type Counters,
  framesInMetric,
  recentLatencySeconds,
  residentMemoryMetric,
  type Snapshot
} from "./Counters.js"
import type { PluginHost } from "./PluginHost.js"

/** What a snapshot reads. */
export interface Deps {
  readonly startedAt: number
  readonly arena: MessageArena.MessageArena.Service
  readonly system: ActorSystem.ActorSystem.Service
  readonly host: PluginHost
  readonly counters: Counters
  readonly sinkState: Plugins.SinkState
  readonly acks: Acks.Ledger
  readonly recentLatency: LatencyWindow.LatencyWindow
}

/** `publish` brings the Effect metrics up to date; `snapshot` takes one (publishing first). */
export const make = ({ acks, arena, counters, host, recentLatency, sinkState, startedAt, system }: Deps) => {
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
      const mailboxes = yield* Effect.forEach(host.running, ({ ref }) => Actor.mailboxSize(ref))
      const compress = host.states.compress
      const workers = yield* Effect.forEach(compress.workers, (worker) =>
        Effect.map(Actor.mailboxSize(worker.ref), (mailbox) => ({
          id: worker.id,
          mailbox,
          jobs: worker.totals.jobs,
          frames: worker.totals.frames
        })))
      const deadLetterTotal = yield* ActorSystem.deadLetterCount
      const memory = process.memoryUsage()
      const plugins: Record<string, { mailbox: number; processed: number }> = {}
      host.running.forEach(({ name, state }, i) => {
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
        systemEventsLost: counters.systemEventsLost,
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
        topTopics: Plugins.topN(host.states.topics, options?.top ?? 10),
        topicStats: Object.fromEntries(Array.from(host.states.stats.topics, ([topic, count]) => [topic, { ...count }])),
        checksum: {
          combined: host.states.checksum.combined.toString(16).padStart(8, "0"),
          duplicates: host.states.checksum.duplicates
        },
        compress: {
          processed: compress.processed,
          inlineFrames: compress.inline.frames,
          dropped: compress.dropped,
          bytesIn: compress.workers.reduce((sum, worker) =>
            sum + worker.totals.bytesIn, compress.inline.bytesIn),
          bytesOut: compress.workers.reduce((sum, worker) =>
            sum + worker.totals.bytesOut, compress.inline.bytesOut)
        },
        workers,
        sink: {
          acked: sinkState.acked,
          pending: sinkState.frames.length,
          syncs: sinkState.syncs,
          bytes: sinkState.bytesWritten,
          writeFailures: sinkState.writeFailures
        },
        latency: Acks.summarize(Acks.latency(acks)),
        recentLatency: { ...LatencyWindow.summarize(recentLatency), windowSeconds: recentLatencySeconds },
        memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed }
      }
      return result
    }).pipe(Effect.provideService(ActorSystem.ActorSystem, system))

  return { publish, snapshot }
}
