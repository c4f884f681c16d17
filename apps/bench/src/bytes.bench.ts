/**
 * @weft/bytes: length-delimited decoding of 64 B and 64 KiB frames arriving in 16 KiB socket-like
 * chunks, against a hand-written `Buffer` decoder and `it-length-prefixed`; and `Bytes.slice`
 * against `Uint8Array.prototype.slice`, each slice read in full.
 *
 * Every decoder gets the same bytes: frames with a 4-byte big-endian length prefix (the weft
 * default; it-length-prefixed is given a matching `lengthDecoder`), cut into 16 KiB chunks that
 * each own their `ArrayBuffer`, as socket reads do. Each contender must hand out every frame as
 * contiguous bytes, which is what a parser needs: it-length-prefixed yields `Uint8ArrayList`s, so
 * its contenders call `.subarray()` (which copies only frames that span chunks, like weft).
 *
 * The peers are synchronous loops over the chunks, so the weft row is the decoder under the same
 * conditions (`makeDecoder`, the core `decode` wraps). The "variant" row is the same decoder as a
 * `Stream` transform fed one read per pull: the extra cost there is Effect's per-pull Stream cost,
 * which every Stream-based consumer pays whatever its decoder.
 */
import { Bytes, LengthDelimited } from "@weft/bytes"
import { Chunk, Effect, Either, Option, Stream } from "effect"
import type { LengthDecoderFunction } from "it-length-prefixed"
import * as lp from "it-length-prefixed"
import { benchmark, type BenchmarkFile, type Contender, expect } from "./harness.js"

// Module-level references, so the loops measure the code and not the namespace getters that the
// `export * as` re-exports resolve through on every access.
const { decode, makeDecoder, makeStats } = LengthDelimited
const { size, slice, toUint8Array } = Bytes

const chunkSize = 16 * 1024

interface Totals {
  readonly frames: number
  readonly bytes: number
  /** Payload bytes the decoder copied, where the contender can tell. */
  readonly copiedBytes?: number
}

interface Input {
  readonly chunks: ReadonlyArray<Uint8Array>
  readonly frames: number
  readonly bytes: number
}

/** `wire` cut into 16 KiB chunks that each own their `ArrayBuffer`, as socket reads do. */
const socketReads = (wire: Uint8Array): Array<Uint8Array> => {
  const chunks: Array<Uint8Array> = []
  for (let offset = 0; offset < wire.length; offset += chunkSize) {
    chunks.push(wire.slice(offset, offset + chunkSize))
  }
  return chunks
}

/** `count` frames of `payload` bytes behind 4-byte big-endian lengths, cut into 16 KiB chunks. */
const makeInput = (payload: number, count: number): Input => {
  const wire = new Uint8Array((4 + payload) * count)
  const view = new DataView(wire.buffer)
  for (let i = 0, offset = 0; i < count; i++, offset += 4 + payload) {
    view.setUint32(offset, payload)
    wire.fill(i & 0xff, offset + 4, offset + 4 + payload)
  }
  return { chunks: socketReads(wire), frames: count, bytes: payload * count }
}

/** The same frames behind varint lengths, written by it-length-prefixed's own default encoder. */
const makeVarintInput = (payload: number, count: number): Input => {
  const payloads = Array.from({ length: count }, (_, i) => new Uint8Array(payload).fill(i & 0xff))
  const wire = Bytes.toUint8Array(Bytes.concatAll(lp.encode(payloads)))
  return { chunks: socketReads(wire), frames: count, bytes: payload * count }
}

/**
 * A socket as a `Stream`: every read is its own element, pulled one at a time, as a Node readable
 * or `Stream.async` source delivers them. (Handing all chunks over as one batch would hide
 * Effect's per-element cost; weft pays it here like any real program would.)
 */
const socketStream = (chunks: ReadonlyArray<Uint8Array>) =>
  Stream.suspend(() => {
    let next = 0
    return Stream.repeatEffectChunkOption(
      Effect.suspend(() =>
        next < chunks.length ? Effect.succeed(Chunk.of(chunks[next++]!)) : Effect.fail(Option.none())
      )
    )
  })

/** weft as a user gets it: the `decode` transform on a socket stream. */
const weftStream = (input: Input) => {
  const program = Effect.suspend(() => {
    let frames = 0
    let bytes = 0
    const stats = makeStats()
    return socketStream(input.chunks).pipe(
      decode({ stats }),
      Stream.runForEachChunk((chunk) =>
        Effect.sync(() => {
          const array = Chunk.toReadonlyArray(chunk)
          for (let i = 0; i < array.length; i++) bytes += size(array[i]!)
          frames += array.length
        })
      ),
      Effect.map((): Totals => ({ frames, bytes, copiedBytes: stats.copiedBytes }))
    )
  })
  return () => Effect.runPromise(program)
}

