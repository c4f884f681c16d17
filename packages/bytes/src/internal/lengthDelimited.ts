import * as Chunk from "effect/Chunk"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import type * as Bytes from "../Bytes.js"
import type * as LengthDelimited from "../LengthDelimited.js"
import { BytesImpl } from "./bytes.js"
import { FrameTooLarge, InvalidFrameLength, InvalidOptions, TruncatedFrame, VarintTooLong } from "./errors.js"
import type { Input } from "./framing.js"
import { asUint8Array, decodeWith } from "./framing.js"
import type { UintReader } from "./uint.js"
import { maxUint, uintReader, writeUint } from "./uint.js"
import { maxVarintBytes, readVarint, varintSize, writeVarint } from "./varint.js"

/** @internal */
export const defaultMaxFrameLength = 8 * 1024 * 1024

/** Validated options, with every default filled in. @internal */
export interface Config {
  readonly lengthFieldOffset: number
  /** Bytes of a fixed-size length field; for a varint field, its shortest size (1). */
  readonly lengthFieldLength: number
  /** The length field is an unsigned LEB128 varint rather than a fixed-size integer. */
  readonly varint: boolean
  readonly lengthAdjustment: number
  readonly numSkip: number
  readonly littleEndian: boolean
  readonly maxFrameLength: number
  /** Bytes needed to read the length field: `lengthFieldOffset + lengthFieldLength` (for a
   * varint field, the fewest that can hold one). */
  readonly headerLength: number
  /** The most bytes a header can take: `headerLength`, or with a varint field its longest form. */
  readonly maxHeaderLength: number
  /** Reads a fixed-size length field's value at the offset of the field itself. */
  readonly readLength: UintReader
}

const check = (
  option: string,
  value: unknown,
  expected: string,
  valid: (n: number) => boolean
): InvalidOptions | undefined =>
  typeof value === "number" && Number.isSafeInteger(value) && valid(value)
    ? undefined
    : new InvalidOptions({ option, value, expected })

/** @internal */
export const validate = (options: LengthDelimited.Options = {}): Either.Either<Config, InvalidOptions> => {
  const varint = options.lengthFieldLength === "varint"
  const lengthFieldOffset = options.lengthFieldOffset ?? 0
  const lengthFieldLength = varint ? 1 : options.lengthFieldLength ?? 4
  const lengthAdjustment = options.lengthAdjustment ?? 0
  const numSkip = options.numSkip ?? lengthFieldOffset + lengthFieldLength
  const maxFrameLength = options.maxFrameLength ?? defaultMaxFrameLength
  const endianness = options.endianness ?? "big"
  const error = varintConflict(options)
    ?? check("lengthFieldLength", lengthFieldLength, `an integer from 1 to 8, or "varint"`, (n) => n >= 1 && n <= 8)
    ?? check("lengthFieldOffset", lengthFieldOffset, "a non-negative integer", (n) => n >= 0)
    ?? check("lengthAdjustment", lengthAdjustment, "a safe integer", () => true)
    ?? check("numSkip", numSkip, "a non-negative integer", (n) => n >= 0)
    ?? check("maxFrameLength", maxFrameLength, "a non-negative integer", (n) => n >= 0)
    ?? (endianness === "big" || endianness === "little"
      ? undefined
      : new InvalidOptions({ option: "endianness", value: endianness, expected: `"big" or "little"` }))
  return error !== undefined ? Either.left(error) : Either.right({
    lengthFieldOffset,
    lengthFieldLength,
    varint,
    lengthAdjustment,
    numSkip,
    littleEndian: endianness === "little",
    maxFrameLength,
    headerLength: lengthFieldOffset + lengthFieldLength,
    maxHeaderLength: lengthFieldOffset + (varint ? maxVarintBytes : lengthFieldLength),
    readLength: uintReader(lengthFieldLength, endianness === "little")
  })
}

