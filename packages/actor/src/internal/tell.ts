/**
 * Telling: offering messages and envelopes to an actor's user lane per its mailbox strategy, and
 * turning away (as dead letters) what a stopping, stopped or full actor cannot take.
 */
import { Mpsc, Readiness } from "@weft/channel"
import type { Tracer } from "effect"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Effectable from "effect/Effectable"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import type * as Actor from "../Actor.js"
import { ActorStopped, ActorStopping, MailboxFull, type TellError } from "../ActorError.js"
import type { Reason } from "../DeadLetter.js"
import { type ActorCell, cellOf, RUNNING, STOPPING } from "./cell.js"
import { AskEnvelope, type Envelope, messageOf } from "./envelope.js"
import { currentParent, traced } from "./tracing.js"

/**
 * Dead-letters a message that met an actor which is not running, and settles its ask. Returns
 * the error the sender sees: `ActorStopping` while stopping, `ActorStopped` for an ask to a
 * terminated actor, nothing for a tell to a terminated actor (not an error, only a dead letter).
 */
const reject = (cell: ActorCell, envelope: Envelope): ActorStopping | ActorStopped | undefined => {
  const message = messageOf(envelope)
  const ask = envelope instanceof AskEnvelope ? envelope : undefined
  const stopping = cell.status === STOPPING
  cell.runtime.deadLetter(cell, message, stopping ? "ActorStopping" : "ActorStopped")
  if (!stopping && ask === undefined) return undefined
  const error = stopping
    ? new ActorStopping({ actor: cell.name, tag: message._tag })
    : new ActorStopped({ actor: cell.name, tag: message._tag })
  if (ask !== undefined) cell.runtime.settle(ask, Exit.fail(error))
  return error
}

/** @internal */
export const rejectEnvelope = (
  cell: ActorCell,
  envelope: Envelope
): Effect.Effect<void, ActorStopping | ActorStopped> => {
  const error = reject(cell, envelope)
  return error === undefined ? Effect.void : Effect.fail(error)
}

/** Dead-letters a message the full mailbox turned away; an asker learns it at once. */
const dropEnvelope = (cell: ActorCell, envelope: Envelope, reason: Reason): MailboxFull => {
  const message = messageOf(envelope)
  cell.runtime.deadLetter(cell, message, reason)
  const error = new MailboxFull({ actor: cell.name, tag: message._tag, capacity: cell.capacity })
  if (envelope instanceof AskEnvelope) cell.runtime.settle(envelope, Exit.fail(error))
  return error
}

/** Dead-letters a message still queued when its actor terminated. @internal */
export const discardQueued = (cell: ActorCell, envelope: Envelope): void => {
  if (envelope instanceof AskEnvelope && envelope.settled) {
    cell.runtime.deadLetter(cell, envelope.message, envelope.interrupted ? "AskInterrupted" : "Expired")
    return
  }
  reject(cell, envelope)
}

/** Waits for room in a full `"suspend"` lane; a lane closed meanwhile turns the message away. @internal */
export const sendWhenRoom = (cell: ActorCell, envelope: Envelope): Effect.Effect<void, TellError | ActorStopped> =>
  Effect.catchAll(Mpsc.send(cell.tx, envelope), () => rejectEnvelope(cell, envelope))

/**
 * Offers an envelope to the actor's user lane, synchronously: the caller is already inside a
 * step of its own (`Effect.suspend`), so a lane with room costs no further fiber step. The result
 * is an `Exit` whenever the offer is decided now — sent, dropped, evicted or rejected; only a full
 * `"suspend"` lane returns `whenFull`'s effect, which waits.
 *
 * @internal
 */
