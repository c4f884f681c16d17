/**
 * Supervision groups: children that share one restart schedule and restart together. A group is
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
 * Restart types (per actor child, {@link RestartType}): a `"transient"` child (the default) is
 * restarted after a crash only; a `"permanent"` one also after it stops (a `stop` or `drain`
 * from anyone but its group, or its own); a `"temporary"` one never, and its exit leaves the
 * schedule and its siblings alone. A kill is final for every type. Children can be added to and
 * removed from a running group ({@link startChild}, {@link stopChild}).
 *
 * Each crash — and each stop of a permanent child — counts against the group's schedule. When it
 * is exhausted, a nested group escalates to its parent group, which decides about the whole
 * nested group as one of its children (and may itself be exhausted and escalate further). A
 * top-level group fails: the crashed child terminates with `Failed`, the others stop (last
 * started first), the group terminates with `Failed`, `failed` completes, and if the group was
 * started inside a handler the failure escalates to that actor as its crash.
 *
 * @since 0.1.0
 */
import type { Cause, Effect, Inspectable, Pipeable, Schedule, Scope } from "effect"
import * as Predicate from "effect/Predicate"
import type { ActorRef, Behavior, Message, SpawnOptions, StopOptions } from "./Actor.js"
import type { ChildNotFound, SpawnError, StartChildError } from "./ActorError.js"
import type { ActorSystem } from "./ActorSystem.js"
import * as internal from "./internal/supervision.js"
import type { Terminated } from "./Terminated.js"

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
 * Whether `u` is an actor child spec built with `child`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isChildSpec = (u: unknown): u is ChildSpec<never, unknown> => Predicate.hasProperty(u, ChildTypeId)

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
 * Whether `u` is a group spec built with `group`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isGroupSpec = (u: unknown): u is GroupSpec<unknown, unknown> => Predicate.hasProperty(u, GroupTypeId)

/**
 * When a group restarts an actor child (OTP's restart types):
 *
 * - `"transient"` (default): after a crash only. A stop — by anyone, or its own — ends it for good.
 * - `"permanent"`: after a crash, and after a graceful stop (`stop` or `drain`, whether from
 *   outside, from its own handler, or its user lane closing) that did not come from its group or
 *   {@link stopChild}. Such a stop counts against the group's schedule like a crash (with an empty
 *   cause), and the group's strategy restarts the siblings it names, as for a crash.
 * - `"temporary"`: never. Its exit, crash or stop, does not touch the schedule or the siblings;
 *   where the strategy would restart it along with a sibling, it is stopped (after its current
 *   message) instead.
 *
 * A kill is final for every type (it is what a stop that overruns its timeout ends in).
 * `"transient"` is the default because it is how every child behaved before restart types
 * existed: code that stops a child directly keeps stopping it.
 *
 * @since 0.1.0
 * @category models
 */
export type RestartType = "permanent" | "transient" | "temporary"

/**
 * Options of an actor child: its spawn options (supervision is the group's) and its restart type.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChildOptions extends Omit<SpawnOptions, "supervision"> {
  /** Default `"transient"`. */
  readonly restart?: RestartType | undefined
}

/**
 * The handle a child spec gives: an `ActorRef` for an actor, a `Supervisor` for a nested group.
 *
 * @since 0.1.0
 * @category models
 */
export type Handle<S> = S extends ChildSpec<infer M, infer _R> ? ActorRef<M>
  : S extends GroupSpec<infer C, infer _R> ? Supervisor<C>
  : never

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
export interface Supervisor<C> extends Pipeable.Pipeable, Inspectable.Inspectable {
  readonly name: string
  readonly ref: ActorRef<never>
  /** The children of the spec; children added by {@link startChild} are not listed here. */
  readonly children: { readonly [K in keyof C]: Handle<C[K]> }
  /**
   * Completes with the crash that made the group give up (see the module description).
   *
   * Cancellation safety: interrupting the wait has no effect on the group.
   */
  readonly failed: Effect.Effect<Cause.Cause<unknown>>
}

