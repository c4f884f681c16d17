/**
 * Waiting on one source — or on an effect declared {@link discardable} — with a bound: a duration
 * (`timeout`), a point in time (`deadline`) or an `AbortSignal` (`abortable`); and the bridges
 * between `AbortSignal` and interruption (`toAbortSignal`, `fromAbortSignal`).
 *
 * Cancellation safety: a bounded wait on a source is safe as `select` is — a timed-out, aborted or
 * interrupted receive consumed nothing. A plain effect is accepted only when declared
 * `discardable`, because giving up on it may drop the value it had just produced.
 *
 * @since 0.1.0
 */
import type { Duration, Effect, Scope, Types } from "effect"
import { dual } from "effect/Function"
import type { Pipeable } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as internal from "./internal/wait.js"
import type * as Select from "./Select.js"
import type { Aborted, TimeoutError } from "./SelectError.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const DiscardableTypeId: unique symbol = internal.DiscardableTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type DiscardableTypeId = typeof DiscardableTypeId

/**
 * An effect declared safe to drop: its value is computed or fetched for its caller alone (a
 * request, a computation), not taken from a source that someone else would otherwise receive
 * it from. Built with {@link discardable}; `timeout`, `deadline` and `abortable` accept it beside
 * sources.
 *
 * @since 0.1.0
 * @category models
 */
export interface Discardable<out A, out E = never, out R = never> extends Pipeable {
  readonly [DiscardableTypeId]: {
    readonly _A: Types.Covariant<A>
    readonly _E: Types.Covariant<E>
    readonly _R: Types.Covariant<R>
  }
}

/**
 * Whether `u` is an effect marked with `discardable`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isDiscardable = (u: unknown): u is Discardable<unknown, unknown, unknown> =>
  Predicate.hasProperty(u, DiscardableTypeId)

/**
 * Declares that `effect`'s value may be dropped, so that `timeout`, `deadline` and `abortable`
 * may run it. They run it in a child fiber and, when they are interrupted from outside, interrupt
 * it — if it had finished just then, its value goes nowhere: an interrupted fiber cannot return it.
 * That is harmless for a computation or a request, and a loss for a receive, which is why these
 * wrappers take a plain effect only through this declaration. Wrap the source instead
 * (`Wait.timeout(rx, …)`), never `discardable(Mpsc.recv(rx))`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Wait } from "@weft/select"
 *
 * const lookup = (id: number) => Effect.succeed({ id, name: "ann" })
 * const quick = (id: number) => Wait.discardable(lookup(id)).pipe(Wait.timeout("100 millis"))
 * ```
 *
 * @since 0.1.0
 * @category time
 */
export const discardable: <A, E, R>(effect: Effect.Effect<A, E, R>) => Discardable<A, E, R> = internal.discardable

/**
 * What a waiting wrapper (`timeout`, `deadline`, `abortable`) returns for `self`: a source's value
 * or a discardable effect's result, with their errors and `Stop`, the error of giving up.
 *
 * @since 0.1.0
 * @category models
 */
export type Bounded<X, Stop> = X extends Discardable<infer A, infer E, infer R> ? Effect.Effect<A, E | Stop, R>
  : Effect.Effect<Select.ValueOf<X>, Select.ErrorOf<X> | Stop>

/**
 * What `timeout` and `deadline` return for `self`.
 *
 * @since 0.1.0
 * @category models
 */
export type Timed<X> = Bounded<X, TimeoutError>

/**
 * What `timeout`, `deadline` and `abortable` wait on: a source, or an effect declared
 * {@link discardable}. A plain effect does not compile: see `discardable` for why.
 *
 * @since 0.1.0
 * @category models
 */
export type Waitable = Select.Source<unknown, unknown> | Discardable<unknown, unknown, unknown>

/**
 * Waits at most `after` for `self`, failing with `TimeoutError { after }` otherwise. `self` is a
 * source (a branch or a `Claimable`: a receive with a timeout) or an effect declared
 * {@link discardable}.
 *
 * Cancellation safety: for a source, safe, as `select`: a timed-out or interrupted receive
 * consumed nothing, and a received value is the caller's result from the step that claimed it.
 * For a discardable effect: it runs in a child fiber that is interrupted when time is up, and a
 * value it had already produced is returned instead of the timeout; interrupted from outside,
 * `timeout` interrupts the child and drops its value.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 * import { Wait } from "@weft/select"
 *
 * const recvWithin = (rx: Mpsc.Receiver<number>) =>
 *   Wait.timeout(rx, "1 second").pipe(
 *     Effect.catchTag("TimeoutError", (e) => Effect.succeed(`nothing in ${e.after}`))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category time
 */
export const timeout: {
  (after: Duration.DurationInput): <X extends Waitable>(self: X) => Timed<X>
  <X extends Waitable>(self: X, after: Duration.DurationInput): Timed<X>
} = dual(2, internal.timeout)

/**
 * Like {@link timeout}, with a point in time on the fiber's `Clock` (epoch milliseconds or a
 * `Date`) instead of a duration. The `TimeoutError`'s `after` is the time that was left when it
 * started.
 *
 * Cancellation safety: as `timeout`.
 *
 * @since 0.1.0
 * @category time
 */
export const deadline: {
  (at: number | Date): <X extends Waitable>(self: X) => Timed<X>
  <X extends Waitable>(self: X, at: number | Date): Timed<X>
} = dual(2, internal.deadline)

/**
 * An `AbortSignal` that is aborted when the scope closes — when the fiber that owns the scope
 * ends or is interrupted. Hand it to `fetch` or any signal-aware API: interrupting the fiber
 * cancels the request.
 *
 * Cancellation safety: the signal is aborted on every exit of the scope, interruption included.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Wait } from "@weft/select"
 *
 * const get = (url: string) =>
 *   Effect.scoped(Effect.gen(function* () {
 *     const signal = yield* Wait.toAbortSignal
 *     return yield* Effect.promise(() => fetch(url, { signal }).then((response) => response.text()))
 *   }))
 * ```
 *
 * @since 0.1.0
 * @category abort
 */
export const toAbortSignal: Effect.Effect<AbortSignal, never, Scope.Scope> = internal.toAbortSignal

/**
 * An effect that fails with `Aborted { reason }` once `signal` is aborted (at once if it already
 * is), and otherwise waits.
 *
 * Cancellation safety: safe; interrupted, it removes its event listener.
 *
 * @since 0.1.0
 * @category abort
 */
export const fromAbortSignal: (signal: AbortSignal) => Effect.Effect<never, Aborted> = internal.fromAbortSignal

/**
 * Waits for `self` — a source, or an effect declared {@link discardable} — until `signal` is
 * aborted; it then fails with `Aborted { reason }`. A source's value is preferred when both are
 * ready; a value a discardable effect had already produced when the signal fired is returned.
 *
 * Cancellation safety: as {@link timeout}. For a source, safe: nothing is consumed unless it is
 * returned. A discardable effect is interrupted when `abortable` is, and its value dropped.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 * import { Wait } from "@weft/select"
 *
 * const recvUnlessAborted = (rx: Mpsc.Receiver<string>, signal: AbortSignal) =>
 *   Wait.abortable(rx, signal).pipe(Effect.catchTag("Aborted", () => Effect.succeed("gave up")))
 * ```
 *
 * @since 0.1.0
 * @category abort
 */
export const abortable: {
  (signal: AbortSignal): <X extends Waitable>(self: X) => Bounded<X, Aborted>
  <X extends Waitable>(self: X, signal: AbortSignal): Bounded<X, Aborted>
} = dual(2, internal.abortable)
