/**
 * The readiness protocol: how a source of values says "something is ready" without handing it
 * over, and how a consumer then claims it synchronously.
 *
 * Every receiving end in `@weft/channel` implements {@link Claimable}, and so can any user type.
 * `@weft/select` is built on it: it checks its branches with `claim`, and when none is ready it
 * registers a waker on each with `onReady` and suspends. Because a claim is synchronous and only
 * the fiber that claims takes the value, a consumer that is interrupted while it waits has taken
 * nothing — the property that `Effect.race` around `Queue.take` cannot give in effect 3.22.
 *
 * Rules an implementation keeps:
 * - `claim` never suspends. It returns `undefined` when nothing is ready and never consumes
 *   anything then.
 * - Once the source has ended (closed and drained, or failed), `claim` returns the same failure
 *   `Exit` on every call.
 * - A waker registered with `onReady` is called at most once, synchronously, by whoever makes the
 *   source ready (a send, a close, a failure). It may be called spuriously: a woken consumer
 *   calls `claim` again and may find nothing, because another consumer was faster.
 * - The function `onReady` returns unregisters the waker; calling it after the waker ran, or twice,
 *   is harmless.
 * - A source wakes one waiter per value that becomes ready (every waiter on close), so a consumer
 *   whose waker ran but that did not claim — a `select` that took another branch — calls the
 *   unregister function: the `@weft/channel` sources then pass the wakeup on to the next waiter
 *   while they are still ready, and no other consumer is left waiting beside a ready value.
 *
 * @since 0.1.0
 */
import type { Exit } from "effect"
import * as Predicate from "effect/Predicate"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@weft/channel/Readiness")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The low-level operations behind a {@link Claimable}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Readiness<out A, out E> {
  /**
   * Takes one value if one is ready, synchronously: `Exit.succeed(value)` for a value,
   * `Exit.fail(error)` once the source has ended, `undefined` when nothing is ready yet.
   */
  readonly claim: () => Exit.Exit<A, E> | undefined
  /**
   * Registers a one-shot waker, called when `claim` may have something to return. Returns the
   * function that unregisters it.
   */
  readonly onReady: (wake: () => void) => () => void
}

/**
 * A source that can be checked and claimed from synchronously: a channel receiver, a oneshot, a
 * broadcast subscription, a watch, or a user type.
 *
 * @since 0.1.0
 * @category models
 */
export interface Claimable<out A, out E = never> {
  readonly [TypeId]: Readiness<A, E>
}

/**
 * @since 0.1.0
 * @category guards
 */
export const isClaimable = (u: unknown): u is Claimable<unknown, unknown> => Predicate.hasProperty(u, TypeId)

/**
 * Builds a {@link Claimable} from its two operations, for user sources.
 *
 * @example
 * ```ts
 * import { Exit } from "effect"
 * import { Readiness } from "@weft/channel"
 *
 * // A source that is always ready with the current time in milliseconds.
 * const now = Readiness.make({
 *   claim: () => Exit.succeed(Date.now()),
 *   onReady: (wake) => {
 *     wake()
 *     return () => {}
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, E = never>(readiness: Readiness<A, E>): Claimable<A, E> => ({ [TypeId]: readiness })
