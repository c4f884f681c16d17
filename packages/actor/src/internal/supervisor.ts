import type { Effect, Scope } from "effect"
import type * as Actor from "../Actor.js"
import type { SpawnError } from "../ActorError.js"
import type { ActorSystem } from "../ActorSystem.js"
import type * as Supervisor from "../Supervisor.js"
import type { GroupMember } from "./actor.js"
import { startGroup } from "./actor.js"

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
  options?: Omit<Actor.SpawnOptions, "supervision">
): Supervisor.ChildSpec<M, Exclude<R, Scope.Scope>> =>
  new ChildSpecImpl({ _tag: "Actor", behavior: behavior as never, options })

const members = (spec: Supervisor.Spec<Supervisor.Children>) => ({
  name: spec.name,
  strategy: spec.strategy,
  restarts: spec.restarts,
  children: Object.fromEntries(
    Object.entries(spec.children).map(([key, value]) => [key, (value as unknown as ChildSpecImpl).member])
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
  startGroup(members(spec), undefined) as unknown as Effect.Effect<
    Supervisor.Supervisor<C>,
    SpawnError,
    Supervisor.Requirements<C> | ActorSystem | Scope.Scope
  >
