/**
 * Typed actors: a fiber with a two-lane mailbox, explicit typed state, `tell` and `ask` with
 * deadlines, stop/drain/kill, death watch and per-actor supervision.
 *
 * A protocol is a union of message classes. Messages that expect a reply are
 * `Schema.TaggedRequest`s (or any `Request.Request<A, E>`), so each carries its reply's success
 * and failure types; tell-only messages are plain `Data.TaggedClass`es. A {@link Behavior}
 * has one handler per tag — a missing handler is a compile error — and handlers receive the
 * state and return the next state.
 *
 * Mailbox: a system lane (stop, kill, watch notifications, supervision signals) that is unbounded,
 * never dropped and always served first, and a bounded user lane (an `@weft/channel` Mpsc) whose
 * full-mailbox strategy is `"suspend"` (default), `"dropping"`, `"sliding"` or `"fail"`. Every
 * message that is dropped, evicted, expired, rejected or left behind by a stopped actor becomes
 * a dead letter with a reason (see `ActorSystem.deadLetters`).
 *
 * Cancellation safety: an interrupted `tell` has either enqueued its message or not; an
 * interrupted `ask` withdraws its request (if the actor has not started it, it never runs and
 * is dead-lettered as `"AskInterrupted"`; if it is running, its reply is discarded).
 *
 * Tracing: inside a trace (the sender has a current span), `ask` gets a span `Actor.ask <tag>`,
 * and the message is handled in a span `Actor.handle <tag>` whose parent is the sender's span (for
 * an ask, the ask's), so a trace follows a request across actors. Outside a trace nothing is
 * added: the message travels bare and its handler runs without a span.
 *
 * @since 0.1.0
 */
import type { Cause, Duration, Effect, Equal, Inspectable, Pipeable, Request, Schedule, Scope } from "effect"
import * as Predicate from "effect/Predicate"
import type { AskError, SpawnError, TellError } from "./ActorError.js"
import type { ActorSystem } from "./ActorSystem.js"
import * as asking from "./internal/ask.js"
import * as behaviors from "./internal/behavior.js"
import * as cells from "./internal/cell.js"
import * as spawning from "./internal/spawn.js"
import * as telling from "./internal/tell.js"
import * as termination from "./internal/termination.js"
import type * as Reliable from "./Reliable.js"
import type { Terminated } from "./Terminated.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = cells.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Anything with a `_tag` can be a message: a `Data.TaggedClass` for tell-only messages, a
 * `Schema.TaggedRequest` for messages with a reply.
 *
 * @since 0.1.0
 * @category protocol
 */
export interface Message {
  readonly _tag: string
}

/**
 * A message that expects a reply: `Schema.TaggedRequest` classes are requests.
 *
 * @since 0.1.0
 * @category protocol
 */
export type AnyRequest = Request.Request<unknown, unknown> & Message

/**
 * @since 0.1.0
 * @category protocol
 */
export type Reply<Msg> = Msg extends Request.Request<infer A, infer _E> ? A : never

/**
 * @since 0.1.0
 * @category protocol
 */
export type ReplyError<Msg> = Msg extends Request.Request<infer _A, infer E> ? E : never

/**
 * A handle to an actor that accepts the messages `M`. It is contravariant: a ref to an actor
 * speaking `A | B` can be used where a ref accepting only `A` is expected, never the reverse.
 * Two refs are `Equal` when they point at the same actor.
 *
 * @since 0.1.0
 * @category models
 */
export interface ActorRef<in M> extends Equal.Equal, Pipeable.Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: { readonly _M: (_: M) => void }
  /** Unique within the process. */
  readonly id: number
  readonly name: string
}

/**
 * @since 0.1.0
 * @category type ids
 */
export const RepliedTypeId: unique symbol = behaviors.RepliedTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type RepliedTypeId = typeof RepliedTypeId

/**
 * What a request handler returns: the reply and the next state. Build it with {@link reply}.
 *
 * @since 0.1.0
 * @category protocol
 */
