/**
 * Supervisor groups: children that share one restart schedule and restart together.
 *
 * - `"one-for-one"`: a crashed child restarts alone.
 * - `"one-for-all"`: every child restarts when one crashes.
 * - `"rest-for-one"`: the crashed child and the children started after it restart.
 *
 * A restart here is the actor's restart: a fresh incarnation (new state, `onStart` again, the old
 * incarnation's scope closed) while its mailbox — and so its `ActorRef` — stays. A sibling restarts
 * after the message it is handling, not in the middle of it. Each crash counts against the
 * group's schedule; when it is exhausted the group fails: the crashed child terminates with
 * `Failed`, the others stop, and the failure escalates to the actor that started the group (if
 * any) as that actor's crash.
 *
 * @since 0.1.0
 */
import type { Cause, Effect, Schedule, Scope } from "effect"
import type { ActorRef, Behavior, Message, SpawnOptions } from "./Actor.js"
import type { SpawnError } from "./ActorError.js"
import type { ActorSystem } from "./ActorSystem.js"
import * as internal from "./internal/supervisor.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const ChildTypeId: unique symbol = internal.ChildTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type ChildTypeId = typeof ChildTypeId

/**
 * One child of a group: its behaviour and spawn options (supervision is the group's).
 *
 * @since 0.1.0
 * @category models
 */
export interface ChildSpec<in M, out R> {
  readonly [ChildTypeId]: { readonly _M: (_: M) => void; readonly _R: () => R }
}

/**
 * @since 0.1.0
 * @category models
 */
export type Strategy = "one-for-one" | "one-for-all" | "rest-for-one"

/**
 * A running group: a ref per child, by the names the spec gave them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Supervisor<C> {
  readonly name: string
  readonly children: { readonly [K in keyof C]: C[K] extends ChildSpec<infer M, infer _R> ? ActorRef<M> : never }
  /**
   * Completes with the crash that exhausted the group's restart schedule.
   *
   * Cancellation safety: interrupting the wait has no effect on the group.
   */
  readonly failed: Effect.Effect<Cause.Cause<unknown>>
}

/**
 * Describes a child for {@link start}.
 *
 * Cancellation safety: a constructor; nothing runs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const child: <M extends Message, S, R>(
  behavior: Behavior<M, S, R>,
  options?: Omit<SpawnOptions, "supervision">
) => ChildSpec<M, Exclude<R, Scope.Scope>> = internal.child

/**
 * Starts the children in the order of `children`'s keys (the order `"rest-for-one"` uses).
 * Restarts default to exponential backoff from 10 ms, at most 5; use `Schedule.resetAfter` for
 * "at most N within a window".
 *
 * Cancellation safety: as `Actor.spawn`, child by child: children started before an
 * interruption belong to the scope and stop with it.
 *
 * @example
 * ```ts
 * import { Data, Effect, Schedule } from "effect"
 * import { Actor, Supervisor } from "@weft/actor"
 *
 * class Job extends Data.TaggedClass("Job")<{}> {}
 * const worker = Actor.behavior<Job>()({ initialState: 0, handlers: { Job: (_, n) => Effect.succeed(n + 1) } })
 *
 * const group = Supervisor.start({
 *   strategy: "rest-for-one",
 *   restarts: Schedule.recurs(3),
 *   children: { reader: Supervisor.child(worker), writer: Supervisor.child(worker) }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const start: <const C extends Readonly<Record<string, ChildSpec<never, unknown>>>>(spec: {
  readonly name?: string | undefined
  readonly strategy: Strategy
  readonly restarts?: Schedule.Schedule<unknown, Cause.Cause<unknown>> | undefined
  readonly children: C
}) => Effect.Effect<
  Supervisor<C>,
  SpawnError,
  { [K in keyof C]: C[K] extends ChildSpec<infer _M, infer R> ? R : never }[keyof C] | ActorSystem | Scope.Scope
> = internal.start
