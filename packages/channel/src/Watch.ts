/**
 * A watch channel holds one value — the latest — and a version that counts the changes.
 * Receivers do not queue changes: a slow receiver skips intermediate values and sees the latest.
 *
 * Guarantees: each receiver sees versions in increasing order, never the same version twice from
 * `changed`; after a change, every waiting `changed` completes with that value or a newer one.
 *
 * Cancellation safety: an interrupted `changed` has marked nothing as seen — the change is still
 * pending for that receiver. `send` and `update` are single synchronous steps.
 *
 * @since 0.1.0
 */
import type { Effect, Inspectable, Pipeable, Stream, Types } from "effect"
import * as Predicate from "effect/Predicate"
import type { ChannelClosed } from "./ChannelError.js"
import * as internal from "./internal/watch.js"
import type { Claimable } from "./Readiness.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  ChannelClosed
} from "./ChannelError.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const SenderTypeId: unique symbol = internal.SenderTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type SenderTypeId = typeof SenderTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export const ReceiverTypeId: unique symbol = internal.ReceiverTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type ReceiverTypeId = typeof ReceiverTypeId

/**
 * The end that changes the value.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sender<in A> extends Pipeable.Pipeable, Inspectable.Inspectable {
  readonly [SenderTypeId]: { readonly _A: Types.Contravariant<A> }
}

/**
 * Whether `u` is a watch channel's sending end.
 *
 * @since 0.1.0
 * @category guards
 */
export const isSender = (u: unknown): u is Sender<never> => Predicate.hasProperty(u, SenderTypeId)

/**
 * A receiver remembers the version it saw last. As a {@link Claimable} it is ready when a newer
 * version exists; claiming marks it seen and returns the value.
 *
 * @since 0.1.0
 * @category models
 */
export interface Receiver<out A> extends Claimable<A, ChannelClosed>, Pipeable.Pipeable, Inspectable.Inspectable {
  readonly [ReceiverTypeId]: { readonly _A: Types.Covariant<A> }
}

/**
 * Whether `u` is a watch channel's receiver.
 *
 * @since 0.1.0
 * @category guards
 */
export const isReceiver = (u: unknown): u is Receiver<unknown> => Predicate.hasProperty(u, ReceiverTypeId)

/**
 * Creates a watch channel holding `initial` at version 0. The receiver has seen version 0.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Watch } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Watch.make("starting")
 *   yield* Effect.fork(Watch.send(tx, "ready"))
 *   const status = yield* Watch.changed(rx) // => "ready"
 *   const version = yield* Watch.version(rx) // => 1
 *   return [status, version]
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A>(initial: A) => Effect.Effect<readonly [Sender<A>, Receiver<A>]> = internal.make

/**
 * Replaces the value and bumps the version, waking every waiting receiver. Fails with
 * `ChannelClosed` once the channel is closed.
 *
 * Cancellation safety: one synchronous step.
 *
 * @since 0.1.0
 * @category sending
 */
export const send: {
  <A>(value: A): (self: Sender<A>) => Effect.Effect<void, ChannelClosed>
  <A>(self: Sender<A>, value: A): Effect.Effect<void, ChannelClosed>
} = internal.send

/**
 * Computes the next value from the current one and stores it, returning it.
 *
 * Cancellation safety: one synchronous step.
 *
 * @since 0.1.0
 * @category sending
 */
export const update: {
  <A>(f: (current: A) => A): (self: Sender<A>) => Effect.Effect<A, ChannelClosed>
  <A>(self: Sender<A>, f: (current: A) => A): Effect.Effect<A, ChannelClosed>
} = internal.update

/**
 * The latest value, without waiting and without marking it seen. Still works after close.
 *
 * @since 0.1.0
 * @category getters
 */
export const borrow: <A>(self: Sender<A> | Receiver<A>) => Effect.Effect<A> = internal.borrow

/**
 * The current version: how many times the value was changed.
 *
 * @since 0.1.0
 * @category getters
 */
export const version: <A>(self: Sender<A> | Receiver<A>) => Effect.Effect<number> = internal.version

/**
 * Waits for a version newer than the one this receiver saw last, marks it seen and returns its
 * value. Fails with `ChannelClosed` when the channel is closed and nothing newer is pending.
 *
 * Cancellation safety: interrupted while waiting, it has marked nothing seen.
 *
 * @since 0.1.0
 * @category receiving
 */
export const changed: <A>(self: Receiver<A>) => Effect.Effect<A, ChannelClosed> = internal.changed

/**
 * The receiver's values as a `Stream` (tokio-stream's `WatchStream`): the current value first,
 * marked seen, then each newer one as {@link changed} returns it — conflated, so a slow consumer
 * skips intermediate values and gets the latest. It ends once the channel is closed and this
 * receiver has seen the last value. The stream reads through `self`, moving its seen version:
 * give each stream a receiver of its own ({@link clone} or {@link subscribe}).
 *
 * Cancellation safety: an interrupted pull has marked nothing seen; a value the stream pulled was
 * the latest when it was pulled, and a newer one is always delivered after it.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Watch } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Watch.make("starting")
 *   yield* Watch.send(tx, "ready")
 *   yield* Watch.send(tx, "serving")
 *   yield* Watch.close(tx)
 *   return yield* Stream.runCollect(Watch.toStream(rx)) // Chunk("serving"): the latest, then the end
 * })
 * ```
 *
 * @since 0.1.0
 * @category streams
 */
export const toStream: <A>(self: Receiver<A>) => Stream.Stream<A> = internal.toStream

/**
 * Marks the current version seen and returns its value (tokio's `borrow_and_update`).
 *
 * @since 0.1.0
 * @category receiving
 */
export const markSeen: <A>(self: Receiver<A>) => Effect.Effect<A> = internal.markSeen

/**
 * Whether a version newer than this receiver's last seen one exists.
 *
 * @since 0.1.0
 * @category getters
 */
export const hasChanged: <A>(self: Receiver<A>) => Effect.Effect<boolean> = internal.hasChanged

/**
 * Waits until `changed` would complete without waiting, marking nothing seen.
 *
 * Cancellation safety: marks nothing seen, interrupted or not.
 *
 * @since 0.1.0
 * @category readiness
 */
export const awaitReadable: <A>(self: Receiver<A>) => Effect.Effect<void> = internal.awaitReadable

/**
 * Whether `changed` would complete now, marking nothing seen.
 *
 * @since 0.1.0
 * @category readiness
 */
export const poll: <A>(self: Receiver<A>) => Effect.Effect<boolean> = internal.poll

/**
 * A new receiver that has seen the current version.
 *
 * @since 0.1.0
 * @category constructors
 */
export const subscribe: <A>(self: Sender<A>) => Effect.Effect<Receiver<A>> = internal.subscribe

/**
 * A new receiver that has seen what `self` has seen; from then on the two are independent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const clone: <A>(self: Receiver<A>) => Effect.Effect<Receiver<A>> = internal.clone

/**
 * Closes the channel from either end: sends fail with `ChannelClosed`; each receiver gets a
 * change still pending for it, then `ChannelClosed`. `borrow` keeps working.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const close: <A>(self: Sender<A> | Receiver<A>) => Effect.Effect<void> = internal.close

/**
 * Whether the channel was closed.
 *
 * @since 0.1.0
 * @category getters
 */
export const isClosed: <A>(self: Sender<A> | Receiver<A>) => Effect.Effect<boolean> = internal.isClosed
