/**
 * A worker fiber that owns mutable state, consumes events and publishes owned snapshots as a
 * `Stream`: the answer to "a stream cannot hand out borrowed data".
 *
 * The worker is the only code that touches the state. It receives events from a bounded channel,
 * runs `step(state, event)` for each, and sends the snapshots `step` returns to the consumer. A
 * snapshot must be an owned value: if the state holds a reused buffer, `step` copies out of it
 * (`Bytes.copy`) — never a view into memory the worker will write again.
 *
 * | case | what happens |
 * |---|---|
 * | the consumer stops reading (interrupted, or ends early) | the worker is interrupted and its finalizers run; `send` fails with `ChannelClosed` |
 * | `close` is called | the worker handles the events already sent, then the stream completes after the last snapshot |
 * | `step` fails | the snapshots before the failure are delivered, then the stream fails with that error |
 * | strategy `"latest"`, slow consumer | only the newest snapshot waits; each emitted `Conflated` says how many were skipped |
 * | strategy `"suspend"`, slow consumer | the snapshot channel fills, the worker waits, the event channel fills, `send` waits |
 *
 * Cancellation safety: `send` has the channel's guarantee (an interrupted send delivered its
 * event exactly once or not at all); the worker is owned by the `Scope` of `make`, so closing it
 * interrupts the worker and runs the finalizers `step` registered.
 *
 * @since 0.1.0
 */
import type { ChannelError } from "@weft/channel"
import type { Effect, Stream } from "effect"
import type { Scope } from "effect/Scope"
import type { InvalidArgument } from "./internal/errors.js"
import * as internal from "./internal/snapshotStream.js"

export {
  /**
   * `capacity` is not a positive integer.
   *
   * @since 0.1.0
   * @category errors
   */
  InvalidArgument
} from "./internal/errors.js"

/**
 * What one `step` returns: the next state, and a snapshot when there is one to publish.
 *
 * @since 0.1.0
 * @category models
 */
export type Step<S, Snapshot> = readonly [state: S, snapshot?: Snapshot]

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<S, Event, Snapshot, E, R> {
  /** The worker's initial state. It may be mutable: only the worker touches it. */
  readonly initial: S
  /**
   * Handles one event. May be a plain function or return an effect; an effect may register
   * finalizers (`Scope` is the worker's scope, closed when the worker stops).
   */
  readonly step: (state: S, event: Event) => Step<S, Snapshot> | Effect.Effect<Step<S, Snapshot>, E, R>
  /** Bound of the event channel, and of the snapshot channel for `"suspend"`. */
  readonly capacity: number
  /** `"suspend"`: every snapshot is delivered, a slow consumer slows `send` down. `"latest"`: conflate. */
  readonly strategy: "suspend" | "latest"
}

/**
 * A snapshot emitted by the `"latest"` strategy, with the number of newer-than-the-last-read
 * snapshots that were replaced before the consumer took this one.
 *
 * @since 0.1.0
 * @category models
 */
export interface Conflated<A> {
  readonly snapshot: A
  readonly skipped: number
}

/**
 * The two ends of a running snapshot stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface SnapshotStream<in Event, out A, out E> {
  /**
   * Sends an event to the worker, waiting while the event channel is full. Fails with
   * `ChannelClosed` after `close`, or once the worker has stopped.
   *
   * Cancellation safety: interrupted while waiting, the event was not sent and never will be.
   */
  readonly send: (event: Event) => Effect.Effect<void, ChannelError.ChannelClosed>
  /**
   * Sends events in order, in batches as room frees up.
   *
   * Cancellation safety: interrupted part-way, a prefix of the events was sent, each once.
   */
  readonly sendAll: (events: Iterable<Event>) => Effect.Effect<void, ChannelError.ChannelClosed>
  /**
   * No more events: the worker handles those already sent, then the stream completes.
   *
   * Cancellation safety: synchronous; idempotent.
   */
  readonly close: Effect.Effect<void>
  /**
   * The snapshots, for one consumer. When its consumer stops, the worker stops.
   *
   * Cancellation safety: interrupting the consumer interrupts the worker and waits for its
   * finalizers; snapshots not yet read are dropped.
   */
  readonly stream: Stream.Stream<A, E>
}

/**
 * Starts a worker in the current `Scope` and returns its event input and its snapshot stream.
 * Fails with `InvalidArgument` unless `capacity` is a positive integer. A strategy known only as
 * `"suspend" | "latest"` gives a stream of `Snapshot | Conflated<Snapshot>`.
 *
 * Cancellation safety: closing the scope, at any moment (also before the worker has started),
 * interrupts the worker (its finalizers run), ends the stream and fails senders with
 * `ChannelClosed`; interrupting `make` itself leaves no worker behind.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { SnapshotStream } from "@weft/stream"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const counter = yield* SnapshotStream.make({
 *     initial: 0,
 *     step: (total: number, n: number) => [total + n, total + n] as const,
 *     capacity: 16,
 *     strategy: "suspend"
 *   })
 *   yield* counter.sendAll([1, 2, 3])
 *   yield* counter.close
 *   return yield* Stream.runCollect(counter.stream) // => [1, 3, 6]
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: {
  <S, Event, Snapshot, E = never, R = never>(
    options: Options<S, Event, Snapshot, E, R> & { readonly strategy: "suspend" }
  ): Effect.Effect<SnapshotStream<Event, Snapshot, E>, InvalidArgument, Scope | Exclude<R, Scope>>
  <S, Event, Snapshot, E = never, R = never>(
    options: Options<S, Event, Snapshot, E, R> & { readonly strategy: "latest" }
  ): Effect.Effect<SnapshotStream<Event, Conflated<Snapshot>, E>, InvalidArgument, Scope | Exclude<R, Scope>>
  <S, Event, Snapshot, E = never, R = never>(
    options: Options<S, Event, Snapshot, E, R>
  ): Effect.Effect<
    SnapshotStream<Event, Snapshot | Conflated<Snapshot>, E>,
    InvalidArgument,
    Scope | Exclude<R, Scope>
  >
} = internal.make
