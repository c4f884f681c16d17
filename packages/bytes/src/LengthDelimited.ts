/**
 * Length-prefixed framing, with the options of tokio-util's `LengthDelimitedCodec`.
 *
 * `decode(options)` turns a stream of byte chunks, cut wherever the transport cut them, into a
 * stream of frames; `encode(options)` does the reverse. A frame on the wire is:
 *
 * ```text
 * | lengthFieldOffset bytes | length field (lengthFieldLength bytes) | rest of the frame |
 * ```
 *
 * The decoder reads the length field (`endianness`, default big), adds `lengthAdjustment`, and
 * yields the `length` bytes that follow the first `numSkip` bytes of the frame (by default
 * `numSkip` skips the offset and the length field, so only the payload is yielded).
 *
 * `lengthFieldLength: "varint"` reads an unsigned LEB128 length instead (1 to 8 bytes, 7 bits a
 * byte, least significant first): the framing of protobuf's delimited streams and of
 * it-length-prefixed's default. Reading such a stream with a fixed-size field would yield garbage
 * frames, so say which one the peer writes. `maxFrameLength` guards the varint too: a frame is
 * refused as soon as the part of its varint that has arrived exceeds the limit, and a varint that
 * continues past 8 bytes fails with `VarintTooLong`.
 *
 * Guarantees:
 * - **Zero copy where possible.** A frame that lies inside one input chunk is yielded as a view of
 *   that chunk. A frame that spans chunks is copied exactly once, into a buffer of its size.
 *   `Stats` counts the copies.
 * - **Bounded memory.** The length field is checked against `maxFrameLength` (default 8 MiB) as
 *   soon as it arrives; an oversized frame fails with `FrameTooLarge` before any of its payload
 *   is kept, and no buffer of that size is allocated.
 * - **Typed errors.** `FrameTooLarge`, `TruncatedFrame` (input ended mid-frame),
 *   `InvalidFrameLength` (a length that is negative after adjustment), `VarintTooLong`,
 *   `InvalidOptions`.
 *   Frames decoded before an error are still emitted, in order, before the failure.
 *
 * Cancellation safety: the transforms hold no resources of their own. Interrupting the stream
 * stops the decoder between chunks: every frame already emitted is complete, and the bytes of an
 * unfinished frame are dropped with the decoder (nothing is sent anywhere half-done). Each run of
 * the stream starts a fresh decoder, so re-running after an interruption starts from a frame
 * boundary of the new input.
 *
 * @since 0.1.0
 */
import type * as Either from "effect/Either"
import type * as Stream from "effect/Stream"
import type * as Bytes from "./Bytes.js"
import type {
  FrameTooLarge,
  InvalidFrameLength,
  InvalidOptions,
  TruncatedFrame,
  VarintTooLong
} from "./internal/errors.js"
import * as internal from "./internal/lengthDelimited.js"

export {
  /**
   * A frame longer than `maxFrameLength` (or than the length field can express).
   *
   * @since 0.1.0
   * @category errors
   */
  FrameTooLarge,
  /**
   * A length field whose value, after `lengthAdjustment`, is not a possible frame length.
   *
   * @since 0.1.0
   * @category errors
   */
  InvalidFrameLength,
  /**
   * Options that cannot work, e.g. `lengthFieldLength: 9`.
   *
   * @since 0.1.0
   * @category errors
   */
  InvalidOptions,
  /**
   * The input ended inside a frame.
   *
   * @since 0.1.0
   * @category errors
   */
  TruncatedFrame,
  /**
   * A varint length field that continues past 8 bytes.
   *
   * @since 0.1.0
   * @category errors
   */
  VarintTooLong
} from "./internal/errors.js"

/**
 * What `decode` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type DecodeError = FrameTooLarge | TruncatedFrame | InvalidFrameLength | VarintTooLong | InvalidOptions

/**
 * What `encode` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type EncodeError = FrameTooLarge | InvalidFrameLength | InvalidOptions

/**
 * Every framing error.
 *
 * @since 0.1.0
 * @category errors
 */
export type FramingError = DecodeError | EncodeError

/**
 * The frame layout, as in tokio-util's `length_delimited::Builder`. Every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Bytes before the length field. Default 0. */
  readonly lengthFieldOffset?: number
  /**
   * Size of the length field, 1 to 8 bytes, or `"varint"` for an unsigned LEB128 field of 1 to 8
   * bytes (then `numSkip` and `endianness` must be left unset). Default 4.
   */
  readonly lengthFieldLength?: number | "varint"
  /** Added to the length field's value to get the number of bytes after `numSkip`. Default 0. */
  readonly lengthAdjustment?: number
  /** Bytes dropped from the start of each frame. Default `lengthFieldOffset + lengthFieldLength`. */
  readonly numSkip?: number
  /** Byte order of the length field. Default `"big"`. */
  readonly endianness?: "big" | "little"
  /** The longest frame (after adjustment) accepted or produced. Default 8 MiB. */
  readonly maxFrameLength?: number
}

