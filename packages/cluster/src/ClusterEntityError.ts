/**
 * Errors of `@weft/cluster`. `EntityFailed` crosses the wire (it is a `Schema.TaggedError`): the
 * remote actor was reached but could not handle the message. `AskTimeout` is the caller's own
 * deadline passing.
 *
 * @since 0.1.0
 */
import { Data, Schema } from "effect"

/**
 * Why an entity's actor could not handle a message: the local actor error it met on the runner
 * that owns the entity (`HandlerCrashed`, `ActorStopping`, `ActorStopped`, `MailboxFull`,
 * `AskTimeout`, `AskCycle`).
 *
 * @since 0.1.0
 * @category models
 */
export const EntityFailureReason = Schema.Literal(
  "HandlerCrashed",
  "ActorStopping",
  "ActorStopped",
  "MailboxFull",
  "AskTimeout",
  "AskCycle"
)

/**
 * The entity was reached but its actor could not handle the message. Serializable, so it
 * reaches the asker on another runner with its facts.
 *
 * @since 0.1.0
 * @category errors
 */
export class EntityFailed extends Schema.TaggedError<EntityFailed>("@weft/cluster/EntityFailed")("EntityFailed", {
  entityType: Schema.String,
  entityId: Schema.String,
  tag: Schema.String,
  reason: EntityFailureReason,
  detail: Schema.String
}) {
  override get message() {
    return `${this.entityType} "${this.entityId}" could not handle ${this.tag}: ${this.reason} (${this.detail})`
  }
}

/**
 * An ask's deadline passed before its reply arrived. The request was withdrawn: if the entity had
 * not started it, it does not run; if it is running, its reply goes nowhere.
 *
 * @since 0.1.0
 * @category errors
 */
export class AskTimeout extends Data.TaggedError("AskTimeout")<{
  readonly entityType: string
  readonly entityId: string
  readonly tag: string
  readonly timeoutMs: number
}> {
  override get message() {
    return `ask ${this.tag} to ${this.entityType} "${this.entityId}" got no reply within ${this.timeoutMs} ms`
  }
}