export interface Replied<out A, out S> {
  readonly [RepliedTypeId]: RepliedTypeId
  readonly reply: A
  readonly state: S
}

/**
 * Whether `u` is a request handler's result built with `reply`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isReplied = (u: unknown): u is Replied<unknown, unknown> => Predicate.hasProperty(u, RepliedTypeId)

/**
 * Pairs a reply with the next state, for request handlers.
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category protocol
 */
export const reply: <A, S>(value: A, state: S) => Replied<A, S> = behaviors.reply

/**
 * What a handler can see besides the message and the state.
 *
 * @since 0.1.0
 * @category models
 */
export interface HandlerContext<M> {
  readonly self: ActorRef<M>
}

/**
 * The handler for one message type. A reliable message's handler (see `Reliable`) returns a
 * `Reliable.Settled` — ack, nack or defer — so it cannot finish without settling. A request's
 * handler returns {@link Replied} and may fail
 * with the request's typed failure (which goes to the asker; the state is unchanged). A
 * tell-only handler returns the next state and cannot fail: a defect is a crash, handled by
 * the actor's supervision strategy.
 *
 * @since 0.1.0
 * @category protocol
 */
export type Handler<Msg, M, S, R> = Msg extends Reliable.Reliable
  ? (message: Msg, state: S, context: ReliableContext<M>) => Effect.Effect<Reliable.Settled<S>, never, R>
  : Msg extends Request.Request<infer A, infer E>
    ? (message: Msg, state: S, context: HandlerContext<M>) => Effect.Effect<Replied<A, S>, E, R>
  : (message: Msg, state: S, context: HandlerContext<M>) => Effect.Effect<S, never, R>

/**
 * What a reliable message's handler sees: which delivery this is.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReliableContext<M> extends HandlerContext<M> {
  readonly delivery: Reliable.Delivery
}

/**
 * One handler per tag of the protocol `M`. Omitting a tag is a compile error.
 *
 * @since 0.1.0
 * @category protocol
 */
export type Handlers<M extends Message, S, R> = {
  readonly [K in M["_tag"]]: Handler<Extract<M, { readonly _tag: K }>, M, S, R>
}

/**
 * What a handler map may not have: a handler for a tag outside the protocol `M`. Each such key
 * must have a type no handler has, and its name says why.
 *
 * @since 0.1.0
 * @category protocol
 */
export type NoExtraHandlers<H, M extends Message> = {
  readonly [K in Exclude<keyof H, M["_tag"]>]: `"${K & string}" is not a tag of the protocol`
}

/**
 * A message `tell` accepts: any message of `M`, except a request (use `ask`). If `Msg` is a
 * request, the parameter's type names the mistake instead.
 *
 * @since 0.1.0
 * @category protocol
 */
export type Tellable<Msg> = Msg extends Request.Request<infer _A, infer _E>
  ? "tell takes a message without a reply: a Schema.TaggedRequest needs ask"
  : Msg

/**
 * A message `ask` accepts: a request. If `Msg` is tell-only, the parameter's type names the
 * mistake instead.
 *
 * @since 0.1.0
 * @category protocol
 */
export type Askable<Msg> = Msg extends Request.Request<infer _A, infer _E> ? Msg
  : "ask needs a Schema.TaggedRequest (a message with a reply): use tell"

/**
 * The requirements of a handler map: the union of every handler's `R`.
 *
 * @since 0.1.0
 * @category protocol
 */
export type HandlersContext<H> = {
  [K in keyof H]: H[K] extends (...args: never) => infer Result
    ? [Result] extends [never] ? never : Result extends Effect.Effect<unknown, unknown, infer R> ? R : never
    : never
}[keyof H]

/**
 * @since 0.1.0
 * @category type ids
 */
export const BehaviorTypeId: unique symbol = behaviors.BehaviorTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type BehaviorTypeId = typeof BehaviorTypeId

