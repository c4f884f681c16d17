import * as Entity from "@effect/cluster/Entity"
import type * as Envelope from "@effect/cluster/Envelope"
import type { Sharding } from "@effect/cluster/Sharding"
import type * as Rpc from "@effect/rpc/Rpc"
import { Actor } from "@weft/actor"
import { ActorError } from "@weft/actor"
import type { ActorSystem } from "@weft/actor"
import { Semaphore } from "@weft/channel"
import type { Scope } from "effect"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as ClusterEntity from "../ClusterEntity.js"
import { EntityFailed, EntityNameTaken, type InvalidEntityOption } from "../ClusterEntityError.js"
import * as Incarnations from "./incarnations.js"
import { validateLayerOptions } from "./options.js"

/** The header that carries an ask's deadline (epoch milliseconds) to the runner that owns the entity. */
export const deadlineHeader = "weft-ask-deadline"

type Completion = (exit: Exit.Exit<unknown, unknown>) => void

const localAskErrors = [
  ActorError.MailboxFull,
  ActorError.ActorStopping,
  ActorError.ActorStopped,
  ActorError.AskTimeout,
  ActorError.AskCycle,
  ActorError.HandlerCrashed
]

type LocalActorError = ActorError.AskError | ActorError.TellError

const isLocalActorError = (error: unknown): error is LocalActorError =>
  localAskErrors.some((errorClass) => error instanceof errorClass)

/**
 * The behaviour with every tell handler reporting its outcome to the entity handler waiting for
 * it: a tell counts as delivered only once the actor has handled it, so a persisted tell is
 * marked processed (and never redelivered) only after its handler ran. Messages are decoded per
 * delivery, so each is its own key.
 */
const trackTells = <M extends Actor.Message, S, R>(
  behavior: Actor.Behavior<M, S, R>,
  requestTags: ReadonlySet<string>,
  completions: WeakMap<object, Completion>
): Actor.Behavior<M, S, R> => {
  const handlers: Record<string, unknown> = {}
  for (const [tag, handler] of Object.entries<TellHandler<S, R>>(behavior.handlers as never)) {
    handlers[tag] = requestTags.has(tag)
      ? handler
      : (message: object, state: S, context: unknown) =>
        Effect.onExit(handler(message, state, context), (exit) =>
          Effect.sync(() => {
            const complete = completions.get(message)
            completions.delete(message)
            complete?.(exit)
          }))
  }
  return { ...behavior, handlers: handlers as Actor.Handlers<M, S, R> }
}

type TellHandler<S, R> = (message: object, state: S, context: unknown) => Effect.Effect<S, never, R>

/** @internal */
export const layer = <Type extends string, M extends Actor.Message, S, R>(
  self: ClusterEntity.ClusterEntity<Type, M>,
  behavior: Actor.Behavior<M, S, R>,
  options: ClusterEntity.LayerOptions | undefined
): Layer.Layer<never, InvalidEntityOption, Sharding | ActorSystem.ActorSystem | Exclude<R, Scope.Scope>> =>
  // Checked before the entity type is registered: a bad option would otherwise fail each entity's
  // start (its actor cannot spawn), that is every message, as a defect.
  Layer.unwrapEffect(
    Effect.as(validateLayerOptions(self.type, self.askTimeout, options), serve(self, behavior, options))
  )

