/**
 * A broadcast channel: every subscriber sees every message sent after it subscribed, in order.
 *
 * The channel retains the last `capacity` messages. What happens when a subscriber falls that far
 * behind is the lag policy:
 * - `"suspend"` (the default): senders wait until the slowest subscriber has read the oldest
 *   message. No subscriber ever misses a message; one stuck subscriber stalls the senders (until
 *   it unsubscribes).
 * - `"dropOldest"`: senders never wait; the oldest message is dropped. A subscriber that missed
 *   messages gets one typed {@link Lagged} failure carrying the exact count, then continues with
 *   the oldest message still retained.
 *
 * Cancellation safety: an interrupted `recv` has consumed nothing; an interrupted `send` has
 * delivered its message to every subscriber, or to none.
 *
 * @since 0.1.0
 */
import type { Chunk, Effect, Either, Inspectable, Option, Pipeable, Scope, Stream, Types } from "effect"
import * as Predicate from "effect/Predicate"
import type { ChannelClosed, InvalidCapacity, Lagged } from "./ChannelError.js"
import * as internal from "./internal/broadcast.js"
import type { Claimable } from "./Readiness.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  ChannelClosed,
  /**
   * @since 0.1.0
   * @category errors
   */
  InvalidCapacity,
  /**
   * @since 0.1.0
   * @category errors
   */
  Lagged
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
export const SubscriptionTypeId: unique symbol = internal.SubscriptionTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type SubscriptionTypeId = typeof SubscriptionTypeId

/**
 * What a full channel does: make senders wait, or drop the oldest message.
 *
 * @since 0.1.0
 * @category models
 */
export type LagPolicy = "suspend" | "dropOldest"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How many messages the channel retains for its slowest subscriber. A positive integer. */
  readonly capacity: number
  /** Defaults to `"suspend"`. */
  readonly lag?: LagPolicy | undefined
}

/**
 * The sending end, shared by any number of producers.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sender<in A> extends Pipeable.Pipeable, Inspectable.Inspectable {
  readonly [SenderTypeId]: { readonly _A: Types.Contravariant<A> }
}

/**
 * Whether `u` is a broadcast channel's sending end.
 *
 * @since 0.1.0
 * @category guards
 */
export const isSender = (u: unknown): u is Sender<never> => Predicate.hasProperty(u, SenderTypeId)

/**
 * One subscriber's view of the channel: a {@link Claimable} for `@weft/select`. A subscription
 * belongs to one consumer; fibers sharing it split its messages between them.
 *
 * As a `Claimable`, its `claim` may return a `Lagged` failure once after messages were dropped;
 * that is a notice, not the end — the next claim returns the oldest retained message. Only
 * `ChannelClosed` ends a subscription.
 *
 * @since 0.1.0
 * @category models
 */
export interface Subscription<out A>
  extends Claimable<A, ChannelClosed | Lagged>, Pipeable.Pipeable, Inspectable.Inspectable
{
  readonly [SubscriptionTypeId]: { readonly _A: Types.Covariant<A> }
}

/**
 * Whether `u` is a broadcast subscription.
 *
 * @since 0.1.0
 * @category guards
 */
export const isSubscription = (u: unknown): u is Subscription<unknown> => Predicate.hasProperty(u, SubscriptionTypeId)

/**
 * Creates a broadcast channel and its first subscription (so nothing sent right away is missed).
 * Fails with `InvalidCapacity` unless `capacity` is a positive integer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Broadcast } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, first] = yield* Broadcast.make<string>({ capacity: 16 })
 *   const second = yield* Broadcast.subscribe(tx)
 *   yield* Broadcast.send(tx, "tick")
 *   return [yield* Broadcast.recv(first), yield* Broadcast.recv(second)] // => ["tick", "tick"]
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A>(
  options: Options
) => Effect.Effect<readonly [Sender<A>, Subscription<A>], InvalidCapacity> = internal.make

/**
 * Sends a message to every current subscriber. With lag policy `"suspend"` it waits while the
 * slowest subscriber is `capacity` messages behind. Without subscribers, nobody sees the message.
 * Fails with `ChannelClosed` once the channel is closed.
 *
 * Cancellation safety: the message is published in one synchronous step. Interrupted while
 * waiting, it was published to nobody; otherwise to every subscriber, once.
 *
 * @since 0.1.0
 * @category sending
 */