/**
 * `Options`, plus a `Stats` object for the decoder to count into.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecoderOptions extends Options {
  readonly stats?: Stats
}

/**
 * Counters a decoder updates as it goes; make one with `makeStats` and pass it in the options.
 * The decoder writes into that very object, so read it whenever you like; several decoders may
 * share one to count their total.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Frames decoded. */
  readonly frames: number
  /** Frames that spanned input chunks and were therefore copied (once each). */
  readonly copiedFrames: number
  /** Bytes copied for those frames. */
  readonly copiedBytes: number
}

/**
 * The decoder's synchronous core, for transports that are not a `Stream` (a socket callback, a
 * parser loop) and for measuring. `decode` is this core run inside a `Channel`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Decoder {
  /** The counters this decoder updates. */
  readonly stats: Stats
  /**
   * Appends the frames completed by `chunk` to `out`. On an error the frames found before it are
   * in `out`, and the decoder must not be used again. The decoder keeps a view of an unfinished
   * frame's bytes, so `chunk` must not be modified afterwards.
   */
  decode(chunk: Uint8Array, out: Array<Bytes.Bytes>): DecodeError | undefined
  /** Call at the end of input: `TruncatedFrame` if a frame was left unfinished. */
  finish(): TruncatedFrame | undefined
}

/**
 * The default `maxFrameLength`: 8 MiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxFrameLength: number = internal.defaultMaxFrameLength

/**
 * Fresh counters, all zero.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeStats: () => Stats = internal.makeStats

/**
 * A synchronous decoder, or `InvalidOptions`.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import { Bytes, LengthDelimited } from "@weft/bytes"
 *
 * const decoder = Either.getOrThrow(LengthDelimited.makeDecoder({ lengthFieldLength: 2 }))
 * const frames: Array<Bytes.Bytes> = []
 * decoder.decode(new Uint8Array([0, 2, 104, 105, 0]), frames) // one frame, and half a header
 * decoder.decode(new Uint8Array([1, 33]), frames)
 * frames.map(Bytes.decodeUtf8) // => ["hi", "!"]
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDecoder: (options?: DecoderOptions) => Either.Either<Decoder, InvalidOptions> = internal.makeDecoder

/**
 * Splits a stream of byte chunks into frames.
 *
 * Fails with `InvalidOptions` before reading any input if the options cannot work; with
 * `FrameTooLarge` or `InvalidFrameLength` on a bad header (before its payload is buffered); with
 * `TruncatedFrame` if the input ends inside a frame. Upstream errors pass through unchanged.
 *
 * Cancellation safety: see the module docs — interruption drops only an unfinished frame.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Bytes, LengthDelimited } from "@weft/bytes"
 *
 * const stats = LengthDelimited.makeStats()
 * const frames = Stream.make(
 *   new Uint8Array([0, 0, 0, 2, 104, 105, 0, 0]),
 *   new Uint8Array([0, 1, 33])
 * ).pipe(
 *   LengthDelimited.decode({ stats }),
 *   Stream.map(Bytes.decodeUtf8),
 *   Stream.runCollect
 * )
 * // Chunk("hi", "!"); stats.copiedFrames === 0: both payloads lie inside one chunk
 * Effect.runPromise(frames)
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode: (
  options?: DecoderOptions
) => <E, R>(self: Stream.Stream<Uint8Array | Bytes.Bytes, E, R>) => Stream.Stream<Bytes.Bytes, E | DecodeError, R> =
  internal.decode

/**
 * Prefixes every payload with its length field. All payloads of one upstream chunk are written
 * into one buffer, emitted as one `Bytes` (each payload is copied once).
 *
 * Fails with `FrameTooLarge` for a payload above `maxFrameLength` or too long for the length
 * field, `InvalidFrameLength` when `lengthAdjustment` would make the field negative, and
 * `InvalidOptions` for options that cannot work — including a non-zero `lengthFieldOffset` or a
 * non-default `numSkip`, which describe header bytes the encoder does not know how to write.
 *
 * Cancellation safety: the transform holds no state between chunks; interruption can only stop
 * it between two encoded chunks.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Bytes, LengthDelimited } from "@weft/bytes"
 *
 * const roundTrip = Stream.make(Bytes.fromString("a"), Bytes.fromString("bc")).pipe(
 *   LengthDelimited.encode({ lengthFieldLength: 2 }),
 *   LengthDelimited.decode({ lengthFieldLength: 2 }),
 *   Stream.map(Bytes.decodeUtf8),
 *   Stream.runCollect
 * )
 * Effect.runPromise(roundTrip) // => ["a", "bc"]
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode: (
  options?: Options
) => <E, R>(self: Stream.Stream<Uint8Array | Bytes.Bytes, E, R>) => Stream.Stream<Bytes.Bytes, E | EncodeError, R> =
  internal.encode
