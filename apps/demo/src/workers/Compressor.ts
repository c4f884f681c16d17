/**
 * The `compress` plugin's CPU-heavy half, as an actor that runs on a worker thread
 * (`compress.worker.ts` serves this very behaviour): it deflates each payload of a batch on its own
 * with zlib — as a store of records that must each be readable alone would — and keeps the
 * totals. With `--workers 0` the plugin calls `deflateRecords` itself, on the main thread.
 */
import { Actor } from "@weft/actor"
import { Bytes } from "@weft/bytes"
import { ThreadBytes, WorkerActor } from "@weft/worker"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Zlib from "node:zlib"

/**
 * The payloads of one batch as records (a u32 big-endian length, then the payload), back to back;
 * ownership moves to the worker (no copy on the way).
 */
export class CompressBatch extends Schema.TaggedClass<CompressBatch>()("CompressBatch", {
  records: ThreadBytes.Transfer,
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

/** Bytes a record adds before its payload. */
export const recordHeader = 4

/** Deflates every record's payload on its own (zlib level 6, raw deflate): bytes in and out. */
export const deflateRecords = (records: Uint8Array): { readonly bytesIn: number; readonly bytesOut: number } => {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength)
  let bytesIn = 0
  let bytesOut = 0
  for (let at = 0; at < records.length;) {
    const length = view.getUint32(at)
    const payload = records.subarray(at + recordHeader, at + recordHeader + length)
    bytesIn += length
    bytesOut += Zlib.deflateRawSync(payload).length
    at += recordHeader + length
  }
  return { bytesIn, bytesOut }
}

export const compressor = Actor.behavior<CompressBatch | CompressTotals>()({
  initialState: noTotals,
  handlers: {
    CompressBatch: ({ frames, records }, totals) =>
      Effect.sync(() => {
        const { bytesIn, bytesOut } = deflateRecords(Bytes.toUint8Array(records))
        return {
          jobs: totals.jobs + 1,
          frames: totals.frames + frames,
          bytesIn: totals.bytesIn + bytesIn,
          bytesOut: totals.bytesOut + bytesOut
        }
      }),
    CompressTotals: (_, totals) => Effect.succeed(Actor.reply(totals, totals))
  }
})
