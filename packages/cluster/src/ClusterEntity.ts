/**
 * A weft actor as an `@effect/cluster` entity: the protocol's Schema classes become the entity's
 * Rpcs, the same `Actor.behavior` handles its messages with one state per entity id, and an
 * {@link EntityRef} per entity id takes `tell` and `ask` with the call shapes of a local
 * `ActorRef` — wherever in the cluster the entity lives.
 *
 * On the runner that owns an entity id, the entity is a local weft actor spawned from the
 * behaviour (its mailbox, supervision, `onStart`/`onStop` and `self` are the local ones). It
 * starts on the first message and stops (`onStop` runs) when it has been idle for
 * `maxIdleTime` or when its shard moves to another runner; its state is in memory, so it starts
 * again from `initialState` there (keep what must survive in storage of your own).
 *
 * Delivery (see `docs/cluster.md`): `"persisted"` (default) is at-least-once — a message is saved
 * in the cluster's message storage before `tell` returns and redelivered until its handler has
 * finished, so a runner crash can make a handler run twice. `"volatile"` stores nothing and
 * promises nothing across a runner crash: what the dead runner had not handled is lost, and a
 * message resent after its connection failed can, rarely, arrive twice.
 *
 * Cancellation safety: an interrupted `tell` has or has not handed its message over (stored, or
 * sent to the owning runner); an interrupted or timed-out `ask` interrupts the request on the
 * entity: if the actor has not started it, it never runs.
 *
 * @since 0.1.0
 */
import type { AlreadyProcessingMessage, MailboxFull, PersistenceError } from "@effect/cluster/ClusterError"
import type * as Entity from "@effect/cluster/Entity"
import type { Sharding } from "@effect/cluster/Sharding"
import type * as Rpc from "@effect/rpc/Rpc"
import type { Actor } from "@weft/actor"
import type { ActorSystem } from "@weft/actor"
import type { Duration, Effect, Layer, Pipeable, Schema, Scope, Types } from "effect"
import * as Predicate from "effect/Predicate"
import type {
  AskTimeout,
  EntityFailed,
  EntityNameTaken,
  EntityUnreachable,
  InvalidEntityOption
} from "./ClusterEntityError.js"
import * as entity from "./internal/entity.js"
import * as protocol from "./internal/protocol.js"
import * as internalRef from "./internal/ref.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = protocol.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A message class of a cluster protocol: a `Schema.TaggedClass` (a tell) or a
 * `Schema.TaggedRequest` (an ask), with no requirements to encode or decode.
 *
 * @since 0.1.0
 * @category protocol
 */
export interface MessageSchema extends Schema.Schema.AnyNoContext {
  readonly _tag: string
}

/**
 * A `Schema.TaggedRequest` class: a message schema that also carries its reply's schemas.
 *
 * @since 0.1.0
 * @category protocol
 */
export interface RequestSchema extends MessageSchema {
  readonly success: Schema.Schema.Any
  readonly failure: Schema.Schema.All
}

/**
 * What a message may encode to, so that any runner and any storage can carry it.
 *
 * @since 0.1.0
 * @category protocol
 */
export type Json =
  | string
  | number
  | boolean
  | null
  | ReadonlyArray<Json>
  | { readonly [key: string]: Json | undefined }

type EncodesToJson<S> = [Schema.Schema.Encoded<S>] extends [Json] ? true : false

type RepliesInJson<S> = S extends RequestSchema
  ? [Schema.Schema.Encoded<S["success"]>] extends [Json | void] ? EncodesToJson<S["failure"]> : false
  : true

/**
 * The protocol as `make` accepts it: each message class that does not encode to {@link Json}
 * (its fields, and a request's reply and failure) is replaced by a string naming it, so a
 * protocol that cannot cross a process boundary is a compile error.
 *
 * @since 0.1.0
 * @category protocol
 */
export type Serializable<P extends ReadonlyArray<MessageSchema>> = {
  readonly [K in keyof P]: EncodesToJson<P[K]> extends true ? RepliesInJson<P[K]> extends true ? P[K]
    : `"${P[K]["_tag"]}" is not serializable: its reply or failure does not encode to JSON`
    : `"${P[K]["_tag"]}" is not serializable: its fields do not encode to JSON`
}

/**
 * `"persisted"` (at-least-once): every message is saved in the cluster's `MessageStorage` before
 * `tell` returns (or the ask is sent) and redelivered until its handler has finished.
 * `"volatile"`: messages go straight to the owning runner; a runner crash loses what it had not
 * handled, and a message resent after the connection to a dying runner failed may be handled twice.
 *
 * @since 0.1.0
 * @category models
 */
