import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"

import type { Chooser } from "./choosers.js"
import type { Decision } from "./model.js"
import { ControlledScheduler } from "./scheduler.js"

/** Limits of one run. */
export interface DriveOptions {
  /** Steps (operations and choices) after which the run stops as a livelock. */
  readonly maxSteps: number
  /** Event-loop turns with nothing ready, while the program waits, after which it is deadlocked. */
  readonly idleTurns: number
}

/** How one run ended, with the decisions that made its interleaving and the steps it took. */
export type RunOutcome<A, E> =
  | {
    readonly _tag: "Exited"
    readonly exit: Exit.Exit<A, E>
    readonly decisions: ReadonlyArray<Decision>
    readonly steps: number
  }
  | { readonly _tag: "Deadlock"; readonly decisions: ReadonlyArray<Decision>; readonly steps: number }
  | { readonly _tag: "StepLimit"; readonly decisions: ReadonlyArray<Decision>; readonly steps: number }

/**
 * Runs `program` once under a controlled scheduler driven by `chooser`. Runs share the caller's
 * services (its `TestClock` among them): building fresh test services per run would cost more
 * than the run, and sleeps are relative, so a program sees only that time moved on.
 *
 * The program's fiber is forked through the scheduler, which then holds every task of it and of
 * the fibers it forks. The driver runs ready tasks one at a time until the program's fiber exits.
 * When nothing is ready it waits a macrotask: work outside Effect (a TestClock's timer yield, a
 * Node callback) may resume a fiber. After `idleTurns` such turns with nothing ready the program
 * is deadlocked. Either way the scheduler is released at the end, so fibers the program left
 * behind (or a deadlocked program being interrupted) run on the default scheduler.
 */
export const runOnce = <A, E, R>(
  program: Effect.Effect<A, E, R>,
  chooser: Chooser,
  options: DriveOptions
): Effect.Effect<RunOutcome<A, E>, never, R> =>
  Effect.withFiberRuntime<RunOutcome<A, E>, never, R>((owner) => {
    const scheduler = new ControlledScheduler(chooser, owner, options.maxSteps)
    return Effect.flatMap(Effect.withScheduler(Effect.forkDaemon(program), scheduler), (fiber) => {
      scheduler.arm()
      // A stuck program is interrupted without waiting: it may never end. So is the program of a
      // check that is itself interrupted (the scheduler is released first, so it can run).
      return drive(scheduler, fiber, options).pipe(
        Effect.tap((outcome) => outcome._tag === "Exited" ? Effect.void : Fiber.interruptFork(fiber)),
        Effect.onInterrupt(() => Fiber.interruptFork(fiber))
      )
    })
  })

/** Tasks the driver runs before it lets the event loop turn, so a long run blocks nothing. */
const tasksPerTurn = 1024

const drive = <A, E>(
  scheduler: ControlledScheduler,
  fiber: Fiber.RuntimeFiber<A, E>,
  options: DriveOptions
): Effect.Effect<RunOutcome<A, E>> =>
  Effect.async<RunOutcome<A, E>>((resume) => {
    let cancelWait: (() => void) | undefined
    let idle = 0
    const finish = (outcome: RunOutcome<A, E>) => {
      scheduler.release()
      resume(Effect.succeed(outcome))
    }
    const ended = () => ({ decisions: scheduler.decisions, steps: scheduler.step })
    // Runs ready tasks until the program ends, nothing is ready, or the turn's budget is spent.
    const runTasks = (): "ended" | "idle" | "budget" => {
      for (let budget = tasksPerTurn; budget > 0;) {
        const exit = fiber.unsafePoll()
        if (exit !== null) return (finish({ _tag: "Exited", exit, ...ended() }), "ended")
        if (scheduler.step >= options.maxSteps) return (finish({ _tag: "StepLimit", ...ended() }), "ended")
        if (scheduler.runNext()) budget--
        else if (!scheduler.admitArrived()) return "idle"
        idle = 0
      }
      return "budget"
    }
    const turn = () => {
      cancelWait = undefined
      scheduler.inTurn = true
      let result: "ended" | "idle" | "budget"
      try {
        result = runTasks()
      } finally {
        scheduler.inTurn = false
      }
      if (result === "ended") return
      if (result === "budget") {
        const immediate = setImmediate(turn)
        cancelWait = () => clearImmediate(immediate)
      } else if (++idle > options.idleTurns) {
        finish({ _tag: "Deadlock", ...ended() })
      } else {
        const timer = setTimeout(turn, 0)
        cancelWait = () => clearTimeout(timer)
      }
    }
    turn()
    return Effect.sync(() => {
      cancelWait?.()
      scheduler.release()
    })
  })
