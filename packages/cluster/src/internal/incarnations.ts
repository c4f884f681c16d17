import { Actor } from "@weft/actor"
import type { ActorError, ActorSystem } from "@weft/actor"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Scope from "effect/Scope"

/**
 * The live local actors of one entity type's entities on this runner, by actor name.
 * @effect/cluster forgets a passivated entity before its scope has closed, so a message that
 * arrives meanwhile starts the next incarnation while the previous actor is still stopping (its
 * `onStop` running): that one is waited for. A name held by any other actor is a `NameTaken`.
 *
 * @internal
 */
export interface Incarnations {
  /**
   * For the entity whose scope this is: its actor, spawned by the first run of the returned
   * effect that finds the name free; every later run returns the same actor. The name stays
   * registered here until the scope closes, after the actor's own stop, so call this before
   * anything else adds finalizers to the scope.
   */
  readonly entity: <M extends Actor.Message, S, R>(
    name: string,
    behavior: Actor.Behavior<M, S, R>,
    options: Actor.SpawnOptions
  ) => Effect.Effect<
    Effect.Effect<Actor.ActorRef<M>, ActorError.NameTaken>,
    never,
    Scope.Scope | ActorSystem.ActorSystem | Exclude<R, Scope.Scope>
  >
}

/** @internal */
export const make = (): Incarnations => {
  const live = new Map<string, Actor.ActorRef<never>>()
  const entity = <M extends Actor.Message, S, R>(
    name: string,
    behavior: Actor.Behavior<M, S, R>,
    options: Actor.SpawnOptions
  ) =>
    Effect.gen(function*() {
      const scope = yield* Effect.scope
      const context = yield* Effect.context<ActorSystem.ActorSystem | Exclude<R, Scope.Scope>>()
      let spawned: Effect.Effect<Actor.ActorRef<M>> | undefined
      let spawnedRef: Actor.ActorRef<M> | undefined
      // Added before the actor is spawned, so it runs after the actor's stop finalizer.
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          if (spawnedRef !== undefined && live.get(name) === spawnedRef) live.delete(name)
        })
      )
      const spawn = Effect.gen(function*() {
        // Each turn either ends or forgets a previous incarnation, so this ends.
        for (;;) {
          const previous = live.get(name)
          if (previous !== undefined) {
            yield* Actor.awaitTermination(previous)
            if (live.get(name) === previous) live.delete(name)
          }
          const attempt = yield* Actor.spawn(behavior, { ...options, name }).pipe(
            // ClusterEntity.layer checked the mailbox capacity before it registered the entity type.
            Effect.catchTag("InvalidMailboxCapacity", Effect.die),
            Scope.extend(scope),
            Effect.either
          )
          if (Either.isRight(attempt)) {
            spawnedRef = attempt.right
            spawned = Effect.succeed(attempt.right)
            live.set(name, attempt.right)
            return attempt.right
          }
          if (!live.has(name)) return yield* Effect.fail(attempt.left)
        }
      }).pipe(Effect.provide(context))
      return Effect.suspend(() => spawned ?? spawn)
    })
  return { entity }
}
