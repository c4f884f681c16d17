/**
 * The gateway's plugins. Each is an actor whose messages are `Dispatcher.Deliveries`: a batch of
 * `MessageRef`s into the gateway's arena (the frames of one decoded chunk that fit in the arena
 * at once, see `Gateway`) and the `settle` that releases this plugin's share of all of them. One
 * handler run per batch: a plugin reads the batch with `getAll` and loops over the frames, with
 * no Effect per frame. A batch is settled as a whole, once the plugin is done with every frame of
 * it (for the sink: once they are durable).
 *
 * A plugin's results live in a plain mutable object owned by the plugin (only its handler
 * writes it). Readers outside the actor (`Gateway.snapshot`) copy what they need in one
 * synchronous step, so nobody downstream ever holds a reference into a plugin's state. The
 * object lives outside the actor's state on purpose: a supervised restart must not reset the
 * counters, nor forget frames the sink has written but not yet synced.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import { Actor } from "@weft/actor"
import type { MessageArena } from "@weft/arena"
import { Bytes } from "@weft/bytes"
import type { Dispatcher } from "@weft/dispatch"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Acks from "./Acks.js"
import * as Frame from "./Frame.js"
import { encodeRecords } from "./SinkFile.js"

/** Every plugin the gateway knows (`compress` lives in `workers/Compress.ts`: it can run on worker threads). */
export const pluginNames = ["stats", "topics", "checksum", "sink", "chaos", "slow", "compress"] as const

/** The plugins `pnpm demo` runs by default (`slow` is there to show backpressure on demand). */
export const defaultPlugins: ReadonlyArray<PluginName> = ["stats", "topics", "checksum", "sink", "chaos"]

/** @category models */
export type PluginName = typeof pluginNames[number]

/** Narrows a string to a plugin name. */
export const isPluginName = (name: string): name is PluginName => (pluginNames as ReadonlyArray<string>).includes(name)

type Arena = MessageArena.MessageArena.Service

/** What every plugin counts. */
export interface Processed {
  processed: number
}

/**
 * A plugin that does synchronous work per frame and settles each batch at once. It reads each
 * frame's topic and payload start from the gateway's frame index (ingest parsed the frame once
 * for every plugin), so a frame costs it no parsing and no allocation.
 */
const synchronous = (
  arena: Arena,
  index: Frame.Index,
  state: Processed,
  onFrame: (frame: Uint8Array, topic: string, payloadStart: number) => void
) =>
  Actor.behavior<Dispatcher.Deliveries>()({
    initialState: 0,
    handlers: {
      Deliveries: (batch, handled) =>
        arena.getAll(batch.refs).pipe(
          Effect.orDie,
          Effect.flatMap((frames) => {
            for (let i = 0; i < frames.length; i++) {
              const slot = batch.refs[i]!.index
              onFrame(Bytes.toUint8Array(frames[i]!), index.topics[slot]!, index.payloadStarts[slot]!)
              state.processed++
            }
            return Effect.as(batch.settle, handled + frames.length)
          })
        )
    }
  })

// ---------------------------------------------------------------------------------------------
// stats

/** Per-topic counters. */
export interface TopicCount {
  frames: number
  bytes: number
}

/** The `stats` plugin's results. */
export interface StatsState extends Processed {
  readonly topics: Map<string, TopicCount>
}

export const makeStatsState = (): StatsState => ({ processed: 0, topics: new Map() })

/** `stats`: frames and payload bytes per topic. */
export const stats = (arena: Arena, index: Frame.Index, state: StatsState) =>
  synchronous(arena, index, state, (frame, topic, payloadStart) => {
    const entry = state.topics.get(topic)
    const size = frame.length - payloadStart
    if (entry === undefined) state.topics.set(topic, { frames: 1, bytes: size })
    else {
      entry.frames++
      entry.bytes += size
    }
  })

// ---------------------------------------------------------------------------------------------
// topics

/** The `topics` plugin's results: decayed counts, so the ranking follows recent traffic. */
export interface TopicsState extends Processed {
  readonly scores: Map<string, number>
  /** Every `window` frames, all scores are halved (and tiny ones dropped). */
  readonly window: number
}

export const makeTopicsState = (window = 10_000): TopicsState => ({ processed: 0, scores: new Map(), window })

/** `topics`: a rolling top-N of topics by recent frame count. */
export const topics = (arena: Arena, index: Frame.Index, state: TopicsState) =>
  synchronous(arena, index, state, (_, topic) => {
    state.scores.set(topic, (state.scores.get(topic) ?? 0) + 1)
    if ((state.processed + 1) % state.window === 0) {
      for (const [topic, score] of state.scores) {
        if (score < 1) state.scores.delete(topic)
        else state.scores.set(topic, score / 2)
      }
    }
  })