export type Delivery = "persisted" | "volatile"

/**
 * A protocol registered as an entity type. Build one with {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterEntity<in out Type extends string, in out M extends Actor.Message> {
  readonly [TypeId]: { readonly _M: Types.Invariant<M> }
  readonly type: Type
  readonly delivery: Delivery
  /** The default deadline of an ask. */
  readonly askTimeout: Duration.Duration
  /** The tags of the protocol's requests (the rest are tells). */
  readonly requestTags: ReadonlySet<string>
  /** The `@effect/cluster` entity derived from the protocol, one Rpc per message class. */
  readonly entity: Entity.Entity<Type, Rpc.Any>
}

/**
 * Whether `u` is a cluster entity built with `make`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isClusterEntity = (u: unknown): u is ClusterEntity<string, Actor.Message> =>
  Predicate.hasProperty(u, TypeId)

/**
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions {
  /** Default `"persisted"`. */
  readonly delivery?: Delivery | undefined
  /** The deadline of an ask without its own `timeout`. Default 5 seconds. */
  readonly askTimeout?: Duration.DurationInput | undefined
}

/**
 * Derives an entity type from a protocol of Schema classes: `Schema.TaggedClass`es are tells,
 * `Schema.TaggedRequest`s are asks. Every class must encode to {@link Json}, checked at
 * compile time.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { ClusterEntity } from "@weft/cluster"
 *
 * class Deposit extends Schema.TaggedClass<Deposit>()("Deposit", { amount: Schema.Number }) {}
 * class Balance extends Schema.TaggedRequest<Balance>()("Balance", {
 *   failure: Schema.Never,
 *   success: Schema.Number,
 *   payload: {}
 * }) {}
 *
 * const Account = ClusterEntity.make("Account", [Deposit, Balance])
 * ```
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <const Type extends string, const P extends ReadonlyArray<MessageSchema>>(
  type: Type,
  protocol: P & Serializable<P>,
  options?: MakeOptions
) => ClusterEntity<Type, Extract<Schema.Schema.Type<P[number]>, Actor.Message>> = protocol.make

/**
 * @since 0.1.0
 * @category models
 */
export interface LayerOptions {
  /** The local actor's user-lane mailbox on the owning runner (see `Actor.SpawnOptions`); its capacity a positive integer. */
  readonly mailbox?: Actor.SpawnOptions["mailbox"]
  /** The local actor's supervision (see `Actor.SpawnOptions`). */
  readonly supervision?: Actor.SpawnOptions["supervision"]
  /** How long an entity may be idle before it is stopped (its state dropped): positive and finite. Default: the cluster's, 1 minute. */
  readonly maxIdleTime?: Duration.DurationInput | undefined
  /** How many messages `@effect/cluster` queues for one entity before `MailboxFull`: a positive integer or `"unbounded"`. Default: the cluster's. */
  readonly entityMailboxCapacity?: number | "unbounded" | undefined
}

/**
 * Registers the entity type on this runner with `behavior` as its handlers: each entity id
 * this runner owns is a local actor spawned from `behavior`, with its own state. Messages to
 * one entity id are handled one at a time, in the order the entity receives them.
 *
 * A bad option (a mailbox capacity that is not a positive integer, a zero `maxIdleTime`, an entity
 * type whose `askTimeout` is zero, …) fails the layer with `InvalidEntityOption` naming it,
 * before anything is registered.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Actor } from "@weft/actor"
 * import { ClusterEntity, Embedded } from "@weft/cluster"
 *
 * class Add extends Schema.TaggedClass<Add>()("Add", { n: Schema.Number }) {}
 * class Get extends Schema.TaggedRequest<Get>()("Get", { failure: Schema.Never, success: Schema.Number, payload: {} }) {}
 *
 * const Counter = ClusterEntity.make("Counter", [Add, Get])
 * const counter = Actor.behavior<Add | Get>()({
 *   initialState: 0,
 *   handlers: {
 *     Add: (message, state) => Effect.succeed(state + message.n),
 *     Get: (_, state) => Effect.succeed(Actor.reply(state, state))
 *   }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const ref = yield* ClusterEntity.ref(Counter, "counter-1")
 *   yield* ClusterEntity.tell(ref, new Add({ n: 2 }))
 *   return yield* ClusterEntity.ask(ref, new Get(), { timeout: "1 second" }) // 2
 * }).pipe(Effect.provide(ClusterEntity.layer(Counter, counter).pipe(Layer.provideMerge(Embedded.layer()))))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <Type extends string, M extends Actor.Message, S, R>(
  self: ClusterEntity<Type, M>,
  behavior: Actor.Behavior<M, S, R>,
  options?: LayerOptions
) => Layer.Layer<never, InvalidEntityOption, Sharding | ActorSystem.ActorSystem | Exclude<R, Scope.Scope>> =
  entity.layer

/**
 * @since 0.1.0
 * @category type ids
 */
