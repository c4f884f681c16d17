/**
 * Reliable delivery: messages a handler must settle — `ack`, `nack(reason)` or `defer(duration)` —
 * with redelivery on a `Schedule` and a poison cap.
 *
 * A reliable message is declared with {@link TaggedClass}. Its handler returns a {@link Settled}
 * (built with {@link ack}, {@link nack} or {@link defer}) instead of the bare state, so a handler that
 * can finish without settling does not compile. The handler's context carries the delivery's `id`
 * and `attempt` (1 on first delivery).
 *
 * - `ack`: done; the message is never delivered again.
 * - `nack(reason)`, or a crash in the handler: redelivered after the actor's redelivery
 *   schedule's next delay; when the schedule is exhausted (the poison cap) the message goes to the
 *   system's bounded poison queue (`ActorSystem.poisoned`), from where it can be inspected and
 *   replayed.
 * - `defer(duration)`: redelivered after `duration`, without using up the schedule.
 *
 * The guarantee within one process is at-least-once: an acked message is never redelivered, and
 * an unacked one is redelivered, poisoned, or — if its actor is gone or the system shuts down
 * first — dead-lettered with a reason; never silently lost. A handler can see a message more than
 * once, so its effects should be idempotent.
 *
 * @since 0.1.0
 */
import type { Duration } from "effect"
import * as Data from "effect/Data"
import * as Predicate from "effect/Predicate"
import type { ActorRef } from "./Actor.js"
import * as internal from "./internal/reliable.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The mark of a reliable message.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reliable {
  readonly [TypeId]: TypeId
  readonly _tag: string
}

/**
 * Whether `u` is a message of a `Reliable.TaggedClass`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isReliable = (u: unknown): u is Reliable => Predicate.hasProperty(u, TypeId)

/**
 * Like `Data.TaggedClass`, for reliable messages.
 *
 * @example
 * ```ts
 * import { Reliable } from "@weft/actor"
 *
 * class Charge extends Reliable.TaggedClass("Charge")<{ readonly cents: number }> {}
 * ```
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const TaggedClass: <Tag extends string>(
  tag: Tag
) => new<A extends Record<string, unknown> = {}>(
  args: { readonly [P in keyof A]: A[P] } extends Record<string, never> ? void : { readonly [P in keyof A]: A[P] }
) => Readonly<A> & { readonly _tag: Tag } & Reliable = internal.TaggedClass

/**
 * Which delivery of a reliable message a handler is looking at.
 *
 * @since 0.1.0
 * @category models
 */
export interface Delivery {
  /** Stable across redeliveries, unique within the process. */
  readonly id: number
  /** 1 on first delivery. */
  readonly attempt: number
}

/**
 * @since 0.1.0
 * @category type ids
 */
export const SettledTypeId: unique symbol = internal.SettledTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type SettledTypeId = typeof SettledTypeId

/**
 * A reliable handler's result: the next state and what to do with the message.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settled<out S> {
  readonly [SettledTypeId]: SettledTypeId
  readonly state: S
  readonly settlement: Settlement
}

/**
 * Whether `u` is a reliable handler's result (`ack`, `nack`, `defer`).
 *
 * @since 0.1.0
 * @category guards
 */
export const isSettled = (u: unknown): u is Settled<unknown> => Predicate.hasProperty(u, SettledTypeId)

/**
 * @since 0.1.0
 * @category models
 */
export type Settlement =
  | { readonly _tag: "Ack" }
  | { readonly _tag: "Nack"; readonly reason: string }
  | { readonly _tag: "Defer"; readonly delay: Duration.Duration }

/**
 * The message is handled; it is never delivered again.
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category settling
 */
export const ack: <S>(state: S) => Settled<S> = internal.ack

/**
 * The message failed; redeliver it per the actor's redelivery schedule, or poison it when the
 * schedule is exhausted.
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category settling
 */
export const nack: <S>(state: S, reason: string) => Settled<S> = internal.nack

/**
 * Not now: redeliver the message after `delay`, without counting against the schedule.
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category settling
 */
export const defer: <S>(state: S, delay: Duration.DurationInput) => Settled<S> = internal.defer

/**
 * A message that exhausted its redeliveries.
 *
 * @since 0.1.0
 * @category models
 */
export class Poisoned extends Data.TaggedClass("Poisoned")<{
  readonly actor: ActorRef<never>
  readonly message: Reliable
  readonly id: number
  readonly attempts: number
  readonly reason: string
}> {}