/** The `n` topics with the highest recent scores, best first (a copy). */
export const topN = (
  state: TopicsState,
  n: number
): ReadonlyArray<{ readonly topic: string; readonly score: number }> =>
  Array.from(state.scores, ([topic, score]) => ({ topic, score }))
    .sort((a, b) => b.score - a.score || (a.topic < b.topic ? -1 : 1))
    .slice(0, n)

// ---------------------------------------------------------------------------------------------
// checksum

/** The `checksum` plugin's results. */
export interface ChecksumState extends Processed {
  /** XOR of every payload's CRC-32: independent of arrival order. */
  combined: number
  /** Payloads whose CRC-32 was seen among the last `remember` payloads. */
  duplicates: number
  readonly recent: Set<number>
  readonly order: Array<number>
  readonly remember: number
}

export const makeChecksumState = (remember = 4096): ChecksumState => ({
  processed: 0,
  combined: 0,
  duplicates: 0,
  recent: new Set(),
  order: [],
  remember
})

/** `checksum`: CRC-32 of each payload, with duplicate detection over a bounded window. */
export const checksum = (arena: Arena, index: Frame.Index, state: ChecksumState) =>
  synchronous(arena, index, state, (frame, _, payloadStart) => {
    const crc = Frame.crc32(frame, payloadStart)
    state.combined = (state.combined ^ crc) >>> 0
    if (state.recent.has(crc)) {
      state.duplicates++
      return
    }
    state.recent.add(crc)
    state.order.push(crc)
    if (state.order.length > state.remember) state.recent.delete(state.order.shift()!)
  })

// ---------------------------------------------------------------------------------------------
// chaos

/** The defect the `chaos` plugin crashes with. */
export class ChaosCrash extends Data.TaggedError("ChaosCrash")<{
  /** The every-th frame the crash is for (counted from 1, over every frame chaos has seen). */
  readonly sequence: number
  /** Frames in the batch that crashed with it. */
  readonly frames: number
}> {
  override get message() {
    return `chaos: deliberate crash on frame #${this.sequence} (its batch of ${this.frames} frames is lost to chaos)`
  }
}

/** The `chaos` plugin's results. */
export interface ChaosState extends Processed {
  /** Frames seen, including the ones of the batches it crashed on. */
  seen: number
  /** Batches it crashed on (each one `Crashed` dead letter and one restart). */
  crashes: number
  /** Frames of the batches it crashed on: `processed + crashedFrames === seen`. */
  crashedFrames: number
  /** Crash on the batch holding every `every`-th frame; 0 never crashes. */
  readonly every: number
}

export const makeChaosState = (every: number): ChaosState => ({
  processed: 0,
  seen: 0,
  crashes: 0,
  crashedFrames: 0,
  every
})

/**
 * `chaos`: crashes on the batch that holds every `every`-th frame it sees. The whole batch is lost
 * to chaos (none of its frames counts as processed here; the other plugins got their own copy of
 * it and are unaffected): it becomes one `Crashed` dead letter (which settles it) and supervision
 * restarts the actor. A batch holding several every-th frames (a batch longer than `every`) is
 * still one crash.
 */
export const chaos = (arena: Arena, state: ChaosState) =>
  Actor.behavior<Dispatcher.Deliveries>()({
    initialState: 0,
    handlers: {
      Deliveries: (batch, handled) => {
        const before = state.seen
        state.seen += batch.refs.length
        // The batch holds an every-th frame: the whole batch crashes with it.
        if (state.every > 0 && Math.floor(state.seen / state.every) > Math.floor(before / state.every)) {
          state.crashes++
          state.crashedFrames += batch.refs.length
          const sequence = (Math.floor(before / state.every) + 1) * state.every
          return Effect.die(new ChaosCrash({ sequence, frames: batch.refs.length }))
        }
        return arena.getAll(batch.refs).pipe(
          Effect.orDie,
          Effect.map((frames) => {
            state.processed += frames.length
          }),
          Effect.zipRight(batch.settle),
          Effect.as(handled + batch.refs.length)
        )
      }
    }
  })

// ---------------------------------------------------------------------------------------------
// slow

/** The `slow` plugin's results. */
export interface SlowState extends Processed {
  /** Time spent per frame. */
  readonly delay: Duration.Duration
}

export const makeSlowState = (delay: Duration.DurationInput): SlowState => ({
  processed: 0,
  delay: Duration.decode(delay)
})

