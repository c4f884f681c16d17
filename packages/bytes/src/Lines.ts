/**
 * A newline decoder: splits a stream of byte chunks into lines.
 *
 * A line ends at `"\n"`; the terminator and a `"\r"` just before it are removed. Bytes after the
 * last newline are emitted as a final line when the input ends. A line that lies inside one input
 * chunk is a zero-copy view of it; a line that spans chunks is copied once.
 *
 * Lines are bounded: a line longer than `maxLength` bytes (default 64 KiB, terminator excluded)
 * fails the stream with `LineTooLong` as soon as it grows past the limit, so a peer that never
 * sends a newline cannot make the decoder buffer without bound.
 *
 * Cancellation safety: the transform holds no resources; interrupting it drops only the bytes of
 * an unfinished line. Every line already emitted is complete.
 *
 * @since 0.1.0
 */
import type * as Stream from "effect/Stream"
import type * as Bytes from "./Bytes.js"
import type { InvalidOptions, LineTooLong } from "./internal/errors.js"
import * as internal from "./internal/lines.js"

export {
  /**
   * Options that cannot work, e.g. a negative `maxLength`.
   *
   * @since 0.1.0
   * @category errors
   */
  InvalidOptions,
  /**
   * A line longer than `maxLength`.
   *
   * @since 0.1.0
   * @category errors
   */
  LineTooLong
} from "./internal/errors.js"

/**
 * What `decode` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type DecodeError = LineTooLong | InvalidOptions

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The longest line accepted, in bytes, without its terminator. Default 64 KiB. */
  readonly maxLength?: number
}

/**
 * The default `maxLength`: 64 KiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxLength: number = internal.defaultMaxLength

/**
 * Splits byte chunks into lines (as `Bytes`, without terminators). Fails with `InvalidOptions`
 * before reading input for a `maxLength` that is not a non-negative integer, and with
 * `LineTooLong` as soon as a line passes `maxLength`. Upstream errors pass through unchanged.
 *
 * Cancellation safety: interruption stops the decoder between input chunks; every line already
 * emitted is complete and only the bytes of an unfinished line are dropped. A rerun starts fresh.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Bytes, Lines } from "@weft/bytes"
 *
 * const lines = Stream.make(Bytes.fromString("GET / HTTP/1.1\r\nHo"), Bytes.fromString("st: a\r\n")).pipe(
 *   Lines.decode({ maxLength: 8192 }),
 *   Stream.map(Bytes.decodeUtf8),
 *   Stream.runCollect
 * )
 * Effect.runPromise(lines) // => ["GET / HTTP/1.1", "Host: a"]
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode: (
  options?: Options
) => <E, R>(self: Stream.Stream<Uint8Array | Bytes.Bytes, E, R>) => Stream.Stream<Bytes.Bytes, E | DecodeError, R> =
  internal.decode
