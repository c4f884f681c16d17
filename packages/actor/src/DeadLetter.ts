/**
 * Dead letters: every message that was not processed — dropped by a full mailbox, evicted,
 * expired, rejected, crashed or left behind by a stopped actor — with the reason why.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * A message that holds a resource implements this: the system calls it, once, when the message
 * becomes a dead letter, so the resource is released even though no handler ran (the
 * dispatcher's arena `Delivery` releases its `MessageRef` this way). It must be synchronous and
 * must not throw.
 *
 * @since 0.1.0
 * @category symbols
 */
export const OnDeadLetter: unique symbol = Symbol.for("@weft/actor/DeadLetter/OnDeadLetter")

/**
 * @since 0.1.0
 * @category models
 */
export interface Releasing {
  readonly [OnDeadLetter]: () => void
}

/**
 * Why a message became a dead letter.
 * - `"MailboxFull"`: the user lane was full (strategy `"dropping"` or `"fail"`).
 * - `"Evicted"`: the oldest queued message, pushed out by a newer one (strategy `"sliding"`).
 * - `"Expired"`: an ask whose deadline passed before the actor reached it; it was not run.
 * - `"AskInterrupted"`: an ask whose caller was interrupted before the actor reached it; it was not run.
 * - `"ActorStopping"`: sent while the actor was stopping or draining; the sender got `ActorStopping`.
 * - `"ActorStopped"`: sent to a terminated actor, or still queued when it terminated.
 * - `"Crashed"`: the message whose handler crashed; it is not retried.
 * - `"Killed"`: the message whose handler was running when the actor was killed; the handler was
 *   interrupted part-way (whatever it did before that stays done).
 * - `"NoRoute"`: a dispatcher had no plugin for it, or it reached a supervisor group (which
 *   handles no messages; only possible by casting its ref).
 * - `"RequestFailed"`: a request that was told, not asked (through a dispatcher, say), whose
 *   handler failed with its typed failure: nobody was waiting for it, so the failure is kept in
 *   the dead letter's `failure`.
 *
 * @since 0.1.0
 * @category models
 */
export type Reason =
  | "MailboxFull"
  | "Evicted"
  | "Expired"
  | "AskInterrupted"
  | "ActorStopping"
  | "ActorStopped"
  | "Crashed"
  | "Killed"
  | "NoRoute"
  | "RequestFailed"

/**
 * @since 0.1.0
 * @category models
 */
export class DeadLetter extends Data.TaggedClass("DeadLetter")<{
  /** The name of the actor the message was addressed to. */
  readonly actor: string
  readonly message: unknown
  readonly reason: Reason
  /** For `"RequestFailed"`: the handler's typed failure. */
  readonly failure?: unknown
}> {}
