import type { Cause, Scope } from "effect"
import { Deferred, Effect, FiberRef, Schedule } from "effect"
import type * as Actor from "../Actor.js"
import type { SpawnError } from "../ActorError.js"
import type { ActorSystem } from "../ActorSystem.js"
import type * as Supervisor from "../Supervisor.js"
import { currentActor, defaultRestarts, spawnIn, SupervisorGroup } from "./actor.js"

/** @internal */
export const ChildTypeId: Supervisor.ChildTypeId = Symbol.for("@weft/actor/Supervisor/Child") as Supervisor.ChildTypeId

const variance = { _M: (_: unknown) => {}, _R: () => undefined as never }

class ChildSpecImpl {
  readonly [ChildTypeId] = variance
  constructor(
    readonly behavior: Actor.Behavior<Actor.Message, unknown, unknown>,
    readonly options: Omit<Actor.SpawnOptions, "supervision"> | undefined
  ) {}
}

/** @internal */
export const child = <M extends Actor.Message, S, R>(
  behavior: Actor.Behavior<M, S, R>,
  options?: Omit<Actor.SpawnOptions, "supervision">
): Supervisor.ChildSpec<M, Exclude<R, Scope.Scope>> =>
  new ChildSpecImpl(behavior as unknown as Actor.Behavior<Actor.Message, unknown, unknown>, options)

let nextGroupId = 0

/** @internal */
export const start = <const C extends Readonly<Record<string, Supervisor.ChildSpec<never, unknown>>>>(spec: {
  readonly name?: string | undefined
  readonly strategy: Supervisor.Strategy
  readonly restarts?: Schedule.Schedule<unknown, Cause.Cause<unknown>> | undefined
  readonly children: C
}): Effect.Effect<
  Supervisor.Supervisor<C>,
  SpawnError,
  | { [K in keyof C]: C[K] extends Supervisor.ChildSpec<infer _M, infer R> ? R : never }[keyof C]
  | ActorSystem
  | Scope.Scope
> =>
  Effect.gen(function*() {
    const name = spec.name ?? `supervisor-${nextGroupId++}`
    const driver = yield* Schedule.driver(spec.restarts ?? defaultRestarts)
    const parent = yield* FiberRef.get(currentActor)
    const failed = yield* Deferred.make<Cause.Cause<unknown>>()
    const group = new SupervisorGroup(name, spec.strategy, driver, parent, failed)
    const children: Record<string, Actor.ActorRef<never>> = {}
    for (const [key, childSpec] of Object.entries(spec.children)) {
      const { behavior, options } = childSpec as unknown as ChildSpecImpl
      children[key] = yield* spawnIn(behavior, options, group)
    }
    return { name, children, failed: Deferred.await(failed) } as unknown as Supervisor.Supervisor<C>
  }) as Effect.Effect<
    Supervisor.Supervisor<C>,
    SpawnError,
    | { [K in keyof C]: C[K] extends Supervisor.ChildSpec<infer _M, infer R> ? R : never }[keyof C]
    | ActorSystem
    | Scope.Scope
  >