/**
 * A behaviour: the protocol `M`, the state `S`, and the requirements `R` of its handlers and
 * hooks. Build one with {@link behavior}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Behavior<M extends Message, S, R> {
  readonly [BehaviorTypeId]: { readonly _M: (_: M) => void; readonly _R: () => R }
  readonly initialState: S
  readonly handlers: Handlers<M, S, R>
  readonly onStart: ((state: S, context: HandlerContext<M>) => Effect.Effect<S, never, R | Scope.Scope>) | undefined
  readonly onStop: ((state: S, context: HandlerContext<M>) => Effect.Effect<void, never, R>) | undefined
  readonly onRestart:
    | ((cause: Cause.Cause<unknown>, state: S, context: HandlerContext<M>) => Effect.Effect<void, never, R>)
    | undefined
  readonly onTerminated:
    | ((terminated: Terminated, state: S, context: HandlerContext<M>) => Effect.Effect<S, never, R>)
    | undefined
}

/**
 * Whether `u` is a behaviour built with `behavior`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isBehavior = (u: unknown): u is Behavior<never, unknown, unknown> =>
  Predicate.hasProperty(u, BehaviorTypeId)

/**
 * @since 0.1.0
 */
export declare namespace Behavior {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Spec<M extends Message, S, H, R1, R2, R3, R4> {
    readonly initialState: S
    readonly handlers: H
    /**
     * Runs when the actor starts and after every restart, with the incarnation's `Scope`:
     * resources acquired here are released when the actor stops or restarts.
     */
    readonly onStart?: (state: S, context: HandlerContext<M>) => Effect.Effect<S, never, R1>
    /** Runs when the actor stops gracefully (stop, drain; not on kill or failure), before its scope closes. */
    readonly onStop?: (state: S, context: HandlerContext<M>) => Effect.Effect<void, never, R2>
    /** Runs after a crash, once the old incarnation's scope has closed, before the new one starts. */
    readonly onRestart?: (cause: Cause.Cause<unknown>, state: S, context: HandlerContext<M>) => Effect.Effect<
      void,
      never,
      R3
    >
    /** Receives `Terminated` for every actor this one watches. Without it, notifications are ignored. */
    readonly onTerminated?: (terminated: Terminated, state: S, context: HandlerContext<M>) => Effect.Effect<
      S,
      never,
      R4
    >
  }
}

/**
 * Defines a behaviour for the protocol `M`. The handler map must cover every tag of `M` and no
 * other (a handler for a tag outside `M` is a compile error), and each handler's requirements
 * become the behaviour's (and so `spawn`'s) requirements.
 *
 * @example
 * ```ts
 * import { Data, Effect, Schema } from "effect"
 * import { Actor } from "@weft/actor"
 *
 * class Add extends Data.TaggedClass("Add")<{ readonly n: number }> {}
 * class Get extends Schema.TaggedRequest<Get>()("Get", {
 *   failure: Schema.Never,
 *   success: Schema.Number,
 *   payload: {}
 * }) {}
 *
 * const counter = Actor.behavior<Add | Get>()({
 *   initialState: 0,
 *   handlers: {
 *     Add: (message, state) => Effect.succeed(state + message.n),
 *     Get: (_, state) => Effect.succeed(Actor.reply(state, state))
 *   }
 * })
 * ```
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const behavior: <M extends Message>() => <
  S,
  H extends Handlers<M, NoInfer<S>, unknown>,
  R1 = never,
  R2 = never,
  R3 = never,
  R4 = never
>(
  spec: Behavior.Spec<M, S, H, R1, R2, R3, R4> & { readonly handlers: NoExtraHandlers<H, M> }
) => Behavior<M, S, HandlersContext<H> | R1 | R2 | R3 | R4> = behaviors.behavior

/**
 * What the user lane does when it is full: `"suspend"` backpressures the sender (default),
 * `"dropping"` drops the new message, `"sliding"` evicts the oldest queued message, `"fail"`
 * fails the sender with `MailboxFull`. Every dropped or evicted message is dead-lettered.
 *
 * @since 0.1.0
 * @category models
 */
