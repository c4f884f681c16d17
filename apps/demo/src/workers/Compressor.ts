/**
 * The `compress` plugin's CPU-heavy half, as an actor that runs on a worker thread
 * (`compress.worker.ts` serves this very behaviour): it deflates a batch of payloads with zlib and
 * keeps the totals. With `--workers 0` the plugin calls `deflatedSize` itself, on the main thread.
 */
import { Actor } from "@weft/actor"
import { Bytes } from "@weft/bytes"
import { ThreadBytes, WorkerActor } from "@weft/worker"
import { Effect, Schema } from "effect"
import * as Zlib from "node:zlib"

/** The payloads of one batch, back to back; ownership moves to the worker (no copy on the way). */
export class CompressBatch extends Schema.TaggedClass<CompressBatch>()("CompressBatch", {
  payloads: ThreadBytes.Transfer,
  frames: Schema.Int
}) {}

/** What a compressor has done since it started. */
export const Totals = Schema.Struct({
  /** Batches deflated: the worker's jobs. */
  jobs: Schema.Int,
  frames: Schema.Int,
  bytesIn: Schema.Int,
  bytesOut: Schema.Int
})
export type Totals = typeof Totals.Type

export class CompressTotals extends Schema.TaggedRequest<CompressTotals>()("CompressTotals", {
  failure: Schema.Never,
  success: Totals,
  payload: {}
}) {}

export const Compressor = WorkerActor.protocol("Compressor", [CompressBatch, CompressTotals])

export const noTotals: Totals = { jobs: 0, frames: 0, bytesIn: 0, bytesOut: 0 }

/** The deflated size of `payloads` (zlib level 6, raw deflate). */
export const deflatedSize = (payloads: Uint8Array): number => Zlib.deflateRawSync(payloads).length

export const compressor = Actor.behavior<CompressBatch | CompressTotals>()({
  initialState: noTotals,
  handlers: {
    CompressBatch: ({ frames, payloads }, totals) =>
      Effect.sync(() => {
        const view = Bytes.toUint8Array(payloads)
        return {
          jobs: totals.jobs + 1,
          frames: totals.frames + frames,
          bytesIn: totals.bytesIn + view.length,
          bytesOut: totals.bytesOut + deflatedSize(view)
        }
      }),
    CompressTotals: (_, totals) => Effect.succeed(Actor.reply(totals, totals))
  }
})