/**
 * `slow`: spends `delay` (on the Clock) per frame, one sleep per batch. Its lane fills, the dispatcher waits for
 * it, the arena fills, ingest stops reading: it shows backpressure reaching the TCP clients.
 */
export const slow = (arena: Arena, state: SlowState) =>
  Actor.behavior<Dispatcher.Deliveries>()({
    initialState: 0,
    handlers: {
      Deliveries: (batch, handled) =>
        arena.getAll(batch.refs).pipe(
          Effect.orDie,
          Effect.zipRight(Effect.sleep(Duration.times(state.delay, batch.refs.length))),
          Effect.map(() => {
            state.processed += batch.refs.length
          }),
          Effect.zipRight(batch.settle),
          Effect.as(handled + batch.refs.length)
        )
    }
  })

// ---------------------------------------------------------------------------------------------
// sink

/** What the sink needs of its file: a platform `File` opened for appending. */
export type SinkFile = Pick<FileSystem.File, "writeAll" | "sync" | "truncate">

/** A batch could not be made durable (it is retried until it is). */
export class SinkWriteFailed extends Data.TaggedError("SinkWriteFailed")<{
  readonly step: "truncate" | "write" | "sync"
  readonly frames: number
  readonly cause: unknown
}> {
  override get message() {
    return `sink: ${this.step} of a batch of ${this.frames} frames failed (retrying): ${String(this.cause)}`
  }
}

/** The `sink` plugin's results, and the frames it holds until they are durable. */
export interface SinkState extends Processed {
  /** Frames written and fsynced to the file: only these are acked. */
  acked: number
  bytesWritten: number
  syncs: number
  /** Attempts to make a batch durable that failed (each batch is retried until it succeeds). */
  writeFailures: number
  /** The file's length up to the end of the last fsynced batch. */
  durableSize: number
  /**
   * The file may hold bytes past `durableSize` (a write or fsync failed, or was cut off): they
   * are truncated away before the next attempt and when the file is closed, so a frame is never
   * in the file twice, nor in it without having been acked.
   */
  dirty: boolean
  /**
   * Received batches whose frames are not yet durable, in arrival order (the sink still holds
   * their refs; each is settled once all its frames are durable).
   */
  pending: Array<{ readonly settle: Effect.Effect<void> }>
  /** The frames not yet durable, in arrival order (every frame of every pending batch). */
  frames: Array<Bytes.Bytes>
  /**
   * Their ack facts, copied from the frame table on arrival: after a crash a batch is
   * dead-lettered and its slots may be reused, but its frames are still written and acked.
   */
  facts: {
    connectionOf: Uint32Array
    sequenceOf: Float64Array
    decodedAt: Float64Array
  }
  /** Frames pending make a write once they are this many (or the mailbox is empty). */
  readonly batch: number
  /** The bytes of the frames pending (not yet durable). */
  pendingBytes: number
  /** Frames pending make a write once they weigh this much, however few they are. */
  readonly batchBytes: number
}

const makeFacts = (size: number) => ({
  connectionOf: new Uint32Array(size),
  sequenceOf: new Float64Array(size),
  decodedAt: new Float64Array(size)
})

/** The sink's state for a file whose current length is `durableSize`. */
export const makeSinkState = (batch: number, durableSize = 0, batchBytes = Number.POSITIVE_INFINITY): SinkState => ({
  processed: 0,
  acked: 0,
  bytesWritten: 0,
  syncs: 0,
  writeFailures: 0,
  durableSize,
  dirty: false,
  pending: [],
  frames: [],
  facts: makeFacts(batch),
  batch,
  pendingBytes: 0,
  batchBytes
})

/** Takes a frame (in arena slot `slot`) into the pending write, with its ack facts. */
const enqueue = (state: SinkState, acks: Acks.Ledger, slot: number, frame: Bytes.Bytes) => {
  const i = state.frames.length
  if (i === state.facts.connectionOf.length) {
    // Batches are as long as a decoded chunk, so one can carry the pending frames past `batch`
    // (and a crash between taking a batch and flushing can too): grow by doubling.
    const grown = makeFacts(i * 2)
    grown.connectionOf.set(state.facts.connectionOf)
    grown.sequenceOf.set(state.facts.sequenceOf)
    grown.decodedAt.set(state.facts.decodedAt)
    state.facts = grown
  }
  state.facts.connectionOf[i] = acks.connectionOf[slot]!
  state.facts.sequenceOf[i] = acks.sequenceOf[slot]!
  state.facts.decodedAt[i] = acks.decodedAt[slot]!
  state.frames.push(frame)
  state.pendingBytes += Bytes.size(frame)
}

