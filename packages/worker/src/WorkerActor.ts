/**
 * Actors on worker threads. An actor whose protocol is made of Schema classes
 * (`Schema.TaggedClass` tells, `Schema.TaggedRequest` asks) can run on a worker thread: the same
 * `Actor.behavior` value is registered by a worker module ({@link serve}) and spawned from the
 * calling thread ({@link spawn}), which gets an ordinary `ActorRef` — `Actor.tell`, `Actor.ask`,
 * `Actor.stop` and death watch work as for a local actor.
 *
 * How: the calling thread runs a local stand-in actor with the mailbox, ask deadlines and
 * supervision given to `spawn`; each of its messages becomes one job for the thread, where the
 * behaviour runs as a local actor of the thread's own `ActorSystem` (its `self`, its hooks and its
 * incarnation scope are the thread's). One message is in the thread at a time, in mailbox order.
 *
 * - **Crashes are the actor's.** A defect in a handler or in `onStart` on the thread, or the
 *   thread itself exiting, is a crash of the actor, and its supervisor (the spawn options'
 *   strategy, or its `Supervisor` group) decides: `"restart"` restarts the behaviour in the thread
 *   (`onRestart` sees the crashed state) — on a new thread if the old one died —, `"resume"`
 *   keeps its state, `"stop"` and `"escalate"` end it. The cause is the pool's error
 *   (`JobDefect` with the thrown message, or `WorkerCrashed`) as a defect.
 * - **Shutdown leaves no thread.** The thread ends once the actor has terminated (or the
 *   spawning scope closed).
 *
 * Cancellation safety (as for a local actor): an interrupted `tell` has enqueued its message or
 * not; an interrupted `ask` withdraws its request — if the stand-in has not forwarded it, it
 * never reaches the thread; if the thread runs it, it runs to the end and its reply is discarded
 * (counted in `ActorSystem.lateReplies`). A kill interrupts the handler running on the thread.
 *
 * Limits: state lives on the thread, so `"resume"` after the thread died continues from
 * `initialState` on the new thread, and `onRestart` is not run there (the crashed state died with
 * the thread). A crash in a message the actor told itself on the thread is reported with the
 * next job, whose message is then dead-lettered as crashed. `onTerminated` (watching from the
 * thread) is not forwarded, and `Reliable` messages are not supported.
 *
 * @since 0.1.0
 */
import type { Actor, ActorError, ActorSystem } from "@weft/actor"
import type { Effect, Schema, Scope } from "effect"
import type * as BlockingPool from "./BlockingPool.js"
import type { InvalidPoolOptions, WorkerCrashed } from "./internal/errors.js"
import * as internal from "./internal/workerActor.js"
import * as hosting from "./internal/workerActorHost.js"
import * as protocols from "./internal/workerActorProtocol.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = protocols.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A message class of a worker protocol: a `Schema.TaggedClass` (a tell) or a
 * `Schema.TaggedRequest` (an ask), with no requirements to encode or decode.
 *
 * @since 0.1.0
 * @category protocol
 */
export interface MessageSchema extends Schema.Schema.AnyNoContext {
  readonly _tag: string
}

type Primitive = string | number | bigint | boolean | null | undefined | symbol

/**
 * Whether `T` survives `postMessage` (the structured clone algorithm): functions do not.
 *
 * @since 0.1.0
 * @category protocol
 */
export type IsCloneable<T> = [T] extends [Primitive | Date | RegExp | ArrayBuffer | SharedArrayBuffer | ArrayBufferView]
  ? true
  : [T] extends [(...args: never) => unknown] ? false
  : [T] extends [ReadonlyArray<infer E>] ? IsCloneable<E>
  : [T] extends [object] ? [{ [K in keyof T]-?: IsCloneable<T[K]> }[keyof T]] extends [true] ? true : false
  : true

type Replies<S> = S extends { readonly success: infer Success; readonly failure: infer Failure }
  ? IsCloneable<Schema.Schema.Encoded<Success>> extends true ? IsCloneable<Schema.Schema.Encoded<Failure>> : false
  : true

/**
 * The protocol as {@link protocol} accepts it: each message class whose encoded form (its fields,
 * and a request's reply and failure) cannot be cloned to another thread is replaced by a string
 * naming it, so such a protocol is a compile error.
 *
 * @since 0.1.0
 * @category protocol
 */
export type Serializable<P extends ReadonlyArray<MessageSchema>> = {
  readonly [K in keyof P]: IsCloneable<Schema.Schema.Encoded<P[K]>> extends true ? Replies<P[K]> extends true ? P[K]
    : `"${P[K]["_tag"]}" cannot cross threads: its reply or failure does not encode to a cloneable value`
    : `"${P[K]["_tag"]}" cannot cross threads: its fields do not encode to a cloneable value`
}

/**
 * A named protocol both threads share: the calling thread spawns actors for it, a worker module
 * hosts a behaviour for it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Protocol<M extends Actor.Message> {
  readonly [TypeId]: { readonly _M: (_: M) => M }
  /** Names the behaviour in its worker module (and the actor in the thread's system). */
  readonly name: string
}