export type MailboxStrategy = "suspend" | "dropping" | "sliding" | "fail"

/**
 * What happens when a handler crashes (a defect or self-interruption; a request's typed
 * failure is a reply, not a crash). The crashing message is dead-lettered as `"Crashed"` and
 * its asker, if any, fails with `HandlerCrashed`; then:
 * - `"restart"`: after the schedule's delay, close the incarnation's scope, run `onRestart`,
 *   start again from `initialState` (and `onStart`). Queued messages stay queued. When the
 *   schedule is exhausted, the failure escalates.
 * - `"resume"`: keep the state and go on with the next message.
 * - `"stop"`: terminate with `Failed(cause)`.
 * - `"escalate"`: terminate with `Failed(cause)` and crash the parent (the actor that spawned
 *   this one), whose own strategy then applies. Without a parent it is the same as `"stop"`.
 *
 * @since 0.1.0
 * @category models
 */
export type SupervisionStrategy = "restart" | "resume" | "stop" | "escalate"

/**
 * @since 0.1.0
 * @category models
 */
export interface SpawnOptions {
  /**
   * Redelivery of reliable messages that were nacked or crashed: the schedule's delays between
   * attempts, and its end is the poison cap. Default: exponential from 100 ms, at most 5
   * redeliveries.
   */
  readonly redelivery?: Schedule.Schedule<unknown, unknown> | undefined
  /** Registers the actor under this name in the `ActorSystem` (unique among live actors). */
  readonly name?: string | undefined
  readonly mailbox?: {
    /** User-lane capacity, a positive integer. Default 1024. */
    readonly capacity?: number | undefined
    readonly strategy?: MailboxStrategy | undefined
  } | undefined
  readonly supervision?: {
    /** Default `"restart"`. */
    readonly strategy?: SupervisionStrategy | undefined
    /**
     * Delays between restarts, and their limit: when the schedule ends, the failure escalates.
     * Default: exponential from 10 ms, at most 5 restarts. Use `Schedule.resetAfter` for "at
     * most N restarts within a window".
     */
    readonly restarts?: Schedule.Schedule<unknown, Cause.Cause<unknown>> | undefined
  } | undefined
}

/**
 * Starts an actor in the current `ActorSystem`. The actor lives until it stops, crashes for
 * good, the system shuts down, or the `Scope` closes (which stops it gracefully, then kills it
 * after the system's stop timeout). Handler requirements are captured here, so a missing
 * service is a compile error at the call site. Inside a handler, the `Scope` is the parent's
 * incarnation, so children stop when their parent stops or restarts.
 *
 * Cancellation safety: interrupting `spawn` before it returns leaves no actor running.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { Actor, ActorSystem } from "@weft/actor"
 *
 * class Ping extends Data.TaggedClass("Ping")<{}> {}
 *
 * const program = Effect.gen(function* () {
 *   const ref = yield* Actor.spawn(
 *     Actor.behavior<Ping>()({ initialState: 0, handlers: { Ping: (_, n) => Effect.succeed(n + 1) } }),
 *     { name: "pinger", mailbox: { capacity: 64, strategy: "dropping" } }
 *   )
 *   yield* Actor.tell(ref, new Ping())
 * }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const spawn: <M extends Message, S, R>(
  behavior: Behavior<M, S, R>,
  options?: SpawnOptions
) => Effect.Effect<ActorRef<M>, SpawnError, Exclude<R, Scope.Scope> | ActorSystem | Scope.Scope> = spawning.spawn

/**
 * Sends a message without waiting for it to be processed. With the `"suspend"` strategy it
 * waits while the mailbox is full. To an actor that has terminated, the message is
 * dead-lettered (`"ActorStopped"`) and `tell` succeeds; to a stopping actor it fails with
 * `ActorStopping`. A request (`Schema.TaggedRequest`) cannot be told — its reply would have
 * nowhere to go — so telling one is a compile error: use {@link ask}.
 *
 * Cancellation safety: if interrupted while waiting for room, the message was either enqueued
 * or not — never both, never twice.
 *
 * @since 0.1.0
 * @category messaging
 */
