/**
 * The seams of an actor's life: an incarnation restarted or ended, a permanent group child's
 * mailbox reopened after a stop, and the cell finalized however its loop ended.
 */
import { Mpsc, Readiness } from "@weft/channel"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type * as Actor from "../Actor.js"
import { ActorStopped } from "../ActorError.js"
import * as ActorMetrics from "../ActorMetrics.js"
import { LifecycleEvent } from "../Lifecycle.js"
import { Terminated, TerminationReason } from "../Terminated.js"
import type { AnyBehavior } from "./behavior.js"
import { type ActorCell, RUNNING, stopMessage, TERMINATED } from "./cell.js"
import { type Envelope, isAskEnvelope, messageOf } from "./envelope.js"
import { discardQueued } from "./tell.js"

/** The processed and processing-time counters are updated in batches, off the per-message path. @internal */
export const flushProcessed = (cell: ActorCell, now: number): void => {
  if (cell.processed > 0) ActorMetrics.processed.unsafeUpdate(cell.processed, cell.labels)
  cell.processed = 0
  if (now > cell.busySince) ActorMetrics.processingTime.unsafeUpdate(now - cell.busySince, cell.labels)
  cell.busySince = now
}

/**
 * Readies a permanent group child's cell for its next incarnation after a graceful stop: a fresh
 * user lane holding whatever the stop left queued (the mailbox survives, as in a crash restart),
 * running again, and the stop's waiters answered with `Stopped`.
 *
 * @internal
 */
export const reopen = (cell: ActorCell): Effect.Effect<void> =>
  Effect.flatMap(Effect.orDie(Mpsc.bounded<Envelope>(cell.capacity)), ([tx, rx]) =>
    Effect.withFiberRuntime((fiber) => {
      const old = cell.rx[Readiness.TypeId]
      // Same capacity, nothing else sends to the new lane yet: every leftover fits.
      for (let claimed = old.claim(); claimed !== undefined && Exit.isSuccess(claimed); claimed = old.claim()) {
        Mpsc.unsafeTrySend(tx, claimed.value)
      }
      cell.tx = tx
      cell.rx = rx
      cell.system.remove(stopMessage)
      const stopped = cell.stopped
      cell.stopped = Deferred.unsafeMake(fiber.id())
      cell.stopRequested = Deferred.unsafeMake(fiber.id())
      cell.stopMode = "drain"
      cell.stopTimeout = undefined
      cell.status = RUNNING
      Deferred.unsafeDone(
        stopped,
        Exit.succeed(new Terminated({ actor: cell.ref, reason: TerminationReason.Stopped() }))
      )
      return Effect.void
    }))

/** Ends the current incarnation for a restart: its scope closes with `cause`. @internal */
export const restartIncarnation = (
  cell: ActorCell,
  behavior: AnyBehavior,
  cause: Cause.Cause<unknown>,
  state: unknown,
  context: Actor.HandlerContext<never>
): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (cell.scope !== undefined) yield* Scope.close(cell.scope, Exit.failCause(cause))
    cell.scope = undefined
    ActorMetrics.restarts.unsafeUpdate(1, cell.labels)
    cell.runtime.publish(LifecycleEvent.Restarted({ actor: cell.ref, cause }))
    if (behavior.onRestart !== undefined) yield* behavior.onRestart(cause, state, context)
    cell.turn++
  })

/** Ends the current incarnation for good, with `reason`. @internal */
export const terminateIncarnation = (cell: ActorCell, reason: TerminationReason): Effect.Effect<TerminationReason> =>
  Effect.gen(function*() {
    if (cell.scope !== undefined) {
      yield* Scope.close(cell.scope, reason._tag === "Failed" ? Exit.failCause(reason.cause) : Exit.void)
    }
    cell.scope = undefined
    return reason
  })

/**
 * Runs once the loop has ended, however it ended (including a kill): closes the mailbox,
 * dead-letters what is left in it, and notifies watchers.
 *
 * @internal
 */
export const finalize = (cell: ActorCell, exit: Exit.Exit<TerminationReason>): Effect.Effect<void> =>
  Effect.gen(function*() {
    const reason = Exit.isSuccess(exit)
      ? exit.value
      : Cause.isInterruptedOnly(exit.cause)
      ? TerminationReason.Killed()
      : TerminationReason.Failed({ cause: exit.cause })
    cell.status = TERMINATED
    const terminated = new Terminated({ actor: cell.ref, reason })
    // Set with the status, so a watch from now on is answered at once.
    cell.terminatedWith = terminated
    // In the step the status changes: from here on every message to the actor is a dead letter,
    // so a dispatcher must stop routing to it now.
    for (const listener of cell.terminationListeners) listener(terminated)
    cell.terminationListeners.clear()
    // A kill may have ended a run mid-way: whatever it forked blocks nothing any more.
    cell.turn++
    const inFlight = cell.inFlight
    cell.inFlight = undefined
    if (inFlight !== undefined) {
      // Killed mid-handler: the message was neither processed nor crashed.
      cell.runtime.deadLetter(cell, messageOf(inFlight), "Killed")
      if (isAskEnvelope(inFlight)) {
        cell.runtime.reply(inFlight, Exit.fail(new ActorStopped({ actor: cell.name, tag: inFlight.message._tag })))
      }
    }
    if (cell.scope !== undefined) yield* Scope.close(cell.scope, Exit.isSuccess(exit) ? Exit.void : exit)
    cell.scope = undefined
    yield* Mpsc.close(cell.tx)
    const user = cell.rx[Readiness.TypeId]
    for (let claimed = user.claim(); claimed !== undefined && Exit.isSuccess(claimed); claimed = user.claim()) {
      discardQueued(cell, claimed.value)
    }
    flushProcessed(cell, (yield* Effect.clock).unsafeCurrentTimeMillis())
    ActorMetrics.mailboxDepth.unsafeUpdate(0, cell.labels)
    const runtime = cell.runtime
    runtime.cells.delete(cell)
    if (runtime.names.get(cell.name) === cell) runtime.names.delete(cell.name)
    cell.group?.remove(cell)
    Deferred.unsafeDone(cell.stopped, Exit.succeed(terminated))
    runtime.publish(LifecycleEvent.Terminated({ actor: cell.ref, reason }))
    Deferred.unsafeDone(cell.terminated, Exit.succeed(terminated))
    for (const watcher of cell.watchers) {
      if (watcher.status !== TERMINATED) watcher.system.push({ _tag: "Terminated", terminated })
    }
    cell.watchers.clear()
  })
