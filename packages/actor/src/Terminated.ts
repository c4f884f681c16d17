/**
 * How an actor ended: the death-watch notification and its reason.
 *
 * @since 0.1.0
 */
import type { Cause } from "effect"
import * as Data from "effect/Data"
import type { ActorRef } from "./Actor.js"

/**
 * Why an actor terminated.
 *
 * @since 0.1.0
 * @category models
 */
export type TerminationReason = Data.TaggedEnum<{
  /** `stop`, `drain`, a scope closing or the system shutting down, completed gracefully. */
  Stopped: {}
  /** `kill`, or a graceful stop that overran its timeout. */
  Killed: {}
  /** A crash that supervision did not absorb (strategy `"stop"`, `"escalate"`, or too many restarts). */
  Failed: { readonly cause: Cause.Cause<unknown> }
}>

/**
 * @since 0.1.0
 * @category constructors
 */
export const TerminationReason = Data.taggedEnum<TerminationReason>()

/**
 * The death-watch notification: delivered to a watcher's system lane (see `Actor.watch`), and
 * the result of `Actor.stop` and `Actor.awaitTermination`.
 *
 * @since 0.1.0
 * @category models
 */
export class Terminated extends Data.TaggedClass("Terminated")<{
  readonly actor: ActorRef<never>
  readonly reason: TerminationReason
}> {}
