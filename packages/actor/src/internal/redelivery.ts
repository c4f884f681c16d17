/**
 * Redelivery of reliable messages: a nack, a defer or a crash puts the message back into the
 * mailbox later, through the system's deadline timer, or — its schedule done — into the poison
 * queue.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import type * as Actor from "../Actor.js"
import type * as Reliable from "../Reliable.js"
import type { ActorCell } from "./cell.js"
import { NotStarted, type ReliableEnvelope } from "./envelope.js"
import { offer, sendWhenRoom } from "./tell.js"

/**
 * A pending redelivery: an entry in the system's deadline timer (the same heap that serves ask
 * deadlines), not a fiber. When it is due, the message goes back into the mailbox.
 */
class Redelivery {
  heapIndex = -1
  constructor(readonly cell: ActorCell, readonly envelope: ReliableEnvelope, readonly deadline: number) {}

  /**
   * Offers the message again, synchronously. Only a full `"suspend"` mailbox needs a wait, and
   * that wait gets a fiber of its own so the timer goes on serving everything else.
   */
  fire(): Effect.Effect<void> {
    const cell = this.cell
    const envelope = this.envelope
    envelope.attempt++
    const offered = offer(cell, envelope, sendWhenRoom)
    if (Exit.isExit(offered)) return Effect.void
    return Effect.asVoid(Effect.forkIn(
      Effect.onInterrupt(Effect.ignore(offered), () => Effect.sync(() => this.abandon())),
      cell.runtime.scope
    ))
  }

  /** The system shut down before the redelivery: the message is not lost silently. */
  abandon(): void {
    this.cell.runtime.deadLetter(this.cell, this.envelope.message, "ActorStopped")
  }
}

/** @internal */
export const defaultRedelivery: Schedule.Schedule<unknown, unknown> = Schedule.exponential("100 millis").pipe(
  Schedule.intersect(Schedule.recurs(5))
)

/** @internal */
export const crashedSettlement: Extract<Reliable.Settlement, { readonly _tag: "Nack" }> = {
  _tag: "Nack",
  reason: "crashed"
}

/** @internal */
export const reliableContext = (cell: ActorCell, envelope: ReliableEnvelope): Actor.ReliableContext<never> => ({
  self: cell.ref,
  delivery: { id: envelope.id, attempt: envelope.attempt }
})

/**
 * Schedules the redelivery of a nacked, deferred or crashed reliable message on the system's
 * deadline timer: a defer after its delay; a nack after the schedule's next delay — stepped here,
 * without sleeping — or, when the schedule is done, into the poison queue.
 *
 * @internal
 */
export const redeliver = (
  cell: ActorCell,
  envelope: ReliableEnvelope,
  settlement: Exclude<Reliable.Settlement, { readonly _tag: "Ack" }>,
  schedule: Schedule.Schedule<unknown, unknown>,
  now: number
): Effect.Effect<void> => {
  if (settlement._tag === "Defer") {
    cell.runtime.addTimer(new Redelivery(cell, envelope, now + Duration.toMillis(settlement.delay)))
    return Effect.void
  }
  const state = envelope.scheduleState === NotStarted ? schedule.initial : envelope.scheduleState
  return Effect.map(schedule.step(now, undefined, state), ([next, _, decision]) => {
    envelope.scheduleState = next
    if (ScheduleDecision.isDone(decision)) return cell.runtime.poison(cell, envelope, settlement.reason)
    const at = Math.max(now, ScheduleIntervals.start(decision.intervals))
    cell.runtime.addTimer(new Redelivery(cell, envelope, at))
  })
}