/** weft's synchronous core without the Stream around it: what the Stream layer costs. */
const weftCore = (input: Input, options?: LengthDelimited.Options) => () => {
  const decoder = Either.getOrThrow(makeDecoder(options))
  const out: Array<Bytes.Bytes> = []
  let frames = 0
  let bytes = 0
  for (const chunk of input.chunks) {
    const error = decoder.decode(chunk, out)
    if (error !== undefined) throw error
    for (const frame of out) bytes += size(frame)
    frames += out.length
    out.length = 0
  }
  return { frames, bytes }
}

/**
 * The decoder most code starts with, written competently: frames are cut from each read in place,
 * and only a partial frame carried over to the next read is joined to it with `Buffer.concat`.
 */
const handWrittenDecoder = (input: Input) => () => {
  let pending: Buffer | undefined
  let frames = 0
  let bytes = 0
  let copiedBytes = 0
  for (const chunk of input.chunks) {
    let buffer: Buffer
    if (pending === undefined) {
      buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
    } else {
      copiedBytes += pending.length + chunk.length
      buffer = Buffer.concat([pending, chunk])
    }
    let offset = 0
    while (buffer.length - offset >= 4) {
      const length = buffer.readUInt32BE(offset)
      if (buffer.length - offset < 4 + length) break
      const frame = buffer.subarray(offset + 4, offset + 4 + length)
      frames++
      bytes += frame.length
      offset += 4 + length
    }
    pending = offset < buffer.length ? buffer.subarray(offset) : undefined
  }
  return { frames, bytes, copiedBytes }
}

/** A 4-byte big-endian length for it-length-prefixed (it throws RangeError to ask for more bytes). */
const lengthDecoder: LengthDecoderFunction = Object.assign((data: Parameters<LengthDecoderFunction>[0]): number => {
  if (data.byteLength < 4) throw new RangeError("need 4 bytes")
  return data.getUint32(0)
}, { bytes: 4 })

async function* socket(chunks: ReadonlyArray<Uint8Array>) {
  for (const chunk of chunks) yield chunk
}

/** it-length-prefixed as a socket gives it bytes: an async iterable. */
const itLpAsync = (input: Input) => async () => {
  let frames = 0
  let bytes = 0
  for await (const frame of lp.decode(socket(input.chunks), { lengthDecoder })) {
    frames++
    bytes += frame.subarray().length
  }
  return { frames, bytes }
}

/** it-length-prefixed's synchronous path (given an array), its fastest; its default length is a varint. */
const itLpSync = (input: Input, options: lp.DecoderOptions = { lengthDecoder }) => () => {
  let frames = 0
  let bytes = 0
  for (const frame of lp.decode(input.chunks, options)) {
    frames++
    bytes += frame.subarray().length
  }
  return { frames, bytes }
}

/**
 * The floor for frames that span reads, which every decoder must hand out contiguous: one
 * uninitialized allocation and one copy of each payload byte, with the frame boundaries known in
 * advance (no header parsing, no state kept between reads beyond the frame being filled).
 */
const copyFloor = (input: Input, payload: number) => () => {
  let frames = 0
  let bytes = 0
  let frame: Buffer | undefined
  let filled = 0
  let header = 4
  for (const chunk of input.chunks) {
    let offset = 0
    while (offset < chunk.length) {
      if (header > 0) {
        const skipped = Math.min(header, chunk.length - offset)
        header -= skipped
        offset += skipped
        continue
      }
      frame ??= Buffer.allocUnsafeSlow(payload)
      const n = Math.min(payload - filled, chunk.length - offset)
      frame.set(chunk.subarray(offset, offset + n), filled)
      filled += n
      offset += n
      if (filled === payload) {
        frames++
        bytes += frame.length
        frame = undefined
        filled = 0
        header = 4
      }
    }
  }
  return { frames, bytes }
}

/** How much of the payload a contender copied, as a share of all payload bytes. */
const copied = (input: Input) => (totals: Totals): string =>
  `copied ${(((totals.copiedBytes ?? 0) / input.bytes) * 100).toFixed(1)}% of payload bytes`

