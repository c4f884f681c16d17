/**
 * A channel for exactly one value: the sender completes it once — with a value, with a typed
 * failure, or by closing it — and the receiver takes that one outcome.
 *
 * After the value has been received, the channel has ended: further receives fail with
 * `ChannelClosed`. A failure, once set, is what every receive reports.
 *
 * Cancellation safety: an interrupted `recv` has consumed nothing; `send`, `fail` and `close` are
 * single synchronous steps.
 *
 * @since 0.1.0
 */
import type { Effect, Inspectable, Option, Pipeable, Types } from "effect"
import * as Predicate from "effect/Predicate"
import type { ChannelClosed } from "./ChannelError.js"
import * as internal from "./internal/oneshot.js"
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
 * The completing end: contravariant in the value and the error.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sender<in A, in E = never> extends Pipeable.Pipeable, Inspectable.Inspectable {
  readonly [SenderTypeId]: { readonly _A: Types.Contravariant<A>; readonly _E: Types.Contravariant<E> }
}

/**
 * Whether `u` is a oneshot's sending end.
 *
 * @since 0.1.0
 * @category guards
 */
export const isSender = (u: unknown): u is Sender<never, never> => Predicate.hasProperty(u, SenderTypeId)

/**
 * The receiving end: covariant, and a {@link Claimable} for `@weft/select`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Receiver<out A, out E = never>
  extends Claimable<A, E | ChannelClosed>, Pipeable.Pipeable, Inspectable.Inspectable
{
  readonly [ReceiverTypeId]: { readonly _A: Types.Covariant<A>; readonly _E: Types.Covariant<E> }
}

/**
 * Whether `u` is a oneshot's receiving end.
 *
 * @since 0.1.0
 * @category guards
 */
export const isReceiver = (u: unknown): u is Receiver<unknown, unknown> => Predicate.hasProperty(u, ReceiverTypeId)

/**
 * Creates a oneshot channel.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Oneshot } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Oneshot.make<number, string>()
 *   yield* Effect.fork(Oneshot.send(tx, 42))
 *   return yield* Oneshot.recv(rx) // => 42
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A, E = never>() => Effect.Effect<readonly [Sender<A, E>, Receiver<A, E>]> = internal.make

/**
 * Completes the channel with a value. Fails with `ChannelClosed` when it was already completed,
 * failed or closed — the value is then not delivered.
 *
 * Cancellation safety: one synchronous step — delivered or not, never in between.
 *
 * @since 0.1.0
 * @category sending
 */
export const send: {
  <A>(value: A): <E>(self: Sender<A, E>) => Effect.Effect<void, ChannelClosed>
  <A, E>(self: Sender<A, E>, value: A): Effect.Effect<void, ChannelClosed>
} = internal.send

/**
 * Completes the channel with a typed failure, which every receive then reports. Fails with
 * `ChannelClosed` when the channel was already completed, failed or closed.
 *
 * Cancellation safety: one synchronous step.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Oneshot } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Oneshot.make<number, "no answer">()
 *   yield* Oneshot.fail(tx, "no answer")
 *   return yield* Effect.flip(Oneshot.recv(rx)) // => "no answer"
 * })
 * ```
 *
 * @since 0.1.0
 * @category sending
 */
export const fail: {
  <E>(error: E): <A>(self: Sender<A, E>) => Effect.Effect<void, ChannelClosed>
  <A, E>(self: Sender<A, E>, error: E): Effect.Effect<void, ChannelClosed>
} = internal.fail

/**
 * Waits for the outcome: the value (once — afterwards the channel has ended), the sender's
 * failure, or `ChannelClosed` when the channel was closed without a value.
 *
 * Cancellation safety: interrupted while waiting, it has consumed nothing; the value stays for a
 * later receive.
 *
 * @since 0.1.0
 * @category receiving
 */
export const recv: <A, E>(self: Receiver<A, E>) => Effect.Effect<A, E | ChannelClosed> = internal.recv

/**
 * Takes the value if it is there, without waiting: `None` while nothing was sent.
 *
 * Cancellation safety: one synchronous step.
 *
 * @since 0.1.0
 * @category receiving
 */
export const tryRecv: <A, E>(self: Receiver<A, E>) => Effect.Effect<Option.Option<A>, E | ChannelClosed> =
  internal.tryRecv

/**
 * Waits until a `recv` would complete without waiting, consuming nothing.
 *
 * Cancellation safety: consumes nothing, interrupted or not.
 *
 * @since 0.1.0
 * @category readiness
 */
export const awaitReadable: <A, E>(self: Receiver<A, E>) => Effect.Effect<void> = internal.awaitReadable

/**
 * Whether a `recv` would complete now, consuming nothing.
 *
 * @since 0.1.0
 * @category readiness
 */
export const poll: <A, E>(self: Receiver<A, E>) => Effect.Effect<boolean> = internal.poll

/**
 * Closes the channel from either end. While nothing was sent, it ends the channel: the receiver
 * sees `ChannelClosed` and later sends fail. A value already sent stays receivable.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const close: <A, E>(self: Sender<A, E> | Receiver<A, E>) => Effect.Effect<void> = internal.close

/**
 * Whether the channel no longer accepts a send: it was completed, failed or closed.
 *
 * @since 0.1.0
 * @category getters
 */
export const isClosed: <A, E>(self: Sender<A, E> | Receiver<A, E>) => Effect.Effect<boolean> = internal.isClosed
