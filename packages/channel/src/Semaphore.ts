/**
 * A fair counting semaphore: a fixed number of permits, and fibers that wait for one are served
 * in the order they started waiting, like tokio's `Semaphore`.
 *
 * Use it to bound how many effects run at once (jobs on a pool's threads, requests to a service)
 * when the order of arrival must hold, or when many fibers wait. Effect's own `Semaphore` (effect
 * 3.22) wakes every waiter on each release and lets whichever runs first take the permit: a fiber
 * that started waiting later can overtake earlier ones, and with n waiters each release costs n
 * fiber wake-ups. Here a release hands the permit to the longest waiter alone, and nobody can take
 * a free permit past a waiter.
 *
 * Cancellation safety: interrupting `withPermit` while it waits leaves the line; a permit granted
 * to it at that moment passes to the next waiter. Interrupted while `use` runs, `use` is
 * interrupted and the permit returned when it has finished. No permit is ever lost or duplicated.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Semaphore } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const connections = yield* Semaphore.make(2)
 *   // At most two queries at once, started in the order they were asked for.
 *   const query = (sql: string) => Effect.log(sql).pipe(Semaphore.withPermit(connections))
 *   yield* Effect.forEach(["a", "b", "c"], query, { concurrency: "unbounded" })
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Effect, Inspectable, Option, Pipeable } from "effect"
import type { InvalidPermits } from "./ChannelError.js"
import * as internal from "./internal/semaphore.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  InvalidPermits
} from "./ChannelError.js"

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
 * @since 0.1.0
 * @category models
 */
export interface Semaphore extends Pipeable.Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
}

/**
 * A semaphore with `permits` permits (a positive integer), all free. Fails with
 * `InvalidPermits` otherwise.
 *
 * Cancellation safety: a single synchronous step.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (permits: number) => Effect.Effect<Semaphore, InvalidPermits> = internal.make

/**
 * {@link make} outside an effect, for a semaphore built with the value that owns it. Throws
 * `InvalidPermits` for a count that is not a positive integer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: (permits: number) => Semaphore = internal.unsafeMake

/**
 * Runs `use` holding one permit: at once if one is free and nobody waits, else after every fiber
 * that started waiting before. The permit returns when `use` ends, however it ends.
 *
 * Cancellation safety: see the module's notes — interrupted while waiting, nothing is held and the
 * line moves on; interrupted while running, `use` is interrupted and its permit returned.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Semaphore } from "@weft/channel"
 *
 * const oneAtATime = Semaphore.unsafeMake(1)
 * const guarded = Effect.log("alone").pipe(Semaphore.withPermit(oneAtATime))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPermit: {
  (self: Semaphore): <A, E, R>(use: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(use: Effect.Effect<A, E, R>, self: Semaphore): Effect.Effect<A, E, R>
} = internal.withPermit

/**
 * Runs `use` holding one permit if one is free and nobody waits (`Some` of its result), else does
 * not run it (`None`): it never jumps the line, so a steady stream of these cannot starve the
 * waiters.
 *
 * Cancellation safety: it never waits; interrupted while `use` runs, as {@link withPermit}.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPermitIfAvailable: {
  (self: Semaphore): <A, E, R>(use: Effect.Effect<A, E, R>) => Effect.Effect<Option.Option<A>, E, R>
  <A, E, R>(use: Effect.Effect<A, E, R>, self: Semaphore): Effect.Effect<Option.Option<A>, E, R>
} = internal.withPermitIfAvailable

/**
 * Completes once every permit is free: every holder has finished and nobody waits (a drain).
 *
 * Cancellation safety: waiting has no effect on the semaphore; interrupting it stops the wait.
 *
 * @since 0.1.0
 * @category combinators
 */
export const awaitAllReturned: (self: Semaphore) => Effect.Effect<void> = internal.awaitAllReturned

/**
 * The free permits now.
 *
 * @since 0.1.0
 * @category getters
 */
export const available: (self: Semaphore) => Effect.Effect<number> = internal.available

/**
 * The fibers waiting for a permit now.
 *
 * @since 0.1.0
 * @category getters
 */
export const waiting: (self: Semaphore) => Effect.Effect<number> = internal.waiting
