/**
 * The `compress` plugin: deflates every batch's payloads with zlib — CPU-heavy work, there to be
 * moved off the event loop. With `--workers N` (N > 0) the plugin copies a batch's payloads into
 * one buffer, settles the batch at once (its arena slots free up) and tells one of N compressor
 * actors on worker threads (round-robin; their mailboxes backpressure the plugin); with
 * `--workers 0` it deflates on the main thread.
 *
 * Counting: `processed` is the frames the plugin took; `inline` what it deflated itself; each
 * worker's totals come from the worker (asked every 100 ms); `dropped` the frames of batches
 * a stopping worker turned away. So `processed === inline.frames + Σ workers.frames + dropped`
 * once the workers are idle.
 */
import { Actor, type ActorSystem } from "@weft/actor"
import type { MessageArena } from "@weft/arena"
import { Bytes } from "@weft/bytes"
import type { Dispatcher } from "@weft/dispatch"
import { WorkerActor } from "@weft/worker"
import { Effect, Schedule, type Scope } from "effect"
import type * as Frame from "../Frame.js"
import { CompressBatch, Compressor, CompressTotals, deflatedSize, noTotals, type Totals } from "./Compressor.js"
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
}

export const makeCompressState = (workerCount: number): CompressState => ({
  processed: 0,
  inline: { ...noTotals },
  dropped: 0,
  workers: [],
  workerCount,
  turn: 0
})

/** Batches a worker's mailbox holds before the plugin waits for it. */
const workerMailbox = 16

const pollTotals = (state: CompressState) =>
  Effect.forEach(state.workers, (worker) =>
    Actor.ask(worker.ref, new CompressTotals(), { timeout: "5 seconds" }).pipe(
      Effect.tap((totals) => Effect.sync(() => (worker.totals = totals))),
      Effect.ignore
    ), { discard: true })

/**
 * Starts the workers (once; the plugin may be removed and added again) in the current scope, and
 * a fiber that asks them for their totals every 100 ms.
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
    yield* Effect.forkScoped(Effect.repeat(pollTotals(state), Schedule.spaced("100 millis")))
  })

const payloadsOf = (
  frames: ReadonlyArray<Bytes.Bytes>,
  refs: ReadonlyArray<{ readonly index: number }>,
  index: Frame.Index
) => {
  let size = 0
  for (let i = 0; i < frames.length; i++) size += Bytes.size(frames[i]!) - index.payloadStarts[refs[i]!.index]!
  const payloads = new Uint8Array(size)
  let at = 0
  for (let i = 0; i < frames.length; i++) {
    const frame = Bytes.toUint8Array(frames[i]!)
    const payload = frame.subarray(index.payloadStarts[refs[i]!.index]!)
    payloads.set(payload, at)
    at += payload.length
  }
  return payloads
}

/** `compress`: see the module documentation. */
export const compress = (arena: MessageArena.MessageArena.Service, index: Frame.Index, state: CompressState) =>
  Actor.behavior<Dispatcher.Deliveries>()({
    initialState: 0,
    handlers: {
      Deliveries: (batch, handled) =>
        arena.getMany(batch.refs).pipe(
          Effect.orDie,
          Effect.flatMap((frames) => {
            const payloads = payloadsOf(frames, batch.refs, index)
            state.processed += frames.length
            if (state.workers.length === 0) {
              state.inline.jobs++
              state.inline.frames += frames.length
              state.inline.bytesIn += payloads.length
              state.inline.bytesOut += deflatedSize(payloads)
              return Effect.as(batch.settle, handled + frames.length)
            }
            const worker = state.workers[state.turn++ % state.workers.length]!
            const message = new CompressBatch({ payloads: Bytes.fromUint8Array(payloads), frames: frames.length })
            // The payloads are copied out: the arena slots are free before the worker starts.
            return batch.settle.pipe(
              Effect.zipRight(Actor.tell(worker.ref, message)),
              Effect.catchAll(() => Effect.sync(() => (state.dropped += frames.length))),
              Effect.as(handled + frames.length)
            )
          })
        )
    }
  })
