/**
 * What supervision decides about a crash: resume, restart (after the schedule's backoff), stop or
 * escalate — or, for a group's child, what its group decides.
 */
import type { Cause } from "effect"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Actor from "../Actor.js"
import { type ActorCell, escalate, RESTART, RESUME, STOPPED, TERMINATE } from "./cell.js"

/** @internal */
export const defaultRestarts: Schedule.Schedule<unknown, Cause.Cause<unknown>> = Schedule.exponential("10 millis").pipe(
  Schedule.intersect(Schedule.recurs(5))
)

/** @internal */
export interface Supervision {
  readonly strategy: Actor.SupervisionStrategy
  readonly restarts: Schedule.Schedule<unknown, Cause.Cause<unknown>>
  readonly redelivery: Schedule.Schedule<unknown, unknown>
}

/**
 * Applies the supervision strategy to a crash; may sleep for the restart backoff. A crash in
 * `onStart` leaves no state to resume with, so there `resume` restarts (on the schedule).
 *
 * @internal
 */
export const supervise = (
  cell: ActorCell,
  supervision: Supervision,
  driver: Schedule.ScheduleDriver<unknown, Cause.Cause<unknown>>,
  cause: Cause.Cause<unknown>,
  inStart: boolean
): Effect.Effect<number> => {
  if (cell.group !== undefined) return unlessStopped(cell, cell.group.childExited(cell, cause, true))
  switch (inStart && supervision.strategy === "resume" ? "restart" : supervision.strategy) {
    case "resume":
      return Effect.succeed(RESUME)
    case "stop":
      return Effect.succeed(TERMINATE)
    case "escalate":
      return Effect.sync(() => {
        escalate(cell, cause)
        return TERMINATE
      })
    case "restart":
      return unlessStopped(
        cell,
        Effect.matchEffect(driver.next(cause), {
          onFailure: () =>
            Effect.sync(() => {
              escalate(cell, cause)
              return TERMINATE
            }),
          onSuccess: () => Effect.succeed(RESTART)
        })
      )
  }
}

/**
 * A stop requested during a backoff ends it: `stop` terminates at once, `drain` restarts at
 * once to work through the queue. Neither side of the race consumes anything.
 *
 * @internal
 */
export const unlessStopped = (cell: ActorCell, decide: Effect.Effect<number>): Effect.Effect<number> =>
  Effect.raceFirst(
    decide,
    Effect.map(Deferred.await(cell.stopRequested), () => cell.stopMode === "stop" ? STOPPED : RESTART)
  )
