import type { Effect, Scope } from "effect"
import { dual } from "effect/Function"
import type * as Actor from "../Actor.js"
import type { ChildNotFound, SpawnError, StartChildError } from "../ActorError.js"
import type { ActorSystem } from "../ActorSystem.js"
import type * as Supervisor from "../Supervisor.js"
import type { Terminated } from "../Terminated.js"
import type { GroupMember, StartedGroup } from "./actor.js"
import * as actor from "./actor.js"

/** @internal */
export const ChildTypeId: Supervisor.ChildTypeId = Symbol.for("@weft/actor/Supervisor/Child") as Supervisor.ChildTypeId

/** @internal */
export const GroupTypeId: Supervisor.GroupTypeId = Symbol.for("@weft/actor/Supervisor/Group") as Supervisor.GroupTypeId

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
  options?: Supervisor.ChildOptions
): Supervisor.ChildSpec<M, Exclude<R, Scope.Scope>> =>
  new ChildSpecImpl({ _tag: "Actor", behavior: behavior as never, options, restart: options?.restart ?? "transient" })

const memberOf = (spec: Supervisor.ChildSpec<never, unknown> | Supervisor.GroupSpec<unknown, unknown>): GroupMember =>
  (spec as unknown as ChildSpecImpl | GroupSpecImpl).member

const members = (spec: Supervisor.Spec<Supervisor.Children>) => ({
  name: spec.name,
  strategy: spec.strategy,
  restarts: spec.restarts,
  children: Object.fromEntries(
    Object.entries(spec.children).map(([key, value]) => [key, memberOf(value)])
  )
})

/** @internal */
export const group = <const C extends Supervisor.Children>(
  spec: Supervisor.Spec<C>
): Supervisor.GroupSpec<C, Supervisor.Requirements<C>> =>
  new GroupSpecImpl({ _tag: "Group", spec: members(spec) }) as unknown as Supervisor.GroupSpec<
    C,
    Supervisor.Requirements<C>
  >

/** @internal */
export const start = <const C extends Supervisor.Children>(
  spec: Supervisor.Spec<C>
): Effect.Effect<Supervisor.Supervisor<C>, SpawnError, Supervisor.Requirements<C> | ActorSystem | Scope.Scope> =>
  actor.startGroup(members(spec), undefined) as unknown as Effect.Effect<
    Supervisor.Supervisor<C>,
    SpawnError,
    Supervisor.Requirements<C> | ActorSystem | Scope.Scope
  >

/** @internal */
export const startChild: {
  <S extends Supervisor.ChildSpec<never, unknown> | Supervisor.GroupSpec<unknown, unknown>>(
    spec: S
  ): <C>(
    self: Supervisor.Supervisor<C>
  ) => Effect.Effect<Supervisor.Handle<S>, StartChildError, Supervisor.Requirements<{ readonly child: S }>>
  <C, S extends Supervisor.ChildSpec<never, unknown> | Supervisor.GroupSpec<unknown, unknown>>(
    self: Supervisor.Supervisor<C>,
    spec: S
  ): Effect.Effect<Supervisor.Handle<S>, StartChildError, Supervisor.Requirements<{ readonly child: S }>>
} = dual(
  2,
  (self: Supervisor.Supervisor<unknown>, spec: Supervisor.ChildSpec<never, unknown>) =>
    actor.startChild(self as unknown as StartedGroup, memberOf(spec))
)

/** @internal */
export const stopChild: {
  (
    child: string | Actor.ActorRef<never>,
    options?: Actor.StopOptions
  ): <C>(self: Supervisor.Supervisor<C>) => Effect.Effect<Terminated, ChildNotFound>
  <C>(
    self: Supervisor.Supervisor<C>,
    child: string | Actor.ActorRef<never>,
    options?: Actor.StopOptions
  ): Effect.Effect<Terminated, ChildNotFound>
} = dual(
  (args) => actor.isStartedGroup(args[0]),
  (self: Supervisor.Supervisor<unknown>, child: string | Actor.ActorRef<never>, options?: Actor.StopOptions) =>
    actor.stopChild(self as unknown as StartedGroup, child, options)
)
