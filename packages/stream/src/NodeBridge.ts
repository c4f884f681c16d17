/**
 * Node streams and sockets as Effect streams and sinks of `Bytes`, with backpressure in both
 * directions.
 *
 * What is delegated, and why most of it is not: `@effect/platform-node` has `NodeStream`,
 * `NodeSink` and `NodeSocket`, and this module was first built on them. Measured against the
 * guarantees here, each falls short on the property that matters:
 * - `NodeStream.fromReadable` reads with `read()`, which concatenates (copies) whatever Node has
 *   buffered, and one pull loops until `read()` returns `null`, so a readable whose source pushes
 *   synchronously is drained completely into one chunk: no backpressure, unbounded memory.
 *   {@link fromReadable} reads `"data"` in flowing mode instead (the source's own `Buffer`s,
 *   never copied) and pauses the readable once a `highWaterMark` of data waits for the consumer.
 * - `NodeSink.fromWritable` checks `drain` only between the elements of one chunk, so a stream of
 *   single-element chunks never waits and the writable's buffer grows without bound.
 *   {@link toWritable} waits for `drain` after every refused write.
 * - `NodeSocket`'s `Socket` reads in flowing mode and never pauses, so it cannot push back on
 *   the peer. {@link fromSocket}/{@link toSocket} treat the `net.Socket` as the readable and
 *   writable it is.
 *
 * A source that finished before the stream started (ended, destroyed, errored) is read from its
 * state: an empty stream, or a `ReadError` at once.
 *
 * Cancellation safety: interrupting a reading stream removes its listeners and destroys the
 * readable (for a socket: the connection); interrupting a writing sink destroys the writable
 * (unless `destroyOnAbort: false`). An error Node reports after the bridge let go (a failing
 * `destroy`, a write still in flight) finds a listener that ignores it until the stream closes, so
 * it never becomes an uncaught exception.
 *
 * @since 0.1.0
 */
import type { Bytes } from "@weft/bytes"
import type { Sink, Stream } from "effect"
import type { LazyArg } from "effect/Function"
import type * as Net from "node:net"
import type { Readable, Writable } from "node:stream"
import * as internal from "./internal/nodeBridge.js"
import type { ReadError, WriteError } from "./internal/nodeBridge.js"

export {
  /**
   * A Node readable or socket reported an error. `code` is Node's error code (`ECONNRESET`, …)
   * when it has one.
   *
   * @since 0.1.0
   * @category errors
   */
  ReadError,
  /**
   * A Node writable or socket reported an error, or closed before the stream ended.
   *
   * @since 0.1.0
   * @category errors
   */
  WriteError
} from "./internal/nodeBridge.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ReadOptions {
  /**
   * Destroy the readable when the stream ends (default `true`; `false` for {@link fromSocket}).
   * It is always destroyed on interruption or failure. With `false` the readable is read on
   * demand, one chunk per pull, and handed back paused when the stream ends: a consumer that
   * stops early (`Stream.take`) leaves every byte it was not given to the next reader.
   */
  readonly closeOnDone?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface WriteOptions {
  /**
   * Call `end()` and wait for `finish` when the stream ends (default `true`). With `false` the
   * sink waits until Node called back every write it made, and fails if one of them failed; the
   * writable stays open, and its later errors are the caller's to listen for.
   */
  readonly endOnDone?: boolean | undefined
  /** Destroy the writable when the sink is interrupted or its input fails (default `true`). */
  readonly destroyOnAbort?: boolean | undefined
}

/**
 * Reads a Node `Readable` as a stream of `Bytes`. Each `Buffer` the source pushed becomes a
 * `Bytes` view over the same memory, with no copy. At most the readable's `highWaterMark` of data
 * waits for the consumer; beyond that the readable is paused, so a slow consumer stops the
 * source. A readable closed before its end fails the stream (`ERR_STREAM_PREMATURE_CLOSE`); one
 * that had already ended gives an empty stream, one already destroyed or errored a `ReadError`.
 *
 * Cancellation safety: on interruption the listeners are removed and the readable is destroyed
 * (an error its `destroy` reports is ignored); bytes Node had buffered but nobody pulled are
 * dropped with it. With `closeOnDone: false`, a stream that ends early hands the readable back
 * paused, with the bytes the consumer was not given still in it.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Bytes } from "@weft/bytes"
 * import { NodeBridge } from "@weft/stream"
 * import { Readable } from "node:stream"
 *
 * const total = NodeBridge.fromReadable(() => Readable.from([Buffer.from("ab"), Buffer.from("c")])).pipe(
 *   Stream.runFold(0, (n, bytes) => n + Bytes.size(bytes))
 * )
 * Effect.runPromise(total) // => 3
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromReadable: (
  evaluate: LazyArg<Readable>,
  options?: ReadOptions
) => Stream.Stream<Bytes.Bytes, ReadError> = internal.fromReadable

/**
 * A sink that writes every `Bytes` to a Node `Writable`, waiting for `drain` whenever `write`
 * returns `false`, so the writable buffers at most its `highWaterMark` plus one element. When the
 * stream ends it calls `end()` and waits for `finish`.
 *
 * With `endOnDone: false` it waits instead until every write was called back, so a write that
 * fails late fails the sink rather than going unheard.
 *
 * Cancellation safety: interruption while waiting for `drain` or `finish` removes the listeners
 * and destroys the writable (unless `destroyOnAbort: false`: then writes still in flight keep an
 * error listener until they are called back); bytes already handed to `write` may or may not
 * have reached the destination.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Bytes } from "@weft/bytes"
 * import { NodeBridge } from "@weft/stream"
 * import { Writable } from "node:stream"
 *
 * const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
 * const program = Stream.make(Bytes.fromString("hello")).pipe(Stream.run(NodeBridge.toWritable(() => sink)))
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category sinks
 */
export const toWritable: (
  evaluate: LazyArg<Writable>,
  options?: WriteOptions
) => Sink.Sink<void, Bytes.Bytes, never, WriteError> = internal.toWritable

/**
 * Reads a connected `net.Socket` as a stream of zero-copy `Bytes`, with TCP backpressure: while
 * the stream is not pulled, the socket stops reading and the peer's writes eventually block.
 * The stream ends when the peer half-closes; the socket is then left open for writing (the
 * default `closeOnDone: false`, with the on-demand reading described there). A socket destroyed
 * before the call fails the stream at once.
 *
 * Cancellation safety: interrupting the stream (or a read error) destroys the socket.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSocket: (socket: Net.Socket, options?: ReadOptions) => Stream.Stream<Bytes.Bytes, ReadError> =
  internal.fromSocket

/**
 * A sink that writes every `Bytes` to a `net.Socket` with the same `drain` discipline as
 * {@link toWritable}; when the stream ends it half-closes the socket (`end()`) and waits until
 * everything was flushed (with `endOnDone: false`: until every write was called back).
 *
 * Cancellation safety: interruption destroys the socket; bytes already handed to the kernel may
 * or may not have been delivered.
 *
 * @since 0.1.0
 * @category sinks
 */
export const toSocket: (
  socket: Net.Socket,
  options?: { readonly endOnDone?: boolean | undefined }
) => Sink.Sink<void, Bytes.Bytes, never, WriteError> = internal.toSocket
