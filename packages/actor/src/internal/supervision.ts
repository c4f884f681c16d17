/**
 * Supervisor groups as `Supervision` builds them: child and group specs, and starting, stopping
 * and running a group — its own loop stops, restarts or fails its children as a unit. What a
 * group decides about a child's crash is in `group.ts`.
 */
import { Select } from "@weft/select"
import type { Cause, Scope } from "effect"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import * as Schedule from "effect/Schedule"
import type * as Actor from "../Actor.js"
import { ChildNotFound, type SpawnError, type StartChildError } from "../ActorError.js"
import type { ActorSystem } from "../ActorSystem.js"
import type * as Supervision from "../Supervision.js"
import type { RestartType } from "../Supervision.js"
import type { Terminated } from "../Terminated.js"
import { TerminationReason } from "../Terminated.js"
import { type ActorCell, cellOf, escalate, isActorRef, runtimeOf, TERMINATED } from "./cell.js"
import { defaultRestarts } from "./decision.js"
import { messageOf } from "./envelope.js"
import { SupervisorGroup } from "./group.js"
import { finalize } from "./incarnation.js"
import { biased } from "./loop.js"
import { SystemTag } from "./runtime.js"
import { launch, makeCell, type Membership, spawnIn } from "./spawn.js"
import { stop } from "./termination.js"
/** @internal */
export const ChildTypeId: Supervision.ChildTypeId = Symbol.for(
  "@weft/actor/Supervision/Child"
) as Supervision.ChildTypeId

/** @internal */
export const GroupTypeId: Supervision.GroupTypeId = Symbol.for(
  "@weft/actor/Supervision/Group"
) as Supervision.GroupTypeId

const childVariance = { _M: (_: unknown) => {}, _R: () => undefined as never }
const groupVariance = { _C: () => undefined as never, _R: () => undefined as never }

class ChildSpecImpl {
  readonly [ChildTypeId] = childVariance
  constructor(readonly member: GroupMember) {}
}

class GroupSpecImpl {
  readonly [GroupTypeId] = groupVariance
  constructor(readonly member: GroupMember) {}
}

/** @internal */
export const child = <M extends Actor.Message, S, R>(
  behavior: Actor.Behavior<M, S, R>,
  options?: Supervision.ChildOptions
): Supervision.ChildSpec<M, Exclude<R, Scope.Scope>> =>
  new ChildSpecImpl({ _tag: "Actor", behavior: behavior as never, options, restart: options?.restart ?? "transient" })

const memberOf = (spec: Supervision.ChildSpec<never, unknown> | Supervision.GroupSpec<unknown, unknown>): GroupMember =>
  (spec as unknown as ChildSpecImpl | GroupSpecImpl).member

const members = (spec: Supervision.Spec<Supervision.Children>) => ({
  name: spec.name,
  strategy: spec.strategy,
  restarts: spec.restarts,
  children: Object.fromEntries(
    Object.entries(spec.children).map(([key, value]) => [key, memberOf(value)])
  )
})

/** @internal */
export const group = <const C extends Supervision.Children>(
  spec: Supervision.Spec<C>
): Supervision.GroupSpec<C, Supervision.Requirements<C>> =>
  new GroupSpecImpl({ _tag: "Group", spec: members(spec) }) as unknown as Supervision.GroupSpec<
    C,
    Supervision.Requirements<C>
  >

/** @internal */
export const start = <const C extends Supervision.Children>(
  spec: Supervision.Spec<C>
): Effect.Effect<Supervision.Supervisor<C>, SpawnError, Supervision.Requirements<C> | ActorSystem | Scope.Scope> =>
  startGroup(members(spec), undefined) as unknown as Effect.Effect<
    Supervision.Supervisor<C>,
    SpawnError,
    Supervision.Requirements<C> | ActorSystem | Scope.Scope
  >

/** @internal */
export const startChild: {
  <S extends Supervision.ChildSpec<never, unknown> | Supervision.GroupSpec<unknown, unknown>>(
    spec: S
  ): <C>(
    self: Supervision.Supervisor<C>
  ) => Effect.Effect<Supervision.Handle<S>, StartChildError, Supervision.Requirements<{ readonly child: S }>>
  <C, S extends Supervision.ChildSpec<never, unknown> | Supervision.GroupSpec<unknown, unknown>>(
    self: Supervision.Supervisor<C>,
    spec: S
  ): Effect.Effect<Supervision.Handle<S>, StartChildError, Supervision.Requirements<{ readonly child: S }>>
} = dual(
  2,
  (self: Supervision.Supervisor<unknown>, spec: Supervision.ChildSpec<never, unknown>) =>
    startChildIn(self as unknown as StartedGroup, memberOf(spec))
)