/** A varint's size varies per frame and its byte order is fixed: neither can be configured. */
const varintConflict = (options: LengthDelimited.Options): InvalidOptions | undefined =>
  options.lengthFieldLength !== "varint"
    ? undefined
    : options.numSkip !== undefined
    ? new InvalidOptions({
      option: "numSkip",
      value: options.numSkip,
      expected: "left at its default with a varint length field (it skips the offset and the varint)"
    })
    : options.endianness !== undefined
    ? new InvalidOptions({
      option: "endianness",
      value: options.endianness,
      expected: "left unset with a varint length field (LEB128 has one byte order)"
    })
    : undefined

/** `frameEndAt`'s answer when the varint length field has not fully arrived. */
const headerIncomplete = -1

/**
 * Memory for a frame that is about to be overwritten in full. Under Node, large buffers skip the
 * zero-filling `new Uint8Array` does (a second pass over the memory); small ones are not worth a
 * Buffer round trip. The result is a plain `Uint8Array` over its own `ArrayBuffer`, never a pooled
 * slice, so the frame keeps nothing else alive.
 */
const allocUninitialized: (size: number) => Uint8Array = typeof Buffer === "function"
  ? (size) => {
    if (size < 4096) return new Uint8Array(size)
    const buffer = Buffer.allocUnsafeSlow(size)
    return new Uint8Array(buffer.buffer, buffer.byteOffset, size)
  }
  : (size) => new Uint8Array(size)

/** The decoder's own, writable view of the counters it was given. */
interface MutableStats {
  frames: number
  copiedFrames: number
  copiedBytes: number
}

/** @internal */
export const makeStats = (): LengthDelimited.Stats => ({ frames: 0, copiedFrames: 0, copiedBytes: 0 })

/**
 * The decoder as a synchronous state machine: push chunks in, get frames out.
 *
 * Frames that lie inside the chunk being scanned come out as views of it. The tail of a chunk
 * that starts a frame is kept as a view (not copied) in `pending`, and so are the following
 * chunks until the frame is complete; only then is the frame's payload gathered, with exactly
 * one copy, into a buffer of exactly its size. The length field is read as soon as its bytes
 * have arrived, so an oversized frame is refused before anything beyond its header is kept.
 *
 * @internal
 */
export class DecoderImpl implements LengthDelimited.Decoder {
  readonly stats: MutableStats
  /** Views of the received bytes of the unfinished frame, from its first header byte. */
  private pending: Array<Uint8Array> = []
  private pendingLength = 0
  /** Bytes the unfinished frame spans from its first header byte, or -1 while its header is incomplete. */
  private frameEnd = -1
  /** Where a header split across chunks is reassembled: `maxHeaderLength` bytes, allocated once. */
  private readonly header: Uint8Array
  /** Bytes before the payload of the frame `frameEndAt` last read: `numSkip`, or for a varint
   * field the offset and that frame's varint. */
  private skip: number
  /** The varint reader's output, reused. */
  private readonly varint = { value: 0 }

  constructor(readonly config: Config, stats?: LengthDelimited.Stats) {
    // Callers see `Stats` as read-only; the decoder is the one writer of the object it was given.
    this.stats = (stats ?? makeStats()) as MutableStats
    this.header = new Uint8Array(config.maxHeaderLength)
    this.skip = config.numSkip
  }

  /**
   * The end of the frame whose header starts at `offset` in `array` (with `available` bytes from
   * there, at least `headerLength`), counted from `offset`; `headerIncomplete` when a varint
   * length field needs more bytes; or an error when the header is not acceptable. Sets `skip`.
   */
  private frameEndAt(
    array: Uint8Array,
    offset: number,
    available: number
  ): number | FrameTooLarge | InvalidFrameLength | VarintTooLong {
    return this.config.varint ? this.varintFrameEndAt(array, offset, available) : this.fixedFrameEndAt(array, offset)
  }

  /** `frameEndAt` for a fixed-size length field: the hot path, kept free of the varint's work. */
  private fixedFrameEndAt(array: Uint8Array, offset: number): number | FrameTooLarge | InvalidFrameLength {
    const config = this.config
    const raw = config.readLength(array, offset + config.lengthFieldOffset)
    return this.checkLength(raw, config.numSkip, config.headerLength)
  }

