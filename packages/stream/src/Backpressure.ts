/**
 * Bounded concurrency for streams, built on long-lived worker fibers and batch channels instead
 * of a fiber per element.
 *
 * `mapConcurrent(n, f)` starts `n` workers once per stream. A producer fiber pulls the upstream
 * and admits elements into a window of `n + bufferSize` slots; the workers take jobs from an
 * `Mpsc` in batches (`recvUpTo`) and run `f` one element at a time, inline: an `f` that completes
 * synchronously costs no fork and no suspension. The consumer takes finished results in batches.
 *
 * Guarantees of every combinator here:
 * - At most `n` calls of `f` are in flight at once.
 * - Memory is bounded: at most `n + bufferSize` elements have been pulled from the upstream and
 *   not yet emitted downstream when the upstream emits single-element chunks; with upstream chunks
 *   of `c` elements, `n + bufferSize + c - 1`. An upstream hands over a whole chunk (already in
 *   memory); its rest waits for room, and the next chunk is pulled only once there is room.
 *   Emitted chunks (up to `n + bufferSize` results each) are the consumer's memory.
 * - The first failure (of `f` or of the upstream) interrupts all in-flight work and fails the
 *   stream with that error; no fiber outlives the stream.
 * - Interrupting the consumer (or ending it early, e.g. with `Stream.take`) interrupts the
 *   producer and the workers and waits for their finalizers.
 *
 * Synchronous work runs inline, and Effect's scheduler yields between fibers through microtasks,
 * which Node's timers and I/O never get between. So the pool keeps a time budget on the `Clock`
 * (10 ms): once it is spent, the producer, the consumer and every worker (checking every 1024
 * elements) wait for the next macrotask, and the event loop turns. An interrupt driven by a timer
 * reaches even an infinite synchronous stream.
 *
 * Cancellation safety: all fibers are forked into the stream's scope; whatever ends the stream,
 * its scope closes and nothing keeps running.
 *
 * @since 0.1.0
 */
import type { Chunk, Duration, Effect, Stream } from "effect"
import * as internal from "./internal/backpressure.js"
import { chunksTimeout as chunksTimeoutImpl } from "./internal/chunksTimeout.js"
import type { InvalidArgument } from "./internal/errors.js"
import { withPermits as withPermitsImpl } from "./internal/withPermits.js"

export {
  /**
   * A size, a concurrency or a number of permits that is not a positive integer, or a duration
   * that is negative, NaN or malformed. Returned in the error channel of the stream (or effect),
   * never thrown.
   *
   * @since 0.1.0
   * @category errors
   */
  InvalidArgument
} from "./internal/errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ConcurrencyOptions {
  /**
   * How many elements may wait beyond the `n` in flight: pulled from the upstream but not yet
   * emitted. Default 256. Larger values amortize more coordination per batch.
   */
  readonly bufferSize?: number | undefined
}

/**
 * Maps every element with an effect, running at most `concurrency` at once, and emits the
 * results in the upstream's order. A slow element holds back the ones after it (within the
 * window), never the other workers.
 *
 * Cancellation safety: interrupting the consuming fiber interrupts every in-flight `f` and the
 * upstream; results computed but not yet emitted are dropped. The first failure interrupts the
 * other in-flight calls before the stream fails.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Backpressure } from "@weft/stream"
 *
 * const doubled = Stream.range(1, 1000).pipe(
 *   Backpressure.mapConcurrent(8, (n) => Effect.succeed(n * 2)),
 *   Stream.runCollect
 * ) // 2, 4, 6, … in order
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const mapConcurrent: {
  <A, B, E2, R2>(
    concurrency: number,
    f: (a: A) => Effect.Effect<B, E2, R2>,
    options?: ConcurrencyOptions
  ): <E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<B, E | E2 | InvalidArgument, R | R2>
  <A, E, R, B, E2, R2>(
    self: Stream.Stream<A, E, R>,
    concurrency: number,
    f: (a: A) => Effect.Effect<B, E2, R2>,
    options?: ConcurrencyOptions
  ): Stream.Stream<B, E | E2 | InvalidArgument, R | R2>
} = internal.mapConcurrent

/**
 * Like {@link mapConcurrent}, but emits each result as soon as it is ready, in completion order.
 *
 * Cancellation safety: as for {@link mapConcurrent}: interruption or the first failure interrupts
 * all in-flight calls; finished results not yet emitted are dropped.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Backpressure } from "@weft/stream"
 *
 * const sizes = Stream.make("a.txt", "b.txt").pipe(
 *   Backpressure.mapConcurrentUnordered(4, (name) => Effect.succeed(name.length))
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const mapConcurrentUnordered: {
  <A, B, E2, R2>(
    concurrency: number,
    f: (a: A) => Effect.Effect<B, E2, R2>,
    options?: ConcurrencyOptions
  ): <E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<B, E | E2 | InvalidArgument, R | R2>
  <A, E, R, B, E2, R2>(
    self: Stream.Stream<A, E, R>,
    concurrency: number,
    f: (a: A) => Effect.Effect<B, E2, R2>,
    options?: ConcurrencyOptions
  ): Stream.Stream<B, E | E2 | InvalidArgument, R | R2>
} = internal.mapConcurrentUnordered

/**
 * Runs an effect for every element, at most `concurrency` at once, and completes when the
 * upstream has ended and every call has finished. Fails with the first failure, after
 * interrupting the calls still in flight.
 *
 * Cancellation safety: interrupting the returned effect interrupts the upstream and every
 * in-flight call and waits for their finalizers; elements already pulled but not started are
 * never processed.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Backpressure } from "@weft/stream"
 *
 * const program = Stream.range(1, 100).pipe(
 *   Backpressure.forEachConcurrent(8, (n) => Effect.log(`processing ${n}`))
 * )
 * ```
 *
 * @since 0.1.0
 * @category destructors
 */