/** @internal */
export const stopChild: {
  (
    child: string | Actor.ActorRef<never>,
    options?: Actor.StopOptions
  ): <C>(self: Supervision.Supervisor<C>) => Effect.Effect<Terminated, ChildNotFound>
  <C>(
    self: Supervision.Supervisor<C>,
    child: string | Actor.ActorRef<never>,
    options?: Actor.StopOptions
  ): Effect.Effect<Terminated, ChildNotFound>
} = dual(
  (args) => isStartedGroup(args[0]),
  (self: Supervision.Supervisor<unknown>, child: string | Actor.ActorRef<never>, options?: Actor.StopOptions) =>
    stopChildIn(self as unknown as StartedGroup, child, options)
)

// --- running groups ----------------------------------------------------------------------------

/** What a group's children are made of: an actor, or a nested group. @internal */
export type GroupMember =
  | {
    readonly _tag: "Actor"
    /** Requirements erased: the public `Supervision.start` carries them in its type. */
    readonly behavior: Actor.Behavior<Actor.Message, unknown, never>
    readonly options: Actor.SpawnOptions | undefined
    readonly restart: RestartType
  }
  | { readonly _tag: "Group"; readonly spec: GroupSpec }

/** @internal */
export interface GroupSpec {
  readonly name?: string | undefined
  readonly strategy: SupervisorGroup["strategy"]
  readonly restarts?: Schedule.Schedule<unknown, Cause.Cause<unknown>> | undefined
  readonly children: Readonly<Record<string, GroupMember>>
}

/** A started group as the public API shows it: its ref, its children's handles, its failure. @internal */
export interface StartedGroup {
  readonly name: string
  readonly ref: Actor.ActorRef<never>
  readonly children: Readonly<Record<string, Actor.ActorRef<never> | StartedGroup>>
  readonly failed: Effect.Effect<Cause.Cause<unknown>>
}

/**
 * Starts a group's actor, then its children in order (nested groups recursively). If a child
 * fails to start, the group — with the children already started — is stopped and the error
 * returned.
 *
 * @internal
 */
export const startGroup = (
  spec: GroupSpec,
  membership: Membership | undefined
): Effect.Effect<StartedGroup, StartChildError, ActorSystem | Scope.Scope> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const runtime = runtimeOf(yield* SystemTag)
      const driver = yield* Schedule.driver(spec.restarts ?? defaultRestarts)
      const failed = yield* Deferred.make<Cause.Cause<unknown>>()
      const cell = yield* makeCell(runtime, spec.name ?? `supervisor-${nextGroupId++}`, 1, "fail", membership)
      const group = new SupervisorGroup(cell, spec.strategy, driver, failed)
      yield* launch(cell, runGroup(cell, group), (exit) => finalizeGroup(cell, group, exit))
      const children: Record<string, Actor.ActorRef<never> | StartedGroup> = {}
      const started = Effect.forEach(Object.entries(spec.children), ([key, member]) =>
        Effect.map(startMember(group, key, member), (value) => {
          children[key] = value
        }), { discard: true })
      const exit = yield* Effect.exit(started)
      if (Exit.isFailure(exit)) {
        yield* stop(cell.ref, { mode: "kill" })
        return yield* Effect.failCause(exit.cause)
      }
      yield* restore(Effect.void)
      return startedGroup(group, children)
    })
  )

const startedGroup = (
  group: SupervisorGroup,
  children: Readonly<Record<string, Actor.ActorRef<never> | StartedGroup>>
): StartedGroup => new StartedGroupImpl(group, children)

/** A group's handle: pipeable (for `startChild`/`stopChild` data-last) and inspectable. */
class StartedGroupImpl implements StartedGroup {
  readonly name: string
  readonly ref: Actor.ActorRef<never>
  readonly failed: Effect.Effect<Cause.Cause<unknown>>
  constructor(
    readonly group: SupervisorGroup,
    readonly children: Readonly<Record<string, Actor.ActorRef<never> | StartedGroup>>
  ) {
    this.name = group.cell.name
    this.ref = group.cell.ref
    this.failed = Deferred.await(group.failed)
  }
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "Supervisor", name: this.name, children: Object.keys(this.children) }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** Starts one member of `group` under `key` (`undefined`: its own name). Call it uninterruptibly. */
const startMember = (
  group: SupervisorGroup,
  key: string | undefined,
  member: GroupMember
): Effect.Effect<Actor.ActorRef<never> | StartedGroup, StartChildError, ActorSystem | Scope.Scope> =>
  member._tag === "Actor"
    ? spawnIn(member.behavior, member.options, { group, key, restart: member.restart })
    : startGroup(member.spec, { group, key, restart: "transient" })

/** The group whose handle this is. */
const groupOf = (handle: StartedGroup): SupervisorGroup => (handle as StartedGroupImpl).group

const isStartedGroup = (u: unknown): u is StartedGroup => u instanceof StartedGroupImpl

/**
 * Starts a child in a running group: registered under its name (or its generated one), last in
 * the start order, in one uninterruptible step. An interruption that arrives while it starts kills
 * the child again before `startChild` ends.
 */