export const offer = <Env extends Envelope, E>(
  cell: ActorCell,
  envelope: Env,
  whenFull: (cell: ActorCell, envelope: Env) => Effect.Effect<void, E>
): Effect.Effect<void, E | MailboxFull | ActorStopping | ActorStopped> => {
  if (cell.status !== RUNNING) return rejectEnvelope(cell, envelope)
  while (true) {
    const result = Mpsc.unsafeTrySend(cell.tx, envelope)
    if (result === "sent") return Exit.void
    if (result === "closed") return rejectEnvelope(cell, envelope)
    switch (cell.strategy) {
      case "suspend":
        return whenFull(cell, envelope)
      case "dropping":
      case "fail": {
        const error = dropEnvelope(cell, envelope, "MailboxFull")
        return cell.strategy === "fail" || envelope instanceof AskEnvelope ? Exit.fail(error) : Exit.void
      }
      case "sliding": {
        // Evict the oldest queued message to make room, then try again.
        const evicted = cell.rx[Readiness.TypeId].claim()
        if (evicted === undefined || !Exit.isSuccess(evicted)) {
          // Nothing queued to evict (the room is held elsewhere): the new message is the one dropped.
          const error = dropEnvelope(cell, envelope, "MailboxFull")
          return envelope instanceof AskEnvelope ? Exit.fail(error) : Exit.void
        }
        dropEnvelope(cell, evicted.value, "Evicted")
      }
    }
  }
}

/**
 * A tell as one object whose step is the offer: the same as `Effect.suspend(() => offer(...))`
 * with one allocation instead of two on the hottest path. The sender's span is read when the
 * step runs (see `tracing.ts`).
 */
class Tell extends Effectable.Class<void, TellError | ActorStopped> {
  constructor(readonly cell: ActorCell, readonly message: Actor.Message) {
    super()
  }
  commit(): Effect.Effect<void, TellError | ActorStopped> {
    return offer(this.cell, traced(this.message, currentParent()), sendWhenRoom)
  }
}

/** @internal */
export const tell: {
  <Msg extends Actor.Message>(message: Msg): (self: Actor.ActorRef<Msg>) => Effect.Effect<void, TellError>
  <Msg extends Actor.Message>(self: Actor.ActorRef<Msg>, message: Msg): Effect.Effect<void, TellError>
} = dual(
  2,
  <Msg extends Actor.Message>(self: Actor.ActorRef<Msg>, message: Msg): Effect.Effect<void, TellError> =>
    // A tell never fails with ActorStopped: telling a dead actor is not an error, only a dead letter.
    new Tell(cellOf(self), message) as Effect.Effect<void, TellError>
)

/**
 * Whether a failed tell only means its target is on the way out (`ActorStopping`): the message
 * has become a dead letter for that actor, and a fan-out goes on to the others.
 */
const isLeaving = (error: TellError): boolean => error._tag === "ActorStopping"

/**
 * Runs `offerAt(0)`, `offerAt(1)`, … `offerAt(count - 1)` in order, in one fiber step for every
 * offer decided now: only a full `"suspend"` lane waits, then the rest follow. A failed offer is
 * passed over (`"skip"`), ends the run with its error (`"stop"`), or is reported once every offer
 * is decided (`"report"`: the first such error). `sendAtOnce(from)`, when given, sends the messages
 * of an untraced run (they carry no span) from `from` on that fit, in one call, and returns the
 * index of the first one it did not send.
 */
const offerEach = (
  count: number,
  offerAt: (index: number, parent: Tracer.AnySpan | undefined) => Effect.Effect<void, TellError>,
  onFailure: (error: TellError) => "skip" | "stop" | "report",
  sendAtOnce?: (from: number) => number
): Effect.Effect<void, TellError> =>
  Effect.suspend(() => {
    // Read once, in the sender's step: every message of the run carries the sender's span.
    const parent = currentParent()
    const sendNow = parent === undefined ? sendAtOnce : undefined
    let next = 0
    let reported: TellError | undefined
    /** The effect that ends the run for `error`, if it does. */
    const decide = (error: TellError): Effect.Effect<never, TellError> | undefined => {
      const action = onFailure(error)
      if (action === "stop") return Exit.fail(error)
      if (action === "report") reported ??= error
      return undefined
    }
    const loop: Effect.Effect<void, TellError> = Effect.suspend(() => {
      // What fits goes in one call (again after each wait); the one that did not fit is offered
      // on its own, which decides it per the mailbox's strategy.
      if (sendNow !== undefined) next = sendNow(next)
      while (next < count) {
        const offered: Effect.Effect<void, TellError> = offerAt(next++, parent)
        if (!Exit.isExit(offered)) {
          return Effect.zipRight(Effect.catchAll(offered, (error) => decide(error) ?? Effect.void), loop)
        }
        if (Exit.isFailure(offered)) {
          const failure = Cause.failureOption(offered.cause as Cause.Cause<TellError>)
          // A defect or an interruption ends the run as it is.
          if (Option.isNone(failure)) return offered
          const end = decide(failure.value)
          if (end !== undefined) return end
        }
      }
      return reported === undefined ? Exit.void : Exit.fail(reported)
    })
    return loop
  })