/**
 * Declares a protocol from its message classes. A class that is not a Schema class (a
 * `Data.TaggedClass`), needs a service to encode, or encodes to something that cannot cross
 * threads is a compile error.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WorkerActor } from "@weft/worker"
 *
 * class Add extends Schema.TaggedClass<Add>()("Add", { n: Schema.Number }) {}
 * class Get extends Schema.TaggedRequest<Get>()("Get", { failure: Schema.Never, success: Schema.Number, payload: {} }) {}
 *
 * export const Counter = WorkerActor.protocol("Counter", [Add, Get]) // Protocol<Add | Get>
 * ```
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const protocol = <const P extends ReadonlyArray<MessageSchema>>(
  name: string,
  messages: P & Serializable<P>
): Protocol<Extract<Schema.Schema.Type<P[number]>, Actor.Message>> => protocols.make(name, messages)

/**
 * A behaviour registered for a protocol in a worker module. Build it with {@link host}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Hosted<in M extends Actor.Message> {
  readonly [TypeId]: { readonly _M: (_: M) => void }
}

/**
 * Pairs a protocol with the behaviour that handles it on the thread. The behaviour must speak
 * exactly the protocol and need no services (it runs in the thread's own runtime).
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category running
 */
export const host: <M extends Actor.Message, S>(
  protocol: Protocol<M>,
  behavior: Actor.Behavior<M, S, never>
) => Hosted<M> = hosting.host

/**
 * Serves the hosted behaviours in this worker thread; call it once at the top level of the worker
 * module. The thread ends when the actor that started it has terminated.
 *
 * @example
 * ```ts
 * // counter.worker.ts
 * import { Effect, Schema } from "effect"
 * import { Actor } from "@weft/actor"
 * import { WorkerActor } from "@weft/worker"
 *
 * class Add extends Schema.TaggedClass<Add>()("Add", { n: Schema.Number }) {}
 * class Get extends Schema.TaggedRequest<Get>()("Get", { failure: Schema.Never, success: Schema.Number, payload: {} }) {}
 * const Counter = WorkerActor.protocol("Counter", [Add, Get])
 *
 * const counter = Actor.behavior<Add | Get>()({
 *   initialState: 0,
 *   handlers: {
 *     Add: (message, state) => Effect.succeed(state + message.n),
 *     Get: (_, state) => Effect.succeed(Actor.reply(state, state))
 *   }
 * })
 *
 * WorkerActor.serve(WorkerActor.host(Counter, counter))
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const serve: (...hosted: ReadonlyArray<Hosted<never>>) => void = hosting.serve

/**
 * Where the actor's thread comes from: the worker module and, as for `BlockingPool`, an optional
 * thread factory and the grace period an interrupted job gets before its thread is terminated.
 *
 * @since 0.1.0
 * @category models
 */
export type ThreadOptions = Pick<BlockingPool.Options, "entry" | "spawn" | "cancelGracePeriod">

/**
 * @since 0.1.0
 * @category models
 */
export interface SpawnOptions extends Actor.SpawnOptions, ThreadOptions {}

/**
 * Starts a thread running `options.entry` and an actor for `protocol` on it; returns its
 * `ActorRef`. Mailbox, name and supervision are `Actor.spawn`'s options. The actor starts (its
 * `onStart` runs on the thread) once the thread is up.
 *
 * Cancellation safety: interrupted while the thread starts, nothing is left running; once the
 * actor is spawned, `spawn` completes.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Actor, ActorSystem } from "@weft/actor"
 * import { WorkerActor } from "@weft/worker"
 *
 * class Add extends Schema.TaggedClass<Add>()("Add", { n: Schema.Number }) {}
 * class Get extends Schema.TaggedRequest<Get>()("Get", { failure: Schema.Never, success: Schema.Number, payload: {} }) {}
 * const Counter = WorkerActor.protocol("Counter", [Add, Get])
 *
 * const program = Effect.gen(function*() {
 *   const counter = yield* WorkerActor.spawn(Counter, {
 *     entry: new URL("./counter.worker.js", import.meta.url),
 *     mailbox: { capacity: 256 },
 *     supervision: { strategy: "restart" }
 *   })
 *   yield* Actor.tell(counter, new Add({ n: 2 }))
 *   return yield* Actor.ask(counter, new Get(), { timeout: "1 second" }) // 2, computed on the thread
 * }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const spawn: <M extends Actor.Message>(
  protocol: Protocol<M>,
  options: SpawnOptions
) => Effect.Effect<
  Actor.ActorRef<M>,
  ActorError.SpawnError | WorkerCrashed | InvalidPoolOptions,
  ActorSystem.ActorSystem | Scope.Scope
> = internal.spawn

/**
 * The stand-in behaviour with its thread, for a `Supervision` group (`Supervision.child`) or an
 * `Actor.spawn` of your own. The thread lives as long as the current scope; a behaviour value
 * drives one actor at a time.
 *
 * Cancellation safety: interrupted while the thread starts, the thread is ended with the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const behavior: <M extends Actor.Message>(
  protocol: Protocol<M>,
  options: ThreadOptions
) => Effect.Effect<Actor.Behavior<M, undefined, never>, WorkerCrashed | InvalidPoolOptions, Scope.Scope> =
  internal.behavior