const startChildIn = (
  self: StartedGroup,
  member: GroupMember
): Effect.Effect<Actor.ActorRef<never> | StartedGroup, StartChildError> =>
  Effect.uninterruptibleMask((restore) => {
    const group = groupOf(self)
    // A group member adds no finalizer to the scope: the group stops it.
    const started = startMember(group, undefined, member).pipe(
      Effect.scoped,
      Effect.provideService(SystemTag, group.cell.runtime)
    )
    return Effect.flatMap(started, (handle) => {
      const ref = isActorRef(handle) ? handle : handle.ref
      // The last thing before handing the child over: an interruption that arrived meanwhile lands
      // here and takes the child back out.
      return Effect.as(Effect.onInterrupt(restore(Effect.void), () => stop(ref, { mode: "kill" })), handle)
    })
  })

/**
 * Stops a child for good: it is marked as leaving (no restart, whatever its restart type, and no
 * sibling restarts), then stopped like `Actor.stop`; it leaves the group's order once terminated.
 */
const stopChildIn = (
  self: StartedGroup,
  child: string | Actor.ActorRef<never>,
  options?: Actor.StopOptions
): Effect.Effect<Terminated, ChildNotFound> =>
  Effect.suspend(() => {
    const group = groupOf(self)
    const cell = typeof child === "string" ? group.byName.get(child) : cellOf(child)
    if (cell === undefined || cell.group !== group || cell.status === TERMINATED) {
      const name = typeof child === "string" ? child : child.name
      return Effect.fail(new ChildNotFound({ group: group.cell.name, child: name }))
    }
    cell.leaving = true
    return stop(cell.ref, options)
  })

let nextGroupId = 0

/**
 * Stops a group's children one by one, last started first, sharing the group's deadline: a
 * child stopped once it has passed is killed. Says whether any child had to be killed.
 */
const stopChildren = (
  group: SupervisorGroup,
  mode: "stop" | "drain" | "kill",
  timeout: Duration.Duration
): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const deadline = clock.unsafeCurrentTimeMillis() + Duration.toMillis(timeout)
    let killed = false
    const children = group.children.slice().reverse()
    // Stopped by their group, they are not restarted (a permanent child would be, after a stop).
    for (const child of children) child.leaving = true
    for (const child of children) {
      const remaining = deadline - clock.unsafeCurrentTimeMillis()
      const terminated = yield* stop(child.ref, { mode: remaining > 0 ? mode : "kill", timeout: remaining })
      if (terminated.reason._tag === "Killed") killed = true
    }
    return killed
  })

/**
 * A group's loop: it has no user messages; its system lane carries the stop, drain (its user lane
 * closing), kill, restart and failure of the group as a unit. A graceful stop during which a child
 * had to be killed (the deadline passed) ends the group as `Killed`, like an actor's overrun stop.
 */
const runGroup = (cell: ActorCell, group: SupervisorGroup): Effect.Effect<TerminationReason> =>
  Effect.gen(function*() {
    const lanes = { system: cell.system, user: cell.rx }
    const stopped = (killed: boolean) => killed ? TerminationReason.Killed() : TerminationReason.Stopped()
    while (true) {
      cell.parked = true
      const next = yield* Effect.either(Select.select(lanes, biased))
      cell.parked = false
      const timeout = cell.stopTimeout ?? cell.runtime.stopTimeout
      // The user lane closed: a drain.
      if (Either.isLeft(next)) return stopped(yield* stopChildren(group, "drain", timeout))
      if (next.right._tag === "user") {
        // Only reachable through a cast: a group's ref accepts no messages.
        cell.runtime.deadLetter(cell, messageOf(next.right.value), "NoRoute")
        continue
      }
      const control = next.right.value
      switch (control._tag) {
        case "Stop":
          return stopped(yield* stopChildren(group, "stop", timeout))
        case "Kill":
          // The exit kills the children.
          return TerminationReason.Killed()
        case "Restart":
          // The parent group restarts this one as a unit.
          yield* group.restartAll(undefined)
          continue
        case "GroupFailed": {
          Deferred.unsafeDone(group.failed, Exit.succeed(control.cause))
          // A top-level group started in a handler: its failure is that actor's crash.
          if (cell.group === undefined) escalate(cell, control.cause)
          yield* stopChildren(group, "stop", timeout)
          return TerminationReason.Failed({ cause: control.cause })
        }
        default:
          continue
      }
    }
  })

/** However the group's loop ended (a kill interrupts it), no child outlives the group. */
const finalizeGroup = (
  cell: ActorCell,
  group: SupervisorGroup,
  exit: Exit.Exit<TerminationReason>
): Effect.Effect<void> =>
  Effect.zipRight(
    stopChildren(group, "kill", cell.runtime.stopTimeout),
    finalize(cell, exit)
  )