const serve = <Type extends string, M extends Actor.Message, S, R>(
  self: ClusterEntity.ClusterEntity<Type, M>,
  behavior: Actor.Behavior<M, S, R>,
  options: ClusterEntity.LayerOptions | undefined
): Layer.Layer<never, never, Sharding | ActorSystem.ActorSystem | Exclude<R, Scope.Scope>> => {
  const completions = new WeakMap<object, Completion>()
  const tracked = trackTells(behavior, self.requestTags, completions)
  const incarnations = Incarnations.make()
  const build = Effect.gen(function*() {
    const address = yield* Entity.CurrentAddress
    const name = `${self.type}/${address.entityId}`
    // Spawned with the entity's first message, and again with a later one while its name is taken.
    const actor = yield* incarnations.entity(name, tracked, {
      mailbox: options?.mailbox,
      supervision: options?.supervision
    })
    const withActor = <A, E>(tag: string, use: (ref: Actor.ActorRef<M>) => Effect.Effect<A, E>) =>
      Effect.flatMap(
        Effect.mapError(actor, () =>
          new EntityNameTaken({ entityType: self.type, entityId: address.entityId, tag, actorName: name })),
        use
      )
    const failed = (tag: string, error: LocalActorError, detail = error.message) =>
      new EntityFailed({ entityType: self.type, entityId: address.entityId, tag, reason: error._tag, detail })
    const crashed = (tag: string, cause: Cause.Cause<unknown>) =>
      failed(tag, new ActorError.HandlerCrashed({ actor: name, tag }), Cause.pretty(cause))
    const stoppedBefore = (ref: Actor.ActorRef<M>, tag: string) =>
      Effect.flatMap(Actor.awaitTermination(ref), (terminated) =>
        Effect.fail(
          failed(tag, new ActorError.ActorStopped({ actor: name, tag }), `terminated: ${terminated.reason._tag}`)
        ))

    const tell = (envelope: Envelope.Request<Rpc.Any>) => {
      const message = envelope.payload as M
      return withActor(message._tag, (ref) =>
        Effect.gen(function*() {
          const handled = yield* Deferred.make<void, EntityFailed>()
          completions.set(message, (exit) => {
            Deferred.unsafeDone(
              handled,
              Exit.isSuccess(exit) ? Exit.void : Exit.fail(crashed(message._tag, exit.cause))
            )
          })
          yield* Actor.tell(ref, message as never).pipe(Effect.mapError((error) => failed(message._tag, error)))
          // A message left in the mailbox of an actor that stopped for good is never handled.
          yield* Effect.raceFirst(Deferred.await(handled), stoppedBefore(ref, message._tag))
        })).pipe(Effect.ensuring(Effect.sync(() => completions.delete(message))))
    }

    const ask = (envelope: Envelope.Request<Rpc.Any>) => {
      const request = envelope.payload as M
      return withActor(
        request._tag,
        (ref) =>
          Effect.clockWith((clock) =>
            Actor.ask(ref, request as never, { timeout: remainingMs(envelope, clock.unsafeCurrentTimeMillis()) }).pipe(
              Effect.catchIf(isLocalActorError, (error) => Effect.fail(failed(request._tag, error)))
            )
          )
      )
    }

    // One message at a time, in the order they arrived. @effect/cluster's own one-at-a-time mode
    // (its RpcServer's `concurrency: 1`) queues them on Effect's Semaphore, which lets a message
    // that arrived later overtake waiting ones, and wakes every waiting one per message: a backlog
    // of n messages was handled out of order, in O(n²). So the entity's handlers run concurrently
    // (`toLayer` below) and wait for their turn on a fair semaphore, in the order they started.
    const oneAtATime = Semaphore.unsafeMake(1)
    const handlers: Record<string, (envelope: Envelope.Request<Rpc.Any>) => Effect.Effect<unknown, unknown>> = {}
    for (const tag of self.entity.protocol.requests.keys()) {
      const handle = self.requestTags.has(tag) ? ask : tell
      handlers[tag] = (envelope) => Semaphore.withPermit(handle(envelope), oneAtATime)
    }
    // The protocol is only known at run time here; ClusterEntity.make typed it for callers.
    return handlers as unknown as Entity.HandlersFrom<Rpc.Any>
  })
  return self.entity.toLayer(build, {
    maxIdleTime: options?.maxIdleTime,
    mailboxCapacity: options?.entityMailboxCapacity,
    // Ordered by each entity's `oneAtATime` instead (see above).
    concurrency: "unbounded"
  }) as Layer.Layer<never, never, Sharding | ActorSystem.ActorSystem | Exclude<R, Scope.Scope>>
}

/**
 * What is left at `now` of the asker's deadline; none (0) for a request that arrives after it: the
 * actor then skips it, as it skips an ask whose deadline passed in its mailbox (dead letter
 * `"Expired"`, `AskTimeout`). `undefined` (the actor's default) without a valid deadline header.
 */
const remainingMs = (envelope: Envelope.Request<Rpc.Any>, now: number): number | undefined => {
  const header = envelope.headers[deadlineHeader]
  const deadline = header === undefined ? NaN : Number(header)
  return Number.isFinite(deadline) ? Math.max(0, deadline - now) : undefined
}