/**
 * Tells `message` to each of `targets` in order, in one fiber step for every lane with room: only
 * a full `"suspend"` lane waits, then the rest follow. A target that is stopping (removed from a
 * dispatcher and draining, even while this tell waited on its lane) dead-letters its copy and the
 * others still get the message. Any other failure stops the fan-out there: that actor and the
 * ones after it did not get the message — the same outcome as telling them one by one.
 *
 * @internal
 */
export const tellEach = (
  targets: ReadonlyArray<Actor.ActorRef<never>>,
  message: Actor.Message
): Effect.Effect<void, TellError> =>
  offerEach(
    targets.length,
    (i, parent) => offer(cellOf(targets[i]!), traced(message, parent), sendWhenRoom) as Effect.Effect<void, TellError>,
    (error) => isLeaving(error) ? "skip" : "stop"
  )

/** @internal */
export const tellAll: {
  <Msg extends Actor.Message>(messages: Iterable<Msg>): (self: Actor.ActorRef<Msg>) => Effect.Effect<void, TellError>
  <Msg extends Actor.Message>(self: Actor.ActorRef<Msg>, messages: Iterable<Msg>): Effect.Effect<void, TellError>
} = dual(
  2,
  <Msg extends Actor.Message>(self: Actor.ActorRef<Msg>, messages: Iterable<Msg>): Effect.Effect<void, TellError> =>
    Effect.suspend(() => {
      const cell = cellOf(self)
      const all = Array.isArray(messages) ? messages as ReadonlyArray<Msg> : Array.from(messages)
      // Every message is decided, each as `tell` would decide it: a turned-away one is a dead
      // letter, and the first error is reported once all are decided.
      return offerEach(
        all.length,
        (i, parent) => offer(cell, traced(all[i]!, parent), sendWhenRoom) as Effect.Effect<void, TellError>,
        () => "report",
        (from) => cell.status === RUNNING ? Mpsc.unsafeTrySendAll(cell.tx, all, from) : from
      )
    })
)

/**
 * Tells `target` synchronously when its lane has room (call it inside a step of your own):
 * returns an `Exit` when the tell is decided now, else the effect that waits for room.
 *
 * @internal
 */
export const offerMessage = (target: Actor.ActorRef<never>, message: Actor.Message): Effect.Effect<void, TellError> =>
  offer(cellOf(target), traced(message, currentParent()), sendWhenRoom) as Effect.Effect<void, TellError>

/**
 * Takes every user message still queued for the actor, synchronously, for a dispatcher's
 * hand-back. Asks stay with the actor: they are queued again behind the rest.
 *
 * @internal
 */
export const takeQueued = (cell: ActorCell): Effect.Effect<ReadonlyArray<Actor.Message>> =>
  Effect.suspend(() => {
    const user = cell.rx[Readiness.TypeId]
    const taken: Array<Actor.Message> = []
    const asks: Array<AskEnvelope> = []
    for (let claimed = user.claim(); claimed !== undefined && Exit.isSuccess(claimed); claimed = user.claim()) {
      const envelope = claimed.value
      if (envelope instanceof AskEnvelope) asks.push(envelope)
      else taken.push(messageOf(envelope))
    }
    return Effect.as(
      Effect.forEach(asks, (ask) => Effect.ignore(Effect.suspend(() => offer(cell, ask, sendWhenRoom))), {
        discard: true
      }),
      taken
    )
  })
