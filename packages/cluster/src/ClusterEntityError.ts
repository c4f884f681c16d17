/**
 * Errors of `@weft/cluster`. `EntityFailed` and `EntityNameTaken` cross the wire (they are
 * `Schema.TaggedError`s): the remote actor was reached but could not handle the message, or the
 * entity could not start its actor because another actor has its name. `AskTimeout` is the caller's own
 * deadline passing. `InvalidEntityOption` is a bad option of `ClusterEntity.layer`, found when
 * the layer is built, before the entity type is registered; `InvalidEmbeddedOption` one of
 * `Embedded.layer`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"

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
 * The entity could not start: the name of its local actor (`"<entity type>/<entity id>"`) is held by
 * another live actor in the owning runner's `ActorSystem` — one spawned there by other code, or the
 * entity of another type whose type and id spell the same name (`"a/b"` + `"c"`, `"a"` + `"b/c"`).
 * The message is not handled; an asker gets this error, a tell is answered with it (not redelivered).
 * The entity tries again with its next message, so it starts once the name is free. (The entity's
 * own previous actor, still stopping after the entity was passivated, is waited for instead.)
 *
 * @since 0.1.0
 * @category errors
 */
export class EntityNameTaken
  extends Schema.TaggedError<EntityNameTaken>("@weft/cluster/EntityNameTaken")("EntityNameTaken", {
    entityType: Schema.String,
    entityId: Schema.String,
    /** The message that was not handled. */
    tag: Schema.String,
    /** The actor name the entity needs and another actor holds. */
    actorName: Schema.String
  })
{
  override get message() {
    return `${this.entityType} "${this.entityId}" could not start to handle ${this.tag}: another actor is named "${this.actorName}"`
  }
}

/**
 * The connection to the runner that owns the entity broke while the message was being sent to it
 * (the runner died, or its socket closed mid-write). The message may or may not have reached the
 * runner: a `"volatile"` one is at most once, so treat it as not delivered and send again if it
 * matters; a `"persisted"` one is in storage and will be delivered by the runner that takes over the
 * shard. @effect/cluster reports this as a defect; weft turns it into this typed failure.
 *
 * @since 0.1.0
 * @category errors
 */
export class EntityUnreachable extends Data.TaggedError("EntityUnreachable")<{
  readonly entityType: string
  readonly entityId: string
  readonly tag: string
  readonly detail: string
}> {
  override get message() {
    return `${this.tag} to ${this.entityType} "${this.entityId}": the owning runner could not be reached (${this.detail})`
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

/**
 * An option of `ClusterEntity.layer` (or the entity type's `askTimeout`) out of range. The layer
 * fails to build with it, so a bad option stops the runner at start instead of failing every
 * message the entity gets.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidEntityOption extends Data.TaggedError("InvalidEntityOption")<{
  readonly entityType: string
  /** The option's path, e.g. `"mailbox.capacity"`. */
  readonly option: string
  readonly value: unknown
  /** The values the option accepts. */
  readonly expected: string
}> {
  override get message() {
    return `invalid ${this.option} for entity type ${this.entityType}: ${
      String(this.value)
    } (expected ${this.expected})`
  }
}

/**
 * An option of `Embedded.layer` out of range. The layer fails to build with it.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidEmbeddedOption extends Data.TaggedError("InvalidEmbeddedOption")<{
  /** The option's name, e.g. `"maxProcessedMessages"`. */
  readonly option: string
  readonly value: unknown
  /** The values the option accepts. */
  readonly expected: string
}> {
  override get message() {
    return `invalid ${this.option} for Embedded.layer: ${String(this.value)} (expected ${this.expected})`
  }
}