/** `limits`: extra limit rows (the copy floor, where frames span reads). */
const decodeBenchmark = (name: string, input: Input, goal: string, limits: ReadonlyArray<Contender<Totals>> = []) =>
  benchmark<Totals>({
    package: "bytes",
    name,
    unit: "frame",
    opsPerRun: input.frames,
    goal,
    contenders: [
      { name: "weft LengthDelimited.makeDecoder", role: "weft", run: weftCore(input) },
      {
        name: "hand-written Buffer decoder (concat only to carry a partial frame)",
        role: "peer",
        run: handWrittenDecoder(input),
        report: copied(input)
      },
      { name: "it-length-prefixed (async iterable)", role: "peer", run: itLpAsync(input) },
      { name: "it-length-prefixed (sync iterable)", role: "peer", run: itLpSync(input) },
      {
        name: "weft LengthDelimited.decode as a Stream, one element per read",
        role: "variant",
        run: weftStream(input),
        report: copied(input)
      },
      ...limits
    ],
    check: (result) => {
      expect(result.frames === input.frames, () => `${result.frames} frames, expected ${input.frames}`)
      expect(result.bytes === input.bytes, () => `${result.bytes} payload bytes, expected ${input.bytes}`)
    }
  })

/**
 * Cuts 64-byte windows out of a 16 KiB buffer and reads every byte of each, so every row does the
 * same work: a lazy view that is never read would be cheaper than any real use of it.
 */
const sliceBenchmark = (quick: boolean) => {
  const source = new Uint8Array(chunkSize).map((_, i) => i & 0xff)
  const bytes = Bytes.fromUint8Array(source)
  const window = 64
  const rounds = quick ? 1 : 16
  const slices = (chunkSize / window) * rounds
  const expectedSum = source.reduce((sum, byte) => sum + byte, 0) * rounds
  const run = (cut: (start: number) => Uint8Array) => () => {
    let sum = 0
    for (let round = 0; round < rounds; round++) {
      for (let start = 0; start < chunkSize; start += window) {
        const view = cut(start)
        for (let i = 0; i < view.length; i++) sum += view[i]!
      }
    }
    return sum
  }
  return benchmark<number>({
    package: "bytes",
    name: "slice 64 B out of 16 KiB and read its bytes",
    unit: "slice",
    opsPerRun: slices,
    contenders: [
      {
        name: "weft Bytes.slice (zero-copy), read through toUint8Array",
        role: "weft",
        run: run((start) => toUint8Array(slice(bytes, start, start + window)))
      },
      {
        name: "Uint8Array.prototype.slice (copies)",
        role: "peer",
        run: run((start) => source.slice(start, start + window))
      },
      {
        name: "Uint8Array.prototype.subarray",
        role: "limit",
        run: run((start) => source.subarray(start, start + window))
      }
    ],
    check: (sum) => expect(sum === expectedSum, () => `sliced bytes sum to ${sum}, expected ${expectedSum}`)
  })
}

/** Varint lengths, it-length-prefixed's default and protobuf's delimited format. */
const varintBenchmark = (input: Input) =>
  benchmark<Totals>({
    package: "bytes",
    name: "decode 64 B frames with varint lengths from 16 KiB chunks",
    unit: "frame",
    opsPerRun: input.frames,
    goal: "≥ 2× it-length-prefixed's varint decoder",
    contenders: [
      {
        name: `weft LengthDelimited.makeDecoder({ lengthFieldLength: "varint" })`,
        role: "weft",
        run: weftCore(input, { lengthFieldLength: "varint" })
      },
      { name: "it-length-prefixed, default varint length (sync iterable)", role: "peer", run: itLpSync(input, {}) }
    ],
    check: (result) => {
      expect(result.frames === input.frames, () => `${result.frames} frames, expected ${input.frames}`)
      expect(result.bytes === input.bytes, () => `${result.bytes} payload bytes, expected ${input.bytes}`)
    }
  })

export const benchmarks: BenchmarkFile = ({ quick }) => [
  decodeBenchmark(
    "decode 64 B frames from 16 KiB chunks",
    makeInput(64, quick ? 600 : 64 * 1024),
    "≥ 2× the hand-written decoder and it-length-prefixed"
  ),
  decodeBenchmark(
    "decode 64 KiB frames from 16 KiB chunks",
    makeInput(64 * 1024, quick ? 3 : 64),
    "≥ 1.5× it-length-prefixed (sync)",
    [{
      name: "copy floor: one allocation and one copy per frame, boundaries known",
      role: "limit",
      run: copyFloor(makeInput(64 * 1024, quick ? 3 : 64), 64 * 1024)
    }]
  ),
  varintBenchmark(makeVarintInput(64, quick ? 600 : 64 * 1024)),
  sliceBenchmark(quick)
]