export const tell: {
  <Msg extends Message>(message: Msg & Tellable<Msg>): (self: ActorRef<Msg>) => Effect.Effect<void, TellError>
  <Msg extends Message>(self: ActorRef<Msg>, message: Msg & Tellable<Msg>): Effect.Effect<void, TellError>
} = telling.tell

/**
 * Tells every message, in order, as one effect: the batch form of {@link tell}. Messages go into
 * the mailbox in one fiber step for as long as there is room; only a full `"suspend"` mailbox
 * waits, then the rest follow. Each message is decided exactly as `tell` would decide it: one
 * that is turned away (`"fail"` mailbox full, a stopping actor) becomes a dead letter with its
 * reason, and the rest are still offered; once every message is decided, `tellAll` fails with
 * the first error, if any. To an actor that has terminated, every message is dead-lettered and
 * `tellAll` succeeds.
 *
 * Use it where messages arrive in batches (a decoded chunk, a page of results): it costs one
 * effect per batch instead of one per message.
 *
 * Cancellation safety: if interrupted while waiting for room, the messages before the one that
 * waited are in the mailbox, in order; that one and the rest were not sent (nor dead-lettered) —
 * never a message twice.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { Actor, ActorSystem } from "@weft/actor"
 *
 * class Add extends Data.TaggedClass("Add")<{ readonly n: number }> {}
 *
 * const program = Effect.gen(function* () {
 *   const counter = yield* Actor.spawn(
 *     Actor.behavior<Add>()({ initialState: 0, handlers: { Add: (add, sum) => Effect.succeed(sum + add.n) } })
 *   )
 *   yield* Actor.tellAll(counter, [1, 2, 3].map((n) => new Add({ n })))
 * }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))
 * ```
 *
 * @since 0.1.0
 * @category messaging
 */
export const tellAll: {
  <Msg extends Message>(
    messages: Iterable<Msg & Tellable<Msg>>
  ): (self: ActorRef<Msg>) => Effect.Effect<void, TellError>
  <Msg extends Message>(self: ActorRef<Msg>, messages: Iterable<Msg & Tellable<Msg>>): Effect.Effect<void, TellError>
} = telling.tellAll

/**
 * @since 0.1.0
 * @category models
 */
