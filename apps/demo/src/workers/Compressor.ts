/**
 * The `compress` plugin's CPU-heavy half, as an actor that runs on a worker thread
 * (`compress.worker.ts` serves this very behaviour): it deflates each payload of a batch on its own
 * with zlib — as a store of records that must each be readable alone would — and keeps the
 * totals. With `--workers 0` the plugin calls `deflateRecords` itself, on the main thread.
 */
import { Actor } from "@weft/actor"
import { Bytes } from "@weft/bytes"
import { ThreadBytes, WorkerActor } from "@weft/worker"
import { Effect, Schema } from "effect"
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

/** Bits needed to count to `n`: the `b` with 2^(b-1) < n ≤ 2^b. */
const bitsFor = (n: number) => 32 - Math.clz32(Math.max(1, n - 1))

/**
 * zlib options for payloads of up to 2^b bytes, b from 0 to 15. zlib's defaults (a 32 KiB window,
 * `memLevel` 8) make every call allocate and clear about 256 KiB of state and a 16 KiB output
 * buffer: for a 64 B record that is half the work. Sized to the payload — a window that holds it
 * with zlib's 262 bytes of lookahead, a symbol buffer twice its length (so one block, as by
 * default) — they find the same matches and write the same bytes (tested), at a fraction of the
 * set-up.
 */
const deflateOptions = Array.from({ length: 16 }, (_, b) => ({
  windowBits: Math.min(15, Math.max(9, bitsFor((1 << b) + 262))),
  memLevel: Math.min(8, Math.max(1, b - 5)),
  chunkSize: Math.min(16 * 1024, Math.max(64, 2 << b))
}))

/** Deflates one payload on its own (zlib level 6, raw deflate), with zlib's state sized to it. */
export const deflateRecord = (payload: Uint8Array): Buffer => {
  const b = bitsFor(payload.length)
  return b < deflateOptions.length ? Zlib.deflateRawSync(payload, deflateOptions[b]) : Zlib.deflateRawSync(payload)
}

/** Deflates every record's payload on its own (see `deflateRecord`): bytes in and out. */
export const deflateRecords = (records: Uint8Array): { readonly bytesIn: number; readonly bytesOut: number } => {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength)
  let bytesIn = 0
  let bytesOut = 0
  for (let at = 0; at < records.length;) {
    const length = view.getUint32(at)
    const payload = records.subarray(at + recordHeader, at + recordHeader + length)
    bytesIn += length
    bytesOut += deflateRecord(payload).length
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
