/**
 * The `compress` plugin: deflates every batch's payloads with zlib — CPU-heavy work, there to be
 * moved off the event loop: each payload is deflated on its own (see `Compressor.ts`). With `--workers N` (N > 0) the plugin copies a batch's payloads out,
 * settles the batch at once (its arena slots free up), and sends them to one of N compressor
 * actors on worker threads (round-robin; their mailboxes backpressure the plugin) — gathered into
 * jobs of at least `jobBytes`, or whatever it holds when its mailbox is empty, because a job to a
 * worker has a fixed cost (Effect's worker protocol, a thread hand-off each way) that a batch of
 * 64 B frames cannot pay for. With `--workers 0` it deflates each batch on the main thread.
 *
 * Counting: `processed` is the frames the plugin took; `inline` what it deflated itself; each
 * worker's totals come from the worker (see `followTotals`); `dropped` the frames of batches
 * a stopping worker turned away. So `processed === inline.frames + Σ workers.frames + dropped`
 * once the workers are idle.
 */
import { Actor, type ActorSystem } from "@weft/actor"
import type { MessageArena } from "@weft/arena"
import { Bytes } from "@weft/bytes"
import type { Dispatcher } from "@weft/dispatch"
import { WorkerActor } from "@weft/worker"
import type { Scope } from "effect"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Frame from "../Frame.js"
import {
  CompressBatch,
  Compressor,
  CompressTotals,
  deflateRecords,
  noTotals,
  recordHeader,
  type Totals
} from "./Compressor.js"
import { compressEntry, spawnThread } from "./Threads.js"

/** One compressor on a worker thread: its ref and its last reported totals. */
export interface Worker {
  readonly id: number
  readonly ref: Actor.ActorRef<CompressBatch | CompressTotals>
  totals: Totals
}

/** The `compress` plugin's results. */
export interface CompressState {
  processed: number
  inline: { jobs: number; frames: number; bytesIn: number; bytesOut: number }
  dropped: number
  /** Started with the plugin (`--workers` of them), kept across its restarts. */
  readonly workers: Array<Worker>
  readonly workerCount: number
  turn: number
  /** Records copied out and not yet sent to a worker, and their frames. */
  readonly pending: Array<Uint8Array>
  pendingBytes: number
  pendingFrames: number
}

export const makeCompressState = (workerCount: number): CompressState => ({
  processed: 0,
  inline: { ...noTotals },
  dropped: 0,
  workers: [],
  workerCount,
  turn: 0,
  pending: [],
  pendingBytes: 0,
  pendingFrames: 0
})

/** A worker job gathers at least this many record bytes while the plugin has more queued. */
export const jobBytes = 256 * 1024

/** Batches a worker's mailbox holds before the plugin waits for it. */
const workerMailbox = 16

/** How long an idle worker's totals may be out of date. */
export const idleTotalsInterval = "100 millis"

/** Asks every worker for its totals; whether any of them changed. */
const pollTotals = (state: CompressState) =>
  Effect.reduce(
    state.workers,
    false,
    (changed, worker) =>
      Actor.ask(worker.ref, new CompressTotals(), { timeout: "60 seconds" }).pipe(
        Effect.map((totals) => {
          const moved = totals.jobs !== worker.totals.jobs
          worker.totals = totals
          return changed || moved
        }),
        Effect.orElseSucceed(() => changed)
      )
  )

/**
 * Keeps the workers' totals current. A totals ask waits behind the jobs already in the worker's
 * mailbox, so while the workers have work it is asked again as soon as it answers — the totals
 * then trail the last job by one ask, not by a polling interval; once nothing changes, every
 * `idleTotalsInterval`.
 */
export const followTotals = (state: CompressState): Effect.Effect<never> =>
  Effect.forever(
    Effect.flatMap(pollTotals(state), (changed) => changed ? Effect.void : Effect.sleep(idleTotalsInterval))
  )

/**
 * Starts the workers (once; the plugin may be removed and added again) in the current scope, and
 * a fiber that keeps their totals current (`followTotals`).
 */
export const startWorkers = (
  state: CompressState
): Effect.Effect<void, never, ActorSystem.ActorSystem | Scope.Scope> =>
  Effect.gen(function*() {
    if (state.workers.length > 0 || state.workerCount === 0) return
    for (let id = 0; id < state.workerCount; id++) {
      const ref = yield* WorkerActor.spawn(Compressor, {
        entry: compressEntry,
        spawn: spawnThread,
        name: `compress-worker-${id}`,
        mailbox: { capacity: workerMailbox, strategy: "suspend" },
        supervision: { strategy: "restart", restarts: Schedule.forever }
      }).pipe(Effect.orDie)
      state.workers.push({ id, ref, totals: noTotals })
    }
    yield* Effect.forkScoped(followTotals(state))
  })

/** The batch's payloads as records (see `CompressBatch`), copied out of the arena. */
const recordsOf = (
  frames: ReadonlyArray<Bytes.Bytes>,
  refs: ReadonlyArray<{ readonly index: number }>,
  index: Frame.Index
) => {
  let size = 0
  for (let i = 0; i < frames.length; i++) {
    size += recordHeader + Bytes.size(frames[i]!) - index.payloadStarts[refs[i]!.index]!
  }
  const records = new Uint8Array(size)
  const view = new DataView(records.buffer)
  let at = 0
  for (let i = 0; i < frames.length; i++) {
    const payload = Bytes.toUint8Array(frames[i]!).subarray(index.payloadStarts[refs[i]!.index]!)
    view.setUint32(at, payload.length)
    records.set(payload, at + recordHeader)
    at += recordHeader + payload.length
  }
  return records
}

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number) => {
  const all = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    all.set(chunk, at)
    at += chunk.length
  }
  return all
}

/** Sends what is pending to the next worker, as one job. */
const flush = (state: CompressState) =>
  Effect.suspend(() => {
    const frames = state.pendingFrames
    if (frames === 0) return Effect.void
    const records = concat(state.pending, state.pendingBytes)
    state.pending.length = 0
    state.pendingBytes = 0
    state.pendingFrames = 0
    const worker = state.workers[state.turn++ % state.workers.length]!
    return Actor.tell(worker.ref, new CompressBatch({ records: Bytes.fromUint8Array(records), frames })).pipe(
      Effect.catchAll(() => Effect.sync(() => (state.dropped += frames)))
    )
  })

/** `compress`: see the module documentation. */
export const compress = (arena: MessageArena.MessageArena.Service, index: Frame.Index, state: CompressState) =>
  Actor.behavior<Dispatcher.Deliveries>()({
    initialState: 0,
    handlers: {
      Deliveries: (batch, handled, { self }) =>
        arena.getAll(batch.refs).pipe(
          Effect.orDie,
          Effect.flatMap((frames) => {
            const records = recordsOf(frames, batch.refs, index)
            state.processed += frames.length
            if (state.workers.length === 0) {
              const { bytesIn, bytesOut } = deflateRecords(records)
              state.inline.jobs++
              state.inline.frames += frames.length
              state.inline.bytesIn += bytesIn
              state.inline.bytesOut += bytesOut
              return Effect.as(batch.settle, handled + frames.length)
            }
            state.pending.push(records)
            state.pendingBytes += records.length
            state.pendingFrames += frames.length
            // The payloads are copied out: the arena slots are free before the worker starts.
            return batch.settle.pipe(
              Effect.zipRight(Actor.mailboxSize(self)),
              Effect.flatMap((queued) => state.pendingBytes >= jobBytes || queued === 0 ? flush(state) : Effect.void),
              Effect.as(handled + frames.length)
            )
          })
        )
    }
  })
