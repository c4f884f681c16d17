/**
 * Ending an actor — a graceful stop or drain, a kill — and watching for its end: death watch
 * between actors (`Terminated` on the watcher's system lane) and for code that is not an actor.
 */
import { Mpsc } from "@weft/channel"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import type * as Actor from "../Actor.js"
import { Terminated, TerminationReason } from "../Terminated.js"
import {
  type ActorCell,
  cellOf,
  currentActor,
  isActorRef,
  killMessage,
  stopMessage,
  STOPPING,
  TERMINATED,
  type TerminationListener
} from "./cell.js"

/**
 * The synchronous half of a graceful stop: the actor turns new messages away, cuts a restart
 * backoff short and, for `"stop"`, finds the request on its system lane after its current message.
 *
 * @internal
 */
export const requestStop = (cell: ActorCell, mode: "stop" | "drain"): void => {
  cell.status = STOPPING
  if (mode === "stop" && cell.stopMode !== "stop") {
    cell.stopMode = "stop"
    cell.system.push(stopMessage)
  }
  Deferred.unsafeDone(cell.stopRequested, Exit.void)
}

/** @internal */
export const awaitTermination = (self: Actor.ActorRef<never>): Effect.Effect<Terminated> =>
  Deferred.await(cellOf(self).terminated)

/**
 * Kill travels on the system lane, ahead of every queued user message. A loop waiting on its
 * lanes takes it and ends; a busy one (in a handler, a hook or a restart backoff) would only look
 * at the lane afterwards, so its fiber is interrupted at once — which is the handler being
 * interrupted mid-message. Either way kill returns once the actor is gone; `timeout` bounds how
 * long an idle actor may take to act on the message before it is interrupted too.
 */
const kill = (cell: ActorCell, timeout: Duration.Duration): Effect.Effect<Terminated> =>
  Effect.withFiberRuntime((fiber) => {
    if (cell.status === TERMINATED) return awaitTermination(cell.ref)
    cell.status = STOPPING
    cell.system.push(killMessage)
    const actorFiber = cell.fiber
    if (actorFiber === undefined) return awaitTermination(cell.ref)
    // From its own handler: signal the interruption, which takes effect at once.
    if (fiber.getFiberRef(currentActor) === cell) {
      return Effect.zipRight(Fiber.interruptAsFork(actorFiber, fiber.id()), awaitTermination(cell.ref))
    }
    if (!cell.parked) return Effect.zipRight(Fiber.interrupt(actorFiber), awaitTermination(cell.ref))
    return awaitTermination(cell.ref).pipe(
      Effect.timeoutTo({
        duration: timeout,
        onSuccess: Effect.succeed,
        onTimeout: () => Effect.zipRight(Fiber.interrupt(actorFiber), awaitTermination(cell.ref))
      }),
      Effect.flatten
    )
  })

/** @internal */
export const stop: {
  (options?: Actor.StopOptions): (self: Actor.ActorRef<never>) => Effect.Effect<Terminated>
  (self: Actor.ActorRef<never>, options?: Actor.StopOptions): Effect.Effect<Terminated>
} = dual(
  (args) => isActorRef(args[0]),
  (self: Actor.ActorRef<never>, options?: Actor.StopOptions): Effect.Effect<Terminated> =>
    Effect.withFiberRuntime((fiber) => {
      const cell = cellOf(self)
      if (cell.status === TERMINATED) return awaitTermination(self)
      const mode = options?.mode ?? "stop"
      const timeout = options?.timeout === undefined ? cell.runtime.stopTimeout : Duration.decode(options.timeout)
      if (mode === "kill") return kill(cell, timeout)
      cell.stopTimeout = timeout
      requestStop(cell, mode)
      const closeLane = Mpsc.close(cell.tx)
      // From its own handler the actor cannot wait for itself: the stop happens after this message.
      if (fiber.getFiberRef(currentActor) === cell) {
        return Effect.as(closeLane, new Terminated({ actor: self, reason: TerminationReason.Stopped() }))
      }
      // Terminated, or — a permanent group child — this incarnation ended and its group took over.
      const stopped = cell.stopped
      return closeLane.pipe(
        Effect.zipRight(
          Deferred.await(stopped).pipe(Effect.timeoutTo({
            duration: timeout,
            onSuccess: (terminated) => Option.some(terminated),
            onTimeout: () => Option.none<Terminated>()
          }))
        ),
        Effect.flatMap(Option.match({ onNone: () => kill(cell, timeout), onSome: Effect.succeed }))
      )
    })
)

/** @internal */
export const watch: {
  (target: Actor.ActorRef<never>): (watcher: Actor.ActorRef<never>) => Effect.Effect<void>
  (watcher: Actor.ActorRef<never>, target: Actor.ActorRef<never>): Effect.Effect<void>
} = dual(2, (watcher: Actor.ActorRef<never>, target: Actor.ActorRef<never>): Effect.Effect<void> =>
  Effect.sync(() => {
    const watcherCell = cellOf(watcher)
    const targetCell = cellOf(target)
    if (targetCell.status !== TERMINATED) {
      targetCell.watchers.add(watcherCell)
      return
    }
    const terminated = targetCell.terminatedWith
    if (terminated !== undefined && watcherCell.status !== TERMINATED) {
      watcherCell.system.push({ _tag: "Terminated", terminated })
    }
  }))

/** @internal */
export const unwatch: {
  (target: Actor.ActorRef<never>): (watcher: Actor.ActorRef<never>) => Effect.Effect<void>
  (watcher: Actor.ActorRef<never>, target: Actor.ActorRef<never>): Effect.Effect<void>
} = dual(2, (watcher: Actor.ActorRef<never>, target: Actor.ActorRef<never>): Effect.Effect<void> =>
  Effect.sync(() => {
    cellOf(target).watchers.delete(cellOf(watcher))
  }))

/**
 * Death watch for code that is not an actor: `listener` runs synchronously in the step the actor
 * terminates — before that step ends, nothing can be enqueued for it any more, and after it every
 * message to it is a dead letter. Returns the `Terminated` instead when the actor is already gone.
 *
 * @internal
 */
export const onTermination = (
  ref: Actor.ActorRef<never>,
  listener: TerminationListener
): Terminated | undefined => {
  const cell = cellOf(ref)
  if (cell.status === TERMINATED) return cell.terminatedWith
  cell.terminationListeners.add(listener)
  return undefined
}

/** @internal */
export const offTermination = (ref: Actor.ActorRef<never>, listener: TerminationListener): void => {
  cellOf(ref).terminationListeners.delete(listener)
}