export interface AskOptions {
  /** How long the caller waits; the message is skipped if it has not started by then. Default: the system's. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Sends a request and waits for its reply, at most until the deadline. The deadline travels
 * with the message: if it passes before the actor reaches the message, the message is skipped
 * and dead-lettered (`"Expired"`), and the caller fails with `AskTimeout`. A reply that arrives
 * after the deadline is dropped and counted (`ActorSystem.lateReplies`). Deadlines are served
 * by one timer fiber per system, not a fiber per ask.
 *
 * Asking yourself, or an actor that is (transitively) waiting on an ask to you, fails at once
 * with `AskCycle`. An ask from a fiber a handler forked (`Effect.timeout`, `Effect.all` with
 * concurrency) counts as the actor's while that handler runs. Only requests can be asked:
 * asking a tell-only message is a compile error whose parameter type says so.
 *
 * Cancellation safety: interrupting the ask withdraws the request: if the actor has not
 * started it, it never runs (dead letter `"AskInterrupted"`); if it is running, its reply is
 * discarded.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Actor } from "@weft/actor"
 *
 * class Get extends Schema.TaggedRequest<Get>()("Get", {
 *   failure: Schema.Never,
 *   success: Schema.Number,
 *   payload: {}
 * }) {}
 *
 * declare const ref: Actor.ActorRef<Get>
 * const value = Actor.ask(ref, new Get(), { timeout: "100 millis" }) // Effect<number, AskError>
 * ```
 *
 * @since 0.1.0
 * @category messaging
 */
export const ask: {
  <Msg extends Message>(
    message: Msg & Askable<Msg>,
    options?: AskOptions
  ): (self: ActorRef<Msg>) => Effect.Effect<Reply<Msg>, ReplyError<Msg> | AskError>
  <Msg extends Message>(
    self: ActorRef<Msg>,
    message: Msg & Askable<Msg>,
    options?: AskOptions
  ): Effect.Effect<Reply<Msg>, ReplyError<Msg> | AskError>
} = asking.ask

/**
 * @since 0.1.0
 * @category models
 */
export interface StopOptions {
  /**
   * - `"stop"` (default): finish the current message, then stop; queued messages are
   *   dead-lettered (`"ActorStopped"`).
   * - `"drain"`: reject new messages with `ActorStopping`, process everything queued, then stop.
   * - `"kill"`: sent on the system lane, ahead of every queued message (dead-lettered
   *   `"ActorStopped"`). An idle actor ends on it; a running handler is interrupted at once and
   *   its message dead-lettered `"Killed"` (its asker fails with `ActorStopped`).
   */
  readonly mode?: "stop" | "drain" | "kill" | undefined
  /**
   * How long a graceful stop may take before the actor is killed (for `"kill"`: how long an idle
   * actor may take to act on it before it is interrupted). Default: the system's `stopTimeout`.
   */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Stops an actor and returns once it is gone, with how it ended. A graceful mode that overruns
 * its timeout turns into a kill. Stopping an actor that has already terminated returns its
 * original `Terminated` at once.
 *
 * A `"permanent"` child of a `Supervision` group is restarted by its group after a graceful stop
 * (see `Supervision.RestartType`): `stop` then returns `Stopped` once the stopped incarnation has
 * ended, and the actor goes on behind the same ref. `Supervision.stopChild` stops it for good.
 *
 * Cancellation safety: interrupting the caller does not cancel the stop: the actor is already
 * rejecting messages and will terminate; only the wait is abandoned.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const stop: {
  (options?: StopOptions): (self: ActorRef<never>) => Effect.Effect<Terminated>
  (self: ActorRef<never>, options?: StopOptions): Effect.Effect<Terminated>
} = termination.stop

/**
 * Waits until the actor terminates.
 *
 * Cancellation safety: interrupting the wait has no effect on the actor.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const awaitTermination: (self: ActorRef<never>) => Effect.Effect<Terminated> = termination.awaitTermination

/**
 * Death watch: when `target` terminates, `watcher` receives `Terminated { actor, reason }` on
 * its system lane (handled by the behaviour's `onTerminated`). Watching an actor that has
 * already terminated delivers the notification at once.
 *
 * Cancellation safety: the registration is a single synchronous step; it happened or not.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const watch: {
  (target: ActorRef<never>): (watcher: ActorRef<never>) => Effect.Effect<void>
  (watcher: ActorRef<never>, target: ActorRef<never>): Effect.Effect<void>
} = termination.watch

/**
 * Cancels a {@link watch}. A notification already delivered stays delivered.
 *
 * Cancellation safety: a single synchronous step.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const unwatch: {
  (target: ActorRef<never>): (watcher: ActorRef<never>) => Effect.Effect<void>
  (watcher: ActorRef<never>, target: ActorRef<never>): Effect.Effect<void>
} = termination.unwatch

/**
 * The number of user messages queued for the actor.
 *
 * Cancellation safety: a synchronous read.
 *
 * @since 0.1.0
 * @category getters
 */
export const mailboxSize: (self: ActorRef<never>) => Effect.Effect<number> = cells.mailboxSize

/**
 * @since 0.1.0
 * @category guards
 */
export const isActorRef: (u: unknown) => u is ActorRef<never> = cells.isActorRef
