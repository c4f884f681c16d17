/**
 * Supervisor groups: children that share one restart schedule and restart together. A group is
 * an actor of its own: it has a ref that can be watched and stopped as a unit, and it can be a
 * child of another group.
 *
 * - `"one-for-one"`: a crashed child restarts alone.
 * - `"one-for-all"`: every child restarts when one crashes.
 * - `"rest-for-one"`: the crashed child and the children started after it restart.
 *
 * A restart here is the actor's restart: a fresh incarnation (new state, `onStart` again, the old
 * incarnation's scope closed) while its mailbox — and so its `ActorRef` — stays. A sibling restarts
 * after the message it is handling, not in the middle of it. A nested group restarts as a unit:
 * every actor in it restarts and its own schedule starts over.
 *
 * Each crash counts against the group's schedule. When it is exhausted, a nested group escalates
 * to its parent group, which decides about the whole nested group as one of its children (and may
 * itself be exhausted and escalate further). A top-level group fails: the crashed child
 * terminates with `Failed`, the others stop (last started first), the group terminates with
 * `Failed`, `failed` completes, and if the group was started inside a handler the failure
 * escalates to that actor as its crash.
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
 * @since 0.1.0
 * @category type ids
 */
export const GroupTypeId: unique symbol = internal.GroupTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type GroupTypeId = typeof GroupTypeId

/**
 * One actor child of a group: its behaviour and spawn options (supervision is the group's).
 *
 * @since 0.1.0
 * @category models
 */
export interface ChildSpec<in M, out R> {
  readonly [ChildTypeId]: { readonly _M: (_: M) => void; readonly _R: () => R }
}

/**
 * A nested group as the child of another group (see {@link group}).
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupSpec<out C, out R> {
  readonly [GroupTypeId]: { readonly _C: () => C; readonly _R: () => R }
}

/**
 * @since 0.1.0
 * @category models
 */
export type Strategy = "one-for-one" | "one-for-all" | "rest-for-one"

/**
 * A group's children by name, in start order.
 *
 * @since 0.1.0
 * @category models
 */
export type Children = Readonly<Record<string, ChildSpec<never, unknown> | GroupSpec<unknown, unknown>>>

/**
 * What the children of a group need: the union of their handlers' requirements.
 *
 * @since 0.1.0
 * @category models
 */
export type Requirements<C> = {
  [K in keyof C]: C[K] extends ChildSpec<infer _M, infer R> ? R : C[K] extends GroupSpec<infer _C, infer R> ? R : never
}[keyof C]

/**
 * @since 0.1.0
 * @category models
 */
export interface Spec<C> {
  /** Registers the group under this name in the `ActorSystem`. Default `supervisor-<n>`. */
  readonly name?: string | undefined
  readonly strategy: Strategy
  /**
   * Delays between restarts, and their limit: when the schedule ends, the group escalates.
   * Default: exponential from 10 ms, at most 5 restarts. Use `Schedule.resetAfter` for "at most
   * N within a window".
   */
  readonly restarts?: Schedule.Schedule<unknown, Cause.Cause<unknown>> | undefined
  /** Started in the order of the keys (the order `"rest-for-one"` uses), stopped in reverse. */
  readonly children: C
}

/**
 * A running group: its own ref, and a handle per child by the names the spec gave them — an
 * `ActorRef` for an actor, a `Supervisor` for a nested group.
 *
 * The ref works with `Actor.stop` (the children stop in reverse start order, with the same mode
 * and timeout, then the group; a kill kills them), `Actor.watch` and `Actor.awaitTermination`.
 * It accepts no messages.
 *
 * @since 0.1.0
 * @category models
 */
export interface Supervisor<C> {
  readonly name: string
  readonly ref: ActorRef<never>
  readonly children: {
    readonly [K in keyof C]: C[K] extends ChildSpec<infer M, infer _R> ? ActorRef<M>
      : C[K] extends GroupSpec<infer C2, infer _R> ? Supervisor<C2>
      : never
  }
  /**
   * Completes with the crash that made the group give up (see the module description).
   *
   * Cancellation safety: interrupting the wait has no effect on the group.
   */
  readonly failed: Effect.Effect<Cause.Cause<unknown>>
}

/**
 * Describes an actor child for {@link start} or {@link group}.
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
 * Describes a nested group, as a child of another group. Its schedule is its own; when it is
 * exhausted the nested group escalates to its parent group, whose strategy then applies to the
 * nested group as a whole.
 *
 * Cancellation safety: a constructor; nothing runs.
 *
 * @example
 * ```ts
 * import { Data, Effect, Schedule } from "effect"
 * import { Actor, Supervisor } from "@weft/actor"
 *
 * class Job extends Data.TaggedClass("Job")<{}> {}
 * const worker = Actor.behavior<Job>()({ initialState: 0, handlers: { Job: (_, n) => Effect.succeed(n + 1) } })
 *
 * const tree = Supervisor.start({
 *   strategy: "one-for-one",
 *   restarts: Schedule.recurs(10),
 *   children: {
 *     io: Supervisor.group({
 *       strategy: "one-for-all",
 *       restarts: Schedule.recurs(2),
 *       children: { reader: Supervisor.child(worker), writer: Supervisor.child(worker) }
 *     }),
 *     audit: Supervisor.child(worker)
 *   }
 * })
 * // tree: Effect<Supervisor<...>>; (yield* tree).children.io.children.reader is an ActorRef<Job>
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const group: <const C extends Children>(spec: Spec<C>) => GroupSpec<C, Requirements<C>> = internal.group

/**
 * Starts the group's actor, then its children in the order of `children`'s keys (nested groups
 * recursively). Closing the `Scope` stops the group (its children in reverse order).
 *
 * Cancellation safety: uninterruptible while it starts; if a child fails to start (a taken name,
 * a bad capacity), the group and the children already started are killed and the error returned.
 *
 * @example
 * ```ts
 * import { Data, Effect, Schedule } from "effect"
 * import { Actor, Supervisor } from "@weft/actor"
 *
 * class Job extends Data.TaggedClass("Job")<{}> {}
 * const worker = Actor.behavior<Job>()({ initialState: 0, handlers: { Job: (_, n) => Effect.succeed(n + 1) } })
 *
 * const program = Effect.gen(function*() {
 *   const group = yield* Supervisor.start({
 *     strategy: "rest-for-one",
 *     restarts: Schedule.recurs(3),
 *     children: { reader: Supervisor.child(worker), writer: Supervisor.child(worker) }
 *   })
 *   yield* Actor.tell(group.children.reader, new Job())
 *   yield* Actor.stop(group.ref, { mode: "drain", timeout: "5 seconds" }) // writer, then reader
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const start: <const C extends Children>(
  spec: Spec<C>
) => Effect.Effect<Supervisor<C>, SpawnError, Requirements<C> | ActorSystem | Scope.Scope> = internal.start
