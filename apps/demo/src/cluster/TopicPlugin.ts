/**
 * The `cluster` plugin and its flusher: the plugin counts each dispatched batch's frames (and
 * payload bytes) per topic and settles the batch at once; every `flushInterval` the flusher closes
 * the counts gathered so far into a generation with an id of its own and tells each topic's `Topic`
 * entity its share, `CountFrames { topic, batch: <generation id>, frames, bytes }`.
 *
 * So the cluster costs the gateway one tell per topic per flush, whatever the ingest rate, and
 * ingest never waits for it. A generation is dropped only once every one of its tells was taken by
 * the cluster (saved in PostgreSQL message storage); until then it is sent again, whole and under
 * the same id — the entities' (topic, batch) key makes a resend harmless. While the gateway
 * process lives, no counted frame is lost; frames the flusher had not handed over when the
 * gateway crashed are (the sink's acks do not wait for the cluster: see docs/demo.md).
 *
 * Cancellation safety: an interrupted flush leaves its generation queued, to be sent again by the
 * next flush (the final one runs when the cluster mode closes).
 */
import { Actor } from "@weft/actor"
import { ClusterEntity } from "@weft/cluster"
import type { Dispatcher } from "@weft/dispatch"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { PluginDeps } from "../gateway/ExtraPlugins.js"
import type * as Plugins from "../Plugins.js"
import { CountFrames, type TopicTotals } from "./TopicEntity.js"

interface Counts {
  frames: number
  bytes: number
}

/** Counts not yet taken by the cluster, with the plugin's counters. Outside the actor: a restart keeps them. */
export interface State extends Plugins.Processed {
  /** Counted since the last flush. */
  current: Map<string, Counts>
  /** Closed generations not yet taken whole, oldest first. */
  readonly unsent: Array<{ readonly batch: string; readonly perTopic: Map<string, Counts> }>
  nextGeneration: number
  /** Generations taken whole. */
  flushes: number
  /** Tells taken by the cluster. */
  tells: number
  /** Tells the cluster turned away and that were sent again. */
  retries: number
}

export const makeState = (): State => ({
  processed: 0,
  current: new Map(),
  unsent: [],
  nextGeneration: 0,
  flushes: 0,
  tells: 0,
  retries: 0
})

/** Frames counted but not yet taken by the cluster. */
export const pendingFrames = (state: State): number => {
  let frames = 0
  for (const counts of state.current.values()) frames += counts.frames
  for (const generation of state.unsent) for (const counts of generation.perTopic.values()) frames += counts.frames
  return frames
}

/** The plugin: counts per topic, settles each batch at once. */
export const behavior = ({ arena, frameIndex }: PluginDeps, state: State) =>
  Actor.behavior<Dispatcher.Deliveries>()({
    initialState: 0,
    handlers: {
      Deliveries: (batch, handled) =>
        Effect.flatMap(Effect.orDie(arena.getAll(batch.refs)), (frames) => {
          for (let i = 0; i < frames.length; i++) {
            const slot = batch.refs[i]!.index
            const topic = frameIndex.topics[slot]!
            const bytes = frames[i]!.length - frameIndex.payloadStarts[slot]!
            const counts = state.current.get(topic)
            if (counts === undefined) state.current.set(topic, { frames: 1, bytes })
            else {
              counts.frames++
              counts.bytes += bytes
            }
          }
          state.processed += frames.length
          return Effect.as(batch.settle, handled + frames.length)
        })
    }
  })

/** A topic's entity ref (cached by the caller). */
export type RefFor = (topic: string) => Effect.Effect<ClusterEntity.EntityRef<CountFrames | TopicTotals>>

/**
 * Closes the current generation (if it counted anything), then sends every unsent generation,
 * oldest first; a tell the cluster turns away is retried every 200 ms until it is taken.
 * `runId` makes generation ids unique across gateway runs that share a database.
 */
export const flush = (state: State, refFor: RefFor, runId: string): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (state.current.size > 0) {
      state.unsent.push({ batch: `${runId}:${state.nextGeneration++}`, perTopic: state.current })
      state.current = new Map()
    }
    return Effect.whileLoop({
      while: () => state.unsent.length > 0,
      body: () => {
        const generation = state.unsent[0]!
        return Effect.forEach(generation.perTopic, ([topic, counts]) =>
          Effect.flatMap(refFor(topic), (ref) =>
            ClusterEntity.tell(ref, new CountFrames({ topic, batch: generation.batch, ...counts })).pipe(
              Effect.tapError(() =>
                Effect.sync(() =>
                  state.retries++
                )
              ),
              // The schedule never ends: the tell is retried until it is taken or the flush is interrupted.
              Effect.retry(Schedule.spaced("200 millis")),
              Effect.orDie,
              Effect.tap(() => Effect.sync(() => state.tells++))
            )), { concurrency: "unbounded", discard: true }).pipe(
            Effect.tap(() =>
              Effect.sync(() => {
                state.unsent.shift()
                state.flushes++
              })
            )
          )
      },
      step: () => {}
    })
  })
