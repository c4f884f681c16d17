/**
 * Spawning: a cell registered under a free name (as a member of a supervisor group when given),
 * then its loop forked into the system's scope.
 */
import { Mpsc } from "@weft/channel"
import type { Exit, Scope } from "effect"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import type * as Actor from "../Actor.js"
import {
  ChildExists,
  GroupStopping,
  InvalidMailboxCapacity,
  NameTaken,
  type SpawnError,
  type StartChildError
} from "../ActorError.js"
import type * as ActorSystemModule from "../ActorSystem.js"
import { LifecycleEvent } from "../Lifecycle.js"
import type { RestartType } from "../Supervision.js"
import type { TerminationReason } from "../Terminated.js"
import { ForkedFrom } from "./askWait.js"
import type { AnyBehavior } from "./behavior.js"
import { ActorCell, currentActor, RUNNING, runtimeOf } from "./cell.js"
import { defaultRestarts } from "./decision.js"
import type { Envelope } from "./envelope.js"
import type { SupervisorGroup } from "./group.js"
import { finalize } from "./incarnation.js"
import { runActor } from "./loop.js"
import { defaultRedelivery } from "./redelivery.js"
import { type SystemRuntime, SystemTag } from "./runtime.js"
import { stop } from "./termination.js"

let nextActorId = 0

/** @internal */
export const spawn = <M extends Actor.Message, S, R>(
  behavior: Actor.Behavior<M, S, R>,
  options?: Actor.SpawnOptions
): Effect.Effect<
  Actor.ActorRef<M>,
  SpawnError,
  Exclude<R, Scope.Scope> | ActorSystemModule.ActorSystem | Scope.Scope
> =>
  // Outside a group only the spawn errors can happen.
  spawnIn(behavior, options, undefined) as Effect.Effect<
    Actor.ActorRef<M>,
    SpawnError,
    Exclude<R, Scope.Scope> | ActorSystemModule.ActorSystem | Scope.Scope
  >

/**
 * A cell's place in a supervisor group: the group, the name the group knows it by (default: the
 * actor's own name) and its restart type.
 *
 * @internal
 */
export interface Membership {
  readonly group: SupervisorGroup
  readonly key: string | undefined
  readonly restart: RestartType
}

/**
 * Registers a new cell — a name that is free, a mailbox of `capacity` — as a member of a group
 * when given. Call it uninterruptibly, then `launch` the cell. Every check runs in the same
 * synchronous step as the registration, so nothing can take the name or stop the group between.
 *
 * @internal
 */
export const makeCell = (
  runtime: SystemRuntime<ActorCell>,
  name: string | undefined,
  capacity: number,
  strategy: Actor.MailboxStrategy,
  membership: Membership | undefined
): Effect.Effect<ActorCell, StartChildError> =>
  Effect.gen(function*() {
    if (!Number.isInteger(capacity) || capacity < 1) {
      return yield* Effect.fail(new InvalidMailboxCapacity({ capacity }))
    }
    const [tx, rx] = yield* Effect.orDie(Mpsc.bounded<Envelope>(capacity))
    // Only the loop itself is a parent: a fiber a handler forked spawns top-level actors.
    const spawner = yield* FiberRef.get(currentActor)
    const parent = spawner instanceof ForkedFrom ? undefined : spawner
    const fiberId = yield* Effect.fiberId
    const id = nextActorId++
    const cellName = name ?? `actor-${id}`
    const key = membership?.key ?? cellName
    if (membership !== undefined) {
      const group = membership.group
      if (group.cell.status !== RUNNING || group.failure !== undefined) {
        return yield* Effect.fail(new GroupStopping({ group: group.cell.name }))
      }
      if (group.byName.has(key)) return yield* Effect.fail(new ChildExists({ group: group.cell.name, child: key }))
    }
    if (runtime.names.has(cellName)) return yield* Effect.fail(new NameTaken({ name: cellName }))
    const cell = new ActorCell(id, cellName, runtime, tx, rx, capacity, strategy, parent, fiberId)
    runtime.cells.add(cell)
    runtime.names.set(cellName, cell)
    if (membership !== undefined) {
      cell.group = membership.group
      cell.key = key
      cell.restart = membership.restart
      membership.group.children.push(cell)
      membership.group.byName.set(key, cell)
    }
    return cell
  })

/**
 * Forks the cell's loop into the system's scope. Outside a group, closing the spawner's `scope`
 * stops the actor; a group's children are stopped by their group instead (in reverse order).
 *
 * @internal
 */
export const launch = (
  cell: ActorCell,
  loop: Effect.Effect<TerminationReason>,
  onExit: (exit: Exit.Exit<TerminationReason>) => Effect.Effect<void>
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Forked uninterruptible (the caller masks), so `onExit` is in place before the first
    // interruption can land: a cell killed before its loop ran is still finalized.
    const running = loop.pipe(
      Effect.locally(currentActor, cell),
      Effect.interruptible,
      Effect.onExit(onExit)
    )
    cell.runtime.publish(LifecycleEvent.Started({ actor: cell.ref }))
    cell.fiber = yield* Effect.forkIn(running, cell.runtime.scope)
    if (cell.group === undefined) yield* Effect.addFinalizer(() => Effect.asVoid(stop(cell.ref)))
  })

/** Spawns an actor, as a member of a group when given. @internal */
export const spawnIn = <M extends Actor.Message, S, R>(
  behavior: Actor.Behavior<M, S, R>,
  options: Actor.SpawnOptions | undefined,
  membership: Membership | undefined
): Effect.Effect<
  Actor.ActorRef<M>,
  StartChildError,
  Exclude<R, Scope.Scope> | ActorSystemModule.ActorSystem | Scope.Scope
> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const runtime = runtimeOf(yield* SystemTag)
      const cell = yield* makeCell(
        runtime,
        options?.name,
        options?.mailbox?.capacity ?? 1024,
        options?.mailbox?.strategy ?? "suspend",
        membership
      )
      const loop = runActor(cell, behavior as unknown as AnyBehavior, {
        strategy: options?.supervision?.strategy ?? "restart",
        restarts: options?.supervision?.restarts ?? defaultRestarts,
        redelivery: options?.redelivery ?? defaultRedelivery
      })
      yield* launch(cell, loop as Effect.Effect<TerminationReason>, (exit) => finalize(cell, exit))
      yield* restore(Effect.void)
      return cell.ref as Actor.ActorRef<M>
    })
  ) as Effect.Effect<
    Actor.ActorRef<M>,
    StartChildError,
    Exclude<R, Scope.Scope> | ActorSystemModule.ActorSystem | Scope.Scope
  >