/**
 * Describes an actor child for {@link start}, {@link group} or {@link startChild}, with its
 * restart type (default `"transient"`, see {@link RestartType}).
 *
 * Cancellation safety: a constructor; nothing runs.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { Actor, Supervision } from "@weft/actor"
 *
 * class Job extends Data.TaggedClass("Job")<{}> {}
 * const worker = Actor.behavior<Job>()({ initialState: 0, handlers: { Job: (_, n) => Effect.succeed(n + 1) } })
 *
 * const always = Supervision.child(worker, { restart: "permanent" }) // restarted even after a stop
 * const once = Supervision.child(worker, { restart: "temporary", name: "one-off" }) // never restarted
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const child: <M extends Message, S, R>(
  behavior: Behavior<M, S, R>,
  options?: ChildOptions
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
 * import { Actor, ActorSystem, Supervision } from "@weft/actor"
 *
 * class Job extends Data.TaggedClass("Job")<{}> {}
 * const worker = Actor.behavior<Job>()({ initialState: 0, handlers: { Job: (_, n) => Effect.succeed(n + 1) } })
 *
 * const tree = Supervision.start({
 *   strategy: "one-for-one",
 *   restarts: Schedule.recurs(10),
 *   children: {
 *     io: Supervision.group({
 *       strategy: "one-for-all",
 *       restarts: Schedule.recurs(2),
 *       children: { reader: Supervision.child(worker), writer: Supervision.child(worker) }
 *     }),
 *     audit: Supervision.child(worker)
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
 * import { Actor, ActorSystem, Supervision } from "@weft/actor"
 *
 * class Job extends Data.TaggedClass("Job")<{}> {}
 * const worker = Actor.behavior<Job>()({ initialState: 0, handlers: { Job: (_, n) => Effect.succeed(n + 1) } })
 *
 * const program = Effect.gen(function*() {
 *   const group = yield* Supervision.start({
 *     strategy: "rest-for-one",
 *     restarts: Schedule.recurs(3),
 *     children: { reader: Supervision.child(worker), writer: Supervision.child(worker) }
 *   })
 *   yield* Actor.tell(group.children.reader, new Job())
 *   yield* Actor.stop(group.ref, { mode: "drain", timeout: "5 seconds" }) // writer, then reader
 * }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const start: <const C extends Children>(
  spec: Spec<C>
) => Effect.Effect<Supervisor<C>, SpawnError, Requirements<C> | ActorSystem | Scope.Scope> = internal.start

/**
 * Adds a child to a running group: an actor (`child`) or a nested group (`group`), started last
 * in the group's order (so `"rest-for-one"` restarts it after every earlier child's crash, and a
 * stop of the group stops it first). The group knows it by its `name` option — the actor's (or the
 * nested group's) name in the system — or, without one, by its generated name (`ref.name`).
 *
 * Fails with `GroupStopping` if the group is stopping, failed or gone; `ChildExists` if the group
 * has a running child by that name; `NameTaken` if another actor in the system has it.
 *
 * Cancellation safety: uninterruptible while it registers and starts the child. Interrupted before,
 * nothing is started; an interruption that arrives meanwhile takes effect once the child is up,
 * and the child is then killed and removed again — the caller either gets the handle or leaves no
 * child (and no taken name) behind. A nested group that fails to start a child of its own is
 * killed with the children it started, and the error returned.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { Actor, ActorSystem, Supervision } from "@weft/actor"
 *
 * class Job extends Data.TaggedClass("Job")<{}> {}
 * const worker = Actor.behavior<Job>()({ initialState: 0, handlers: { Job: (_, n) => Effect.succeed(n + 1) } })
 *
 * const program = Effect.gen(function*() {
 *   const pool = yield* Supervision.start({ strategy: "one-for-one", children: {} })
 *   const extra = yield* Supervision.startChild(pool, Supervision.child(worker, { name: "extra" }))
 *   yield* Actor.tell(extra, new Job()) // extra: ActorRef<Job>
 *   yield* Supervision.stopChild(pool, "extra", { mode: "drain" })
 * }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))
 * ```
 *
 * @since 0.1.0
 * @category children
 */
export const startChild: {
  <S extends ChildSpec<never, unknown> | GroupSpec<unknown, unknown>>(
    spec: S
  ): <C>(self: Supervisor<C>) => Effect.Effect<Handle<S>, StartChildError, Requirements<{ readonly child: S }>>
  <C, S extends ChildSpec<never, unknown> | GroupSpec<unknown, unknown>>(
    self: Supervisor<C>,
    spec: S
  ): Effect.Effect<Handle<S>, StartChildError, Requirements<{ readonly child: S }>>
} = internal.startChild

/**
 * Stops a child of the group for good, by its name in the group (a key of the spec's
 * `children`, or the name a {@link startChild} child was registered under) or by its ref (a
 * nested group's `ref`). It is not restarted, whatever its restart type, and its exit restarts no
 * sibling; otherwise it stops as with `Actor.stop` (mode `stop`, `drain` or `kill`, with a
 * timeout after which it is killed) and returns its `Terminated`. It leaves the group's order,
 * which `"rest-for-one"` then uses, and its name is free for {@link startChild} again.
 *
 * Fails with `ChildNotFound` if the group has no running child by that name or ref.
 *
 * Cancellation safety: the stop goes on once requested (the child no longer restarts and already
 * rejects messages); only the wait for it is abandoned.
 *
 * @since 0.1.0
 * @category children
 */
export const stopChild: {
  (
    child: string | ActorRef<never>,
    options?: StopOptions
  ): <C>(self: Supervisor<C>) => Effect.Effect<Terminated, ChildNotFound>
  <C>(
    self: Supervisor<C>,
    child: string | ActorRef<never>,
    options?: StopOptions
  ): Effect.Effect<Terminated, ChildNotFound>
} = internal.stopChild
