/**
 * The typed errors of `@weft/actor`. Each carries the facts needed to act on it: which actor,
 * which message tag, how full the mailbox was, how long the caller waited.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * The user lane was full and the actor's mailbox strategy is `"fail"`. The message was
 * dead-lettered with reason `"MailboxFull"`.
 *
 * @since 0.1.0
 * @category errors
 */
export class MailboxFull extends Data.TaggedError("MailboxFull")<{
  readonly actor: string
  readonly tag: string
  readonly capacity: number
}> {
  override get message() {
    return `mailbox of actor "${this.actor}" is full (capacity ${this.capacity}); "${this.tag}" was dead-lettered`
  }
}

/**
 * The actor is stopping (`stop` or `drain`) and rejects new messages. The message was
 * dead-lettered with reason `"ActorStopping"`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ActorStopping extends Data.TaggedError("ActorStopping")<{
  readonly actor: string
  readonly tag: string
}> {
  override get message() {
    return `actor "${this.actor}" is stopping and rejected "${this.tag}"`
  }
}

/**
 * An `ask` reached an actor that has already terminated, or the actor terminated before it ran
 * the message. The message was dead-lettered with reason `"ActorStopped"`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ActorStopped extends Data.TaggedError("ActorStopped")<{
  readonly actor: string
  readonly tag: string
}> {
  override get message() {
    return `actor "${this.actor}" has stopped; "${this.tag}" was not processed`
  }
}

/**
 * No reply arrived before the ask's deadline. `mailboxSize` is the number of user messages
 * queued in front of the actor at that moment and `waitedMs` how long the caller waited, so a
 * timeout says whether the actor was slow or swamped.
 *
 * @since 0.1.0
 * @category errors
 */
export class AskTimeout extends Data.TaggedError("AskTimeout")<{
  readonly actor: string
  readonly tag: string
  readonly mailboxSize: number
  readonly waitedMs: number
}> {
  override get message() {
    return `ask "${this.tag}" to actor "${this.actor}" timed out after ${this.waitedMs} ms `
      + `with ${this.mailboxSize} messages queued`
  }
}

/**
 * The ask would deadlock: the target is the caller itself, or the target is (transitively)
 * waiting on an ask to the caller. `path` lists the actors of the cycle, caller first.
 *
 * @since 0.1.0
 * @category errors
 */
export class AskCycle extends Data.TaggedError("AskCycle")<{
  readonly actor: string
  readonly tag: string
  readonly path: ReadonlyArray<string>
}> {
  override get message() {
    return `ask "${this.tag}" to actor "${this.actor}" would deadlock: ${this.path.join(" -> ")}`
  }
}

/**
 * The handler crashed (a defect or interruption, not the message's typed failure) while
 * processing the asked message. The message was dead-lettered with reason `"Crashed"`, and the
 * actor's supervision strategy decided what happened next.
 *
 * @since 0.1.0
 * @category errors
 */
export class HandlerCrashed extends Data.TaggedError("HandlerCrashed")<{
  readonly actor: string
  readonly tag: string
}> {
  override get message() {
    return `actor "${this.actor}" crashed while handling "${this.tag}"`
  }
}

/**
 * `spawn` was given a name that a live actor already has.
 *
 * @since 0.1.0
 * @category errors
 */
export class NameTaken extends Data.TaggedError("NameTaken")<{
  readonly name: string
}> {
  override get message() {
    return `an actor named "${this.name}" is already running`
  }
}

/**
 * `spawn` was given a mailbox capacity that is not a positive integer.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMailboxCapacity extends Data.TaggedError("InvalidMailboxCapacity")<{
  readonly capacity: number
}> {
  override get message() {
    return `mailbox capacity must be a positive integer, got ${this.capacity}`
  }
}

/**
 * `ActorSystem.layer` was given an option it cannot honour: which one, the value given, and
 * what it must be. No system was started.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidSystemOptions extends Data.TaggedError("InvalidSystemOptions")<{
  readonly option: "askTimeout" | "stopTimeout" | "deadLetterBuffer" | "poisonCapacity"
  readonly value: string
  readonly expected: string
}> {
  override get message() {
    return `actor system option ${this.option} is ${this.value}; expected ${this.expected}`
  }
}

/**
 * `Supervision.startChild` was given a child whose name the group already uses for a child that
 * is still running (or still stopping).
 *
 * @since 0.1.0
 * @category errors
 */
export class ChildExists extends Data.TaggedError("ChildExists")<{
  readonly group: string
  readonly child: string
}> {
  override get message() {
    return `group "${this.group}" already has a child named "${this.child}"`
  }
}

/**
 * `Supervision.startChild` was called on a group that is stopping, has failed or has terminated:
 * it takes no new children.
 *
 * @since 0.1.0
 * @category errors
 */
export class GroupStopping extends Data.TaggedError("GroupStopping")<{
  readonly group: string
}> {
  override get message() {
    return `group "${this.group}" is stopping and takes no new children`
  }
}

/**
 * `Supervision.stopChild` was given a name or ref that is not a running child of the group (never
 * was, or has terminated already).
 *
 * @since 0.1.0
 * @category errors
 */
export class ChildNotFound extends Data.TaggedError("ChildNotFound")<{
  readonly group: string
  readonly child: string
}> {
  override get message() {
    return `group "${this.group}" has no running child "${this.child}"`
  }
}

/**
 * What `tell` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type TellError = MailboxFull | ActorStopping

/**
 * What `ask` can fail with besides the reply's own typed failure.
 *
 * @since 0.1.0
 * @category errors
 */
export type AskError = MailboxFull | ActorStopping | ActorStopped | AskTimeout | AskCycle | HandlerCrashed

/**
 * What `spawn` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type SpawnError = NameTaken | InvalidMailboxCapacity

/**
 * What `Supervision.startChild` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type StartChildError = ChildExists | GroupStopping | SpawnError
