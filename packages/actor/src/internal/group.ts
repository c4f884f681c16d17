/**
 * Supervisor groups: children that share one restart schedule and restart together per the
 * group's strategy. Starting, stopping and running a group is in `supervisor.ts`.
 */
import type { Deferred, Schedule } from "effect"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as ActorMetrics from "../ActorMetrics.js"
import { LifecycleEvent } from "../Lifecycle.js"
import { type ActorCell, type GroupLink, RESTART, restartMessage, RUNNING, TERMINATE, TERMINATED } from "./cell.js"
import { requestStop } from "./termination.js"

/**
 * A supervisor group: children (actors or nested groups) that share one restart schedule and
 * restart together per the group strategy. The group is an actor of its own (`cell`, with a ref,
 * watchers and a loop on its system lane that restarts, stops or fails the children as a unit),
 * but a child's crash is decided here, in the crashing child's fiber: no extra mailbox hop.
 *
 * @internal
 */
export class SupervisorGroup implements GroupLink {
  /** The running children in start order (a nested group appears as its own cell). */
  readonly children: Array<ActorCell> = []
  /** The same children by the name the group knows them by (their key in the spec). */
  readonly byName = new Map<string, ActorCell>()
  /** Set once the group gave up; every child then terminates. */
  failure: Cause.Cause<unknown> | undefined = undefined
  constructor(
    /** The group's own actor: its ref, lanes and loop. */
    readonly cell: ActorCell,
    readonly strategy: "one-for-one" | "one-for-all" | "rest-for-one",
    readonly driver: Schedule.ScheduleDriver<unknown, Cause.Cause<unknown>>,
    readonly failed: Deferred.Deferred<Cause.Cause<unknown>>
  ) {}

  /**
   * Decides a child's exit — a crash, or (`crashed` false) a graceful stop: restart it (and its
   * siblings per strategy), or — the schedule exhausted — escalate. A nested group escalates to
   * its parent group, which decides about this whole group as one child (restarting it means
   * every child here restarts, with a fresh schedule); a top-level group fails. Per the child's
   * restart type, a temporary child is never restarted and a stop restarts only a permanent one;
   * neither then touches the schedule or the siblings. May sleep for a backoff.
   */
  childExited(child: ActorCell, cause: Cause.Cause<unknown>, crashed: boolean): Effect.Effect<number> {
    // The group already gave up or is gone, or it is stopping this child: no restart.
    if (this.failure !== undefined || this.cell.status === TERMINATED || child.leaving) {
      return Effect.succeed(TERMINATE)
    }
    if (child.restart === "temporary") return Effect.succeed(TERMINATE)
    // A stop restarts a permanent child only, and only while the group itself is running.
    if (!crashed && (child.restart !== "permanent" || this.cell.status !== RUNNING)) return Effect.succeed(TERMINATE)
    return Effect.matchEffect(this.driver.next(cause), {
      onFailure: () => this.exhausted(child, cause),
      onSuccess: () =>
        Effect.sync(() => {
          this.restartSiblings(child)
          return RESTART
        })
    })
  }

  private exhausted(child: ActorCell, cause: Cause.Cause<unknown>): Effect.Effect<number> {
    const parentGroup = this.cell.group
    if (parentGroup === undefined) return Effect.sync(() => this.fail(cause))
    return Effect.flatMap(parentGroup.childExited(this.cell, cause, true), (decision) =>
      decision === RESTART
        // The parent restarts this group as a whole: the crashed child restarts itself.
        ? Effect.as(this.restartAll(child), RESTART)
        : Effect.sync(() => this.fail(cause)))
  }

  /** Restarts every child but `except`, with a fresh schedule: this group's own restart. */
  restartAll(except: ActorCell | undefined): Effect.Effect<void> {
    return Effect.zipRight(
      this.driver.reset,
      Effect.sync(() => {
        this.failure = undefined
        ActorMetrics.restarts.unsafeUpdate(1, this.cell.labels)
        this.cell.runtime.publish(LifecycleEvent.Restarted({ actor: this.cell.ref, cause: Cause.empty }))
        for (const child of this.children) {
          if (child !== except) restartOrRetire(child)
        }
      })
    )
  }

  private restartSiblings(child: ActorCell): void {
    if (this.strategy === "one-for-one") return
    const index = this.children.indexOf(child)
    this.children.forEach((sibling, i) => {
      const restarts = this.strategy === "one-for-all" || i > index
      if (restarts && sibling !== child) restartOrRetire(sibling)
    })
  }

  /** Forgets a child that has terminated: its name is free again, and it leaves the order. */
  remove(child: ActorCell): void {
    const index = this.children.indexOf(child)
    if (index >= 0) this.children.splice(index, 1)
    if (child.key !== undefined && this.byName.get(child.key) === child) this.byName.delete(child.key)
  }

  /** Gives up: the group's loop stops the children and terminates it with the cause. */
  private fail(cause: Cause.Cause<unknown>): number {
    if (this.failure === undefined) {
      this.failure = cause
      this.cell.system.push({ _tag: "GroupFailed", cause })
    }
    return TERMINATE
  }
}

/**
 * A sibling's restart, requested on its system lane — or, for a temporary child, which is never
 * restarted, its stop (after its current message, for good).
 */
const restartOrRetire = (child: ActorCell): void => {
  if (child.status !== RUNNING) return
  if (child.restart !== "temporary") return child.system.push(restartMessage)
  child.leaving = true
  requestStop(child, "stop")
}