export const send: {
  <A>(value: A): (self: Sender<A>) => Effect.Effect<void, ChannelClosed>
  <A>(self: Sender<A>, value: A): Effect.Effect<void, ChannelClosed>
} = internal.send

/**
 * What {@link unsafeTrySend} did: `"sent"` (every subscriber will see the message), `"full"` (policy
 * `"suspend"` and the slowest subscriber is `capacity` messages behind; nothing sent) or `"closed"`
 * (nothing sent).
 *
 * @since 0.1.0
 * @category models
 */
export type TrySendResult = "sent" | "full" | "closed"

/**
 * Sends a message right now, outside any effect: for code that runs inside a synchronous step of
 * its own (a callback, a counter that also publishes) where a `send` would need a fiber. It never
 * waits and never throws. With lag policy `"dropOldest"` it answers `"sent"` until the channel is
 * closed (a subscriber that falls behind learns what it lost through `Lagged`); with `"suspend"` a
 * full channel answers `"full"` and sends nothing.
 *
 * Cancellation safety: a plain function call — there is nothing to interrupt.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Broadcast } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Broadcast.make<string>({ capacity: 1 })
 *   const results = yield* Effect.sync(() => [Broadcast.unsafeTrySend(tx, "a"), Broadcast.unsafeTrySend(tx, "b")])
 *   return [results, yield* Broadcast.recv(rx)] // => [["sent", "full"], "a"]
 * })
 * ```
 *
 * @since 0.1.0
 * @category sending
 */
export const unsafeTrySend: {
  <A>(value: A): (self: Sender<A>) => TrySendResult
  <A>(self: Sender<A>, value: A): TrySendResult
} = internal.unsafeTrySend

/**
 * A new subscription that sees every message sent from now on. Subscribing to a closed channel
 * gives a subscription that has already ended.
 *
 * @since 0.1.0
 * @category subscribing
 */
export const subscribe: <A>(self: Sender<A>) => Effect.Effect<Subscription<A>> = internal.subscribe

/**
 * {@link subscribe} for the lifetime of a `Scope`: closing the scope unsubscribes.
 *
 * @since 0.1.0
 * @category subscribing
 */
export const subscribeScoped: <A>(self: Sender<A>) => Effect.Effect<Subscription<A>, never, Scope.Scope> =
  internal.subscribeScoped

/**
 * Ends a subscription: it stops holding back senders, its unread messages are released, and its
 * receives fail with `ChannelClosed`. Unsubscribing twice is harmless.
 *
 * @since 0.1.0
 * @category subscribing
 */
export const unsubscribe: <A>(self: Subscription<A>) => Effect.Effect<void> = internal.unsubscribe

/**
 * Receives the subscription's next message, waiting while there is none. Fails with `Lagged`
 * once after messages were dropped before this subscriber read them (policy `"dropOldest"`), and
 * with `ChannelClosed` once the channel is closed and this subscriber has read everything.
 *
 * Cancellation safety: interrupted while waiting, it has consumed nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Broadcast } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Broadcast.make<number>({ capacity: 2, lag: "dropOldest" })
 *   yield* Effect.forEach([1, 2, 3, 4], (n) => Broadcast.send(tx, n))
 *   const lag = yield* Effect.flip(Broadcast.recv(rx)) // Lagged { skipped: 2 }
 *   const next = yield* Broadcast.recv(rx) // => 3
 *   return [lag._tag, next]
 * })
 * ```
 *
 * @since 0.1.0
 * @category receiving
 */
export const recv: <A>(self: Subscription<A>) => Effect.Effect<A, ChannelClosed | Lagged> = internal.recv

