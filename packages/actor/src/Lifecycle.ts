/**
 * Lifecycle events, for dashboards and logs: every start, restart and termination in an
 * `ActorSystem`, and every plugin leaving a dispatcher (see `ActorSystem.lifecycle`).
 *
 * @since 0.1.0
 */
import type { Cause, Option } from "effect"
import * as Data from "effect/Data"
import type { ActorRef } from "./Actor.js"
import type { TerminationReason } from "./Terminated.js"

/**
 * @since 0.1.0
 * @category models
 */
export type LifecycleEvent = Data.TaggedEnum<{
  /** The actor was spawned. */
  Started: { readonly actor: ActorRef<never> }
  /**
   * Supervision (or a group sibling's crash) restarted the actor, or a parent group restarted a
   * nested group as a unit; `cause` is empty for those two.
   */
  Restarted: { readonly actor: ActorRef<never>; readonly cause: Cause.Cause<unknown> }
  /** The actor is gone. */
  Terminated: { readonly actor: ActorRef<never>; readonly reason: TerminationReason }
  /**
   * The plugin `actor` left the routing of `dispatcher` (its name): it terminated (`reason` is
   * how; a dispatcher watches its plugins), or it was removed with `Dispatcher.remove` (`reason`
   * is none). No message routed after this goes to it.
   */
  PluginRemoved: {
    readonly actor: ActorRef<never>
    readonly dispatcher: string
    readonly reason: Option.Option<TerminationReason>
  }
}>

/**
 * @since 0.1.0
 * @category constructors
 */
export const LifecycleEvent = Data.taggedEnum<LifecycleEvent>()