export const EntityRefTypeId: unique symbol = internalRef.EntityRefTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type EntityRefTypeId = typeof EntityRefTypeId

/**
 * A handle to one entity id, wherever in the cluster it lives. Contravariant like `ActorRef`.
 *
 * @since 0.1.0
 * @category models
 */
export interface EntityRef<in M extends Actor.Message> extends Pipeable.Pipeable {
  readonly [EntityRefTypeId]: { readonly _M: (_: M) => void }
  readonly entityType: string
  readonly entityId: string
}

/**
 * Whether `u` is a handle to an entity built with `ref`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isEntityRef = (u: unknown): u is EntityRef<never> => Predicate.hasProperty(u, EntityRefTypeId)

/**
 * The ref for one entity id. It does not contact the entity; the first message starts it on
 * the runner that owns its shard.
 *
 * Cancellation safety: nothing is sent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ref: {
  (entityId: string): <Type extends string, M extends Actor.Message>(
    self: ClusterEntity<Type, M>
  ) => Effect.Effect<EntityRef<M>, never, Sharding>
  <Type extends string, M extends Actor.Message>(
    self: ClusterEntity<Type, M>,
    entityId: string
  ): Effect.Effect<EntityRef<M>, never, Sharding>
} = internalRef.ref

/**
 * Why the cluster did not take a message: the entity's cluster mailbox is full, a message with
 * the same primary key is already being processed, message storage failed, or the connection to
 * the owning runner broke while sending (`EntityUnreachable`).
 *
 * @since 0.1.0
 * @category errors
 */
export type TellError = MailboxFull | AlreadyProcessingMessage | PersistenceError | EntityUnreachable

/**
 * Why an ask got no reply: its deadline passed (`AskTimeout`), the entity's actor could not
 * handle it (`EntityFailed`), the entity could not start its actor because another actor has its
 * name (`EntityNameTaken`), or the cluster did not take it ({@link TellError}).
 *
 * @since 0.1.0
 * @category errors
 */
export type AskError = AskTimeout | EntityFailed | EntityNameTaken | TellError

/**
 * Sends a tell-only message and returns once the cluster has taken it: saved in message storage
 * (`"persisted"`) or handed to the owning runner (`"volatile"`). It does not wait for
 * the handler. Telling a request is a compile error whose parameter type says to use `ask`.
 *
 * Cancellation safety: if interrupted, the message has been taken or not, never twice.
 *
 * @since 0.1.0
 * @category messaging
 */
export const tell: {
  <Msg extends Actor.Message>(
    message: Msg & Actor.Tellable<Msg>
  ): (self: EntityRef<Msg>) => Effect.Effect<void, TellError>
  <Msg extends Actor.Message>(self: EntityRef<Msg>, message: Msg & Actor.Tellable<Msg>): Effect.Effect<void, TellError>
} = internalRef.tell

/**
 * @since 0.1.0
 * @category models
 */
export interface AskOptions {
  /** How long the caller waits. Default: the entity type's `askTimeout`. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Sends a request and waits for its reply, at most until the deadline, which travels with the
 * request: the owning runner's actor skips it if the deadline has passed before it gets to it.
 * The request's typed failure comes back as a failure. Asking a tell-only message is a compile
 * error whose parameter type says to use `tell`.
 *
 * Cancellation safety: interrupting the ask (or its deadline passing) interrupts the request on
 * the entity: if the actor has not started it, it never runs; if it is running, its reply is
 * discarded.
 *
 * @since 0.1.0
 * @category messaging
 */
export const ask: {
  <Msg extends Actor.Message>(
    message: Msg & Actor.Askable<Msg>,
    options?: AskOptions
  ): (self: EntityRef<Msg>) => Effect.Effect<Actor.Reply<Msg>, Actor.ReplyError<Msg> | AskError>
  <Msg extends Actor.Message>(
    self: EntityRef<Msg>,
    message: Msg & Actor.Askable<Msg>,
    options?: AskOptions
  ): Effect.Effect<Actor.Reply<Msg>, Actor.ReplyError<Msg> | AskError>
} = internalRef.ask as never