/**
 * Receives up to `max` messages at once, in order; waits only while there is none, so the chunk is
 * never empty. Fails with `Lagged` (once, moving on to the oldest retained message) and
 * `ChannelClosed` exactly as {@link recv} does. A `max` below 1 counts as 1.
 *
 * Cancellation safety: interrupted while waiting, it has consumed nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Broadcast } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Broadcast.make<number>({ capacity: 16 })
 *   yield* Effect.forEach([1, 2, 3], (n) => Broadcast.send(tx, n))
 *   return yield* rx.pipe(Broadcast.recvUpTo(2)) // Chunk(1, 2)
 * })
 * ```
 *
 * @since 0.1.0
 * @category receiving
 */
export const recvUpTo: {
  (max: number): <A>(self: Subscription<A>) => Effect.Effect<Chunk.Chunk<A>, ChannelClosed | Lagged>
  <A>(self: Subscription<A>, max: number): Effect.Effect<Chunk.Chunk<A>, ChannelClosed | Lagged>
} = internal.recvUpTo

/**
 * A subscription as a `Stream` (tokio-stream's `BroadcastStream`): each message as
 * `Either.right`, and a lag — messages dropped before this subscriber read them (policy
 * `"dropOldest"`) — as one `Either.left(Lagged { skipped })` just before the oldest message still
 * retained, so a consumer can count its losses and go on. Each pull is one batch receive of
 * everything unread (at most `maxChunkSize`, below 1 counts as 1); the stream waits only while
 * there is nothing, and ends once the channel is closed and this subscriber has read everything.
 * `Stream.filterMap(Either.getRight)` keeps the messages alone.
 *
 * Cancellation safety: an interrupted pull has consumed nothing, not even a lag notice. A pulled
 * chunk belongs to the stream: if the consumer stops part-way through one, the rest of it is
 * gone for this subscriber. `maxChunkSize: 1` bounds that to the message in hand.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Broadcast } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Broadcast.make<number>({ capacity: 2, lag: "dropOldest" })
 *   yield* Effect.forEach([1, 2, 3, 4], (n) => Broadcast.send(tx, n))
 *   yield* Broadcast.close(tx)
 *   return yield* Stream.runCollect(Broadcast.toStream(rx)) // Left(Lagged { skipped: 2 }), Right(3), Right(4)
 * })
 * ```
 *
 * @since 0.1.0
 * @category streams
 */
export const toStream: <A>(
  self: Subscription<A>,
  options?: { readonly maxChunkSize?: number | undefined }
) => Stream.Stream<Either.Either<A, Lagged>> = internal.toStream

/**
 * Receives the next message if there is one, without waiting: `None` when there is none yet.
 *
 * Cancellation safety: one synchronous step.
 *
 * @since 0.1.0
 * @category receiving
 */
export const tryRecv: <A>(self: Subscription<A>) => Effect.Effect<Option.Option<A>, ChannelClosed | Lagged> =
  internal.tryRecv

/**
 * Waits until a `recv` on this subscription would complete without waiting, consuming nothing.
 *
 * Cancellation safety: consumes nothing, interrupted or not.
 *
 * @since 0.1.0
 * @category readiness
 */
export const awaitReadable: <A>(self: Subscription<A>) => Effect.Effect<void> = internal.awaitReadable

/**
 * Whether a `recv` on this subscription would complete now, consuming nothing.
 *
 * @since 0.1.0
 * @category readiness
 */
export const poll: <A>(self: Subscription<A>) => Effect.Effect<boolean> = internal.poll

/**
 * Closes the channel: sends fail with `ChannelClosed` (waiting ones too); subscribers read what
 * they have not read yet, then see `ChannelClosed`.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const close: <A>(self: Sender<A>) => Effect.Effect<void> = internal.close

/**
 * Whether the channel was closed.
 *
 * @since 0.1.0
 * @category getters
 */
export const isClosed: <A>(self: Sender<A>) => Effect.Effect<boolean> = internal.isClosed

/**
 * How many subscriptions are active.
 *
 * @since 0.1.0
 * @category getters
 */
export const subscriberCount: <A>(self: Sender<A>) => Effect.Effect<number> = internal.subscriberCount

/**
 * How many retained messages this subscription has not read yet.
 *
 * @since 0.1.0
 * @category getters
 */
export const pending: <A>(self: Subscription<A>) => Effect.Effect<number> = internal.pending