  private varintFrameEndAt(
    array: Uint8Array,
    offset: number,
    available: number
  ): number | FrameTooLarge | InvalidFrameLength | VarintTooLong {
    const config = this.config
    const size = readVarint(array, offset + config.lengthFieldOffset, offset + available, this.varint)
    const raw = this.varint.value
    if (size <= 0) {
      // What has arrived is already a lower bound on the length: refuse an oversized frame now.
      const atLeast = raw + config.lengthAdjustment
      if (atLeast > config.maxFrameLength) return new FrameTooLarge({ length: atLeast, max: config.maxFrameLength })
      return size === 0 ? headerIncomplete : new VarintTooLong({ maxBytes: maxVarintBytes })
    }
    this.skip = config.lengthFieldOffset + size
    return this.checkLength(raw, this.skip, this.skip)
  }

  /** The frame's end from a length field's raw value, or why that value is not acceptable. */
  private checkLength(raw: number, skip: number, headerEnd: number): number | FrameTooLarge | InvalidFrameLength {
    const config = this.config
    const length = raw + config.lengthAdjustment
    if (length > config.maxFrameLength) return new FrameTooLarge({ length, max: config.maxFrameLength })
    const end = skip + length
    if (length < 0 || end < headerEnd) {
      return new InvalidFrameLength({ length: raw, lengthAdjustment: config.lengthAdjustment })
    }
    return end
  }

  decode(chunk: Uint8Array, out: Array<Bytes.Bytes>): LengthDelimited.DecodeError | undefined {
    let position = 0
    if (this.pendingLength > 0) {
      const resumed = this.resume(chunk, out)
      if (typeof resumed !== "number") return resumed
      position = resumed
    }
    const { headerLength, numSkip, varint } = this.config
    const length = chunk.length
    let frames = 0
    while (length - position >= headerLength) {
      const end = varint
        ? this.varintFrameEndAt(chunk, position, length - position)
        : this.fixedFrameEndAt(chunk, position)
      if (typeof end !== "number") {
        this.stats.frames += frames
        return end
      }
      if (end === headerIncomplete) break
      if (length - position < end) {
        this.frameEnd = end
        break
      }
      const skip = varint ? this.skip : numSkip
      out.push(new BytesImpl(chunk, position + skip, end - skip))
      frames++
      position += end
    }
    this.stats.frames += frames
    if (position < length) {
      this.pending.push(position === 0 ? chunk : chunk.subarray(position))
      this.pendingLength = length - position
    }
    return undefined
  }

  /** Continues the unfinished frame with `chunk`; returns how much of `chunk` it used. */
  private resume(chunk: Uint8Array, out: Array<Bytes.Bytes>): number | LengthDelimited.DecodeError {
    if (this.frameEnd < 0) {
      const available = Math.min(this.pendingLength + chunk.length, this.header.length)
      // The pending bytes are all header bytes here: fewer than the longest header.
      let filled = 0
      for (const part of this.pending) {
        this.header.set(part, filled)
        filled += part.length
      }
      this.header.set(chunk.subarray(0, available - filled), filled)
      const end = available < this.config.headerLength ? headerIncomplete : this.frameEndAt(this.header, 0, available)
      if (typeof end !== "number") return end
      if (end === headerIncomplete) {
        this.pending.push(chunk)
        this.pendingLength += chunk.length
        return chunk.length
      }
      this.frameEnd = end
    }
    const needed = this.frameEnd - this.pendingLength
    if (chunk.length < needed) {
      this.pending.push(chunk)
      this.pendingLength += chunk.length
      return chunk.length
    }
    this.pending.push(chunk.subarray(0, needed))
    out.push(this.assemble())
    this.stats.frames++
    this.pending = []
    this.pendingLength = 0
    this.frameEnd = -1
    return needed
  }