/**
 * One attempt to append `buffer` and fsync it, undoing first what a failed attempt left.
 *
 * Why fsync (`File.sync`, all the platform's `File` offers) and not fdatasync: each batch appends,
 * so the file's size changes and fdatasync has to commit that metadata too; measured on ext4,
 * fdatasync was never faster (docs/demo.md, "Through @effect/platform").
 */
const appendDurably = (file: SinkFile, state: SinkState, buffer: Uint8Array, frames: number) => {
  const failed = (step: SinkWriteFailed["step"]) => (cause: unknown) => new SinkWriteFailed({ step, frames, cause })
  return Effect.gen(function*() {
    if (state.dirty) yield* Effect.mapError(file.truncate(state.durableSize), failed("truncate"))
    state.dirty = true
    yield* Effect.mapError(file.writeAll(buffer), failed("write"))
    yield* Effect.mapError(file.sync, failed("sync"))
    state.dirty = false
  })
}

/** Between failed attempts: 10 ms, doubling, at most 1 s. */
const retrySchedule = Schedule.exponential("10 millis").pipe(Schedule.union(Schedule.spaced("1 second")))

/**
 * Appends the pending frames (as `SinkFile` records: length, CRC-32, frame), fsyncs, then acks and settles
 * them. A failed attempt is logged, counted and retried (after truncating the file back to its
 * durable length) until it succeeds: meanwhile the sink takes nothing new, so backpressure
 * reaches the clients, and no frame is acked.
 *
 * Cancellation safety: an attempt and its commit (counting, acks, settling) are uninterruptible,
 * so a frame is acked if and only if its batch was fsynced; an interruption between attempts
 * leaves the batch pending and the file marked dirty.
 */
export const flushSink = (file: SinkFile, state: SinkState, acks: Acks.Ledger): Effect.Effect<void> =>
  Effect.suspend(() => {
    const count = state.frames.length
    if (count === 0) return Effect.void
    const buffer = encodeRecords(state.frames)
    const size = buffer.length
    const commit = Effect.suspend(() => {
      // The frames are durable: only now are they acked, and their arena shares released.
      const batches = state.pending
      state.pending = []
      state.frames = []
      state.pendingBytes = 0
      state.durableSize += size
      state.acked += count
      state.bytesWritten += size
      state.syncs++
      Acks.confirm(acks, state.facts, count)
      return Effect.forEach(batches, (batch) => batch.settle, { discard: true })
    })
    return appendDurably(file, state, buffer, count).pipe(
      Effect.zipRight(commit),
      Effect.uninterruptible,
      Effect.tapError((error) =>
        Effect.zipRight(
          Effect.sync(() => {
            state.writeFailures++
          }),
          Effect.logWarning(error.message)
        )
      ),
      Effect.retry(retrySchedule),
      // The schedule never ends: the only way out of the retries is success (or interruption).
      Effect.orDie
    )
  })

/**
 * `sink`: appends every frame to the log file. Writes are batched (group commit): the batch is
 * written and fsynced when it reaches `batch` frames or when the mailbox is empty, and frames
 * are acked (settled, and acked to their clients) only after their fsync. A graceful stop
 * flushes what is left.
 */
export const sink = (arena: Arena, file: SinkFile, state: SinkState, acks: Acks.Ledger) =>
  Actor.behavior<Dispatcher.Deliveries>()({
    initialState: 0,
    handlers: {
      Deliveries: (batch, handled, { self }) =>
        arena.getAll(batch.refs).pipe(
          Effect.orDie,
          Effect.flatMap((frames) => {
            for (let i = 0; i < frames.length; i++) enqueue(state, acks, batch.refs[i]!.index, frames[i]!)
            state.pending.push(batch)
            state.processed += frames.length
            return state.frames.length >= state.batch || state.pendingBytes >= state.batchBytes
              ? flushSink(file, state, acks)
              : Effect.flatMap(
                Actor.mailboxSize(self),
                (queued) => queued === 0 ? flushSink(file, state, acks) : Effect.void
              )
          }),
          Effect.as(handled + 1)
        )
    },
    onStop: () => flushSink(file, state, acks)
  })

/**
 * Before the sink file closes: truncates what a failed or cut-off attempt may have left past the
 * durable length (so the file holds exactly the acked frames), then syncs. The file itself closes
 * with the scope it was opened in.
 */
export const closeSinkFile = (file: SinkFile, state: SinkState): Effect.Effect<void> =>
  Effect.zipRight(state.dirty ? file.truncate(state.durableSize) : Effect.void, file.sync).pipe(Effect.orDie)