export const forEachConcurrent: {
  <A, X, E2, R2>(
    concurrency: number,
    f: (a: A) => Effect.Effect<X, E2, R2>,
    options?: ConcurrencyOptions
  ): <E, R>(self: Stream.Stream<A, E, R>) => Effect.Effect<void, E | E2 | InvalidArgument, R | R2>
  <A, E, R, X, E2, R2>(
    self: Stream.Stream<A, E, R>,
    concurrency: number,
    f: (a: A) => Effect.Effect<X, E2, R2>,
    options?: ConcurrencyOptions
  ): Effect.Effect<void, E | E2 | InvalidArgument, R | R2>
} = internal.forEachConcurrent

/**
 * Groups elements into chunks of `size`, emitting a partial chunk when `duration` has passed
 * since its first element was taken. Never emits an empty chunk. The upstream is pulled by its own
 * fiber into a channel of capacity `size`, so it keeps running while a chunk waits for its
 * deadline, and at most `size` elements wait beyond the chunk being filled. Time is the `Clock`'s,
 * so `TestClock` drives it. A `size` that is not a positive integer, or a `duration` that is
 * negative, NaN or malformed, fails the stream with `InvalidArgument`.
 *
 * Cancellation safety: the deadline wait never consumes an element, so a timeout cannot lose
 * one; interrupting the consumer interrupts the upstream fiber and drops the partial chunk.
 *
 * @example
 * ```ts
 * import { Stream } from "effect"
 * import { Backpressure } from "@weft/stream"
 *
 * const batches = Stream.range(1, 10).pipe(Backpressure.chunksTimeout(4, "100 millis"))
 * // Chunk(1, 2, 3, 4), Chunk(5, 6, 7, 8), Chunk(9, 10)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const chunksTimeout: {
  (
    size: number,
    duration: Duration.DurationInput
  ): <A, E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<Chunk.Chunk<A>, E | InvalidArgument, R>
  <A, E, R>(
    self: Stream.Stream<A, E, R>,
    size: number,
    duration: Duration.DurationInput
  ): Stream.Stream<Chunk.Chunk<A>, E | InvalidArgument, R>
} = chunksTimeoutImpl

/**
 * Gates a stream with a semaphore: every pull of the upstream — all the effectful work that
 * produces its next chunk — holds `permits` permits (default 1), released as soon as the chunk is
 * produced, before downstream processes it. Streams sharing one semaphore then produce at most as
 * many chunks at a time as it has permits.
 *
 * Cancellation safety: interrupted while waiting for permits, nothing was acquired; interrupted
 * during a pull, the permits are released.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Backpressure } from "@weft/stream"
 *
 * const program = Effect.gen(function*() {
 *   const downloads = yield* Effect.makeSemaphore(2)
 *   const fetchAll = (id: number) =>
 *     Stream.repeatEffect(Effect.succeed(id)).pipe(Stream.take(3), Backpressure.withPermits(downloads))
 *   return yield* Stream.runCollect(Stream.merge(fetchAll(1), fetchAll(2)))
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPermits: {
  (
    semaphore: Effect.Semaphore,
    permits?: number
  ): <A, E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<A, E | InvalidArgument, R>
  <A, E, R>(
    self: Stream.Stream<A, E, R>,
    semaphore: Effect.Semaphore,
    permits?: number
  ): Stream.Stream<A, E | InvalidArgument, R>
} = withPermitsImpl