  /** The payload of the completed pending frame: a view if it lies in one part, else one copy. */
  private assemble(): Bytes.Bytes {
    const from = this.skip
    const to = this.frameEnd
    let start = 0
    for (const part of this.pending) {
      const end = start + part.length
      if (from >= start && to <= end) return new BytesImpl(part, from - start, to - from)
      start = end
    }
    const payload = allocUninitialized(to - from)
    start = 0
    for (const part of this.pending) {
      const end = start + part.length
      const lo = Math.max(from, start)
      const hi = Math.min(to, end)
      if (lo < hi) payload.set(part.subarray(lo - start, hi - start), lo - from)
      start = end
    }
    this.stats.copiedFrames++
    this.stats.copiedBytes += payload.length
    return new BytesImpl(payload, 0, payload.length)
  }

  finish(): TruncatedFrame | undefined {
    if (this.pendingLength === 0) return undefined
    // While the header is incomplete: the header's length (for a varint, at least one more byte).
    const expected = this.frameEnd >= 0 ? this.frameEnd : Math.max(this.config.headerLength, this.pendingLength + 1)
    return new TruncatedFrame({ expected, received: this.pendingLength })
  }
}

/** @internal */
export const makeDecoder = (
  options?: LengthDelimited.DecoderOptions
): Either.Either<LengthDelimited.Decoder, InvalidOptions> =>
  Either.map(validate(options), (config) => new DecoderImpl(config, options?.stats))

/** @internal */
export const decode = (options?: LengthDelimited.DecoderOptions) => {
  const config = validate(options)
  return <E, R>(self: Stream.Stream<Input, E, R>): Stream.Stream<Bytes.Bytes, E | LengthDelimited.DecodeError, R> =>
    Either.isLeft(config)
      ? Stream.fail(config.left)
      : decodeWith(() => new DecoderImpl(config.right, options?.stats))(self)
}

/**
 * Encodes every payload of one upstream chunk into a single buffer: one allocation and one copy
 * per payload, however small the frames are.
 */
const encodeChunk = (
  config: Config,
  payloads: ReadonlyArray<Input>
): Either.Either<Bytes.Bytes, FrameTooLarge | InvalidFrameLength> => {
  const { lengthAdjustment, lengthFieldLength, littleEndian, maxFrameLength, varint } = config
  const fieldMax = varint ? Number.MAX_SAFE_INTEGER : maxUint(lengthFieldLength)
  let total = 0
  for (const payload of payloads) {
    const length = payload.length
    if (length > maxFrameLength) return Either.left(new FrameTooLarge({ length, max: maxFrameLength }))
    const field = length - lengthAdjustment
    if (field > fieldMax) return Either.left(new FrameTooLarge({ length, max: fieldMax + lengthAdjustment }))
    if (field < 0) return Either.left(new InvalidFrameLength({ length: field, lengthAdjustment }))
    total += (varint ? varintSize(field) : lengthFieldLength) + length
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const payload of payloads) {
    const field = payload.length - lengthAdjustment
    if (varint) {
      offset = writeVarint(out, offset, field)
    } else {
      writeUint(out, offset, field, lengthFieldLength, littleEndian)
      offset += lengthFieldLength
    }
    out.set(asUint8Array(payload), offset)
    offset += payload.length
  }
  return Either.right(new BytesImpl(out, 0, out.length))
}

/** @internal */
export const encode = (options?: LengthDelimited.Options) => {
  const config = Either.flatMap(validate(options), (config) =>
    config.lengthFieldOffset !== 0
      ? Either.left(
        new InvalidOptions({
          option: "lengthFieldOffset",
          value: config.lengthFieldOffset,
          expected: "0 when encoding (the encoder writes only the length field before each payload)"
        })
      )
      : config.numSkip !== config.headerLength
      ? Either.left(
        new InvalidOptions({
          option: "numSkip",
          value: config.numSkip,
          expected: "the header length (its default) when encoding"
        })
      )
      : Either.right(config))
  return <E, R>(self: Stream.Stream<Input, E, R>): Stream.Stream<Bytes.Bytes, E | LengthDelimited.EncodeError, R> =>
    Either.isLeft(config) ? Stream.fail(config.left) : Stream.mapChunksEffect(self, (payloads) =>
      Either.map(
        encodeChunk(config.right, Chunk.toReadonlyArray(payloads)),
        (encoded) => encoded.length === 0 ? Chunk.empty<Bytes.Bytes>() : Chunk.of(encoded)
      ))
}
