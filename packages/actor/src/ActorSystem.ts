/**
 * The actor system: the registry of live actors, the dead-letter and lifecycle channels, the
 * dead-letter counter, the single timer that serves every ask deadline and pending redelivery, and shutdown. Provide it with
 * {@link ActorSystem.layer}; closing the layer stops every actor (drain with a timeout, then
 * kill).
 *
 * @since 0.1.0
 */
import type { Broadcast } from "@weft/channel"
import type { Duration, Either, Layer, Option, Scope, Stream } from "effect"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type { ActorRef } from "./Actor.js"
import type { InvalidSystemOptions, TellError } from "./ActorError.js"
import type { DeadLetter } from "./DeadLetter.js"
import * as internal from "./internal/system.js"
import type { LifecycleEvent } from "./Lifecycle.js"
import type { Poisoned } from "./Reliable.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class ActorSystem extends Context.Tag("@weft/actor/ActorSystem")<ActorSystem, ActorSystem.Service>() {
  /**
   * A scoped actor system. Closing it drains every live actor (each for at most
   * `stopTimeout`), kills the ones that overrun, then stops the deadline timer.
   *
   * @since 0.1.0
   */
  static readonly layer = internal.layer as {
    (): Layer.Layer<ActorSystem>
    (options?: ActorSystem.Options): Layer.Layer<ActorSystem, InvalidSystemOptions>
  }
}

/**
 * @since 0.1.0
 */
export declare namespace ActorSystem {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** The deadline of an `ask` that does not give one. Default 5 seconds. */
    readonly askTimeout?: Duration.DurationInput | undefined
    /** How long a graceful stop (scope close, shutdown) may take before a kill. Default 5 seconds. */
    readonly stopTimeout?: Duration.DurationInput | undefined
    /**
     * How many dead letters (and lifecycle events) a subscriber may fall behind before it loses the
     * oldest; it is then told how many it lost (`Lagged`), and the dead-letter counter stays
     * exact. Publishing never waits for a subscriber. Default 1024.
     */
    readonly deadLetterBuffer?: number | undefined
    /**
     * How many poisoned reliable messages `poisoned` keeps; beyond it the oldest is
     * dead-lettered (`"Evicted"`). Default 1024.
     */
    readonly poisonCapacity?: number | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The live actor registered under `name`. */
    readonly lookup: (name: string) => Effect.Effect<Option.Option<ActorRef<never>>>
    /** Every live actor. */
    readonly actors: Effect.Effect<ReadonlyArray<ActorRef<never>>>
    /** Dead letters published from the moment the stream is run; a lag as `Either.left(Lagged)`. */
    readonly deadLetters: Stream.Stream<Either.Either<DeadLetter, Broadcast.Lagged>>
    /** A subscription that starts receiving dead letters at once (use it to not miss early ones). */
    readonly subscribeDeadLetters: Effect.Effect<Broadcast.Subscription<DeadLetter>, never, Scope.Scope>
    /**
     * Lifecycle events (start, restart, termination, a plugin leaving a dispatcher) published
     * from the moment the stream is run; a lag as `Either.left(Lagged)`.
     */
    readonly lifecycle: Stream.Stream<Either.Either<LifecycleEvent, Broadcast.Lagged>>
    /** A subscription to lifecycle events that starts at once. */
    readonly subscribeLifecycle: Effect.Effect<Broadcast.Subscription<LifecycleEvent>, never, Scope.Scope>
    /** Reliable messages that exhausted their redeliveries, oldest first. */
    readonly poisoned: Effect.Effect<ReadonlyArray<Poisoned>>
    /** Dead letters since the system started. */
    readonly deadLetterCount: Effect.Effect<number>
    /** Replies that arrived after their ask had timed out or was interrupted, and were dropped. */
    readonly lateReplies: Effect.Effect<number>
  }
}

/**
 * A scoped actor system (the same as `ActorSystem.ActorSystem.layer`). Closing it drains every
 * live actor (each for at most `stopTimeout`), kills the ones that overrun, then stops the
 * deadline timer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ActorSystem } from "@weft/actor"
 *
 * const program = Effect.gen(function* () {
 *   const count = yield* ActorSystem.deadLetterCount
 * }).pipe(Effect.provide(ActorSystem.layer({ askTimeout: "1 second" })))
 * ```
 *
 * Fails with `InvalidSystemOptions` (and starts nothing) for an `askTimeout` that is not a
 * duration longer than 0, a `stopTimeout` that is not a duration, a `deadLetterBuffer` that is not
 * a positive integer, or a `poisonCapacity` that is not an integer of 0 or more. Without options it
 * cannot fail.
 *
 * Cancellation safety: an interrupted build closes its scope and leaves nothing running; closing
 * the layer drains, then kills, every actor.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = ActorSystem.layer

/**
 * Looks up a live actor by the name it was spawned with.
 *
 * Cancellation safety: a synchronous read.
 *
 * @since 0.1.0
 * @category registry
 */
export const lookup = (name: string): Effect.Effect<Option.Option<ActorRef<never>>, never, ActorSystem> =>
  Effect.flatMap(ActorSystem, (system) => system.lookup(name))

/**
 * Dead letters, as they happen: `Broadcast.toStream` over a subscription made when the stream is
 * run. A consumer more than `deadLetterBuffer` dead letters behind gets one
 * `Either.left(Lagged { skipped })` with the exact number it lost, then goes on with the oldest
 * one still retained. The stream ends when the system has shut down.
 *
 * Cancellation safety: an interrupted pull has taken nothing; interrupting the stream ends its
 * subscription. A pulled chunk belongs to the stream (see `Broadcast.toStream`).
 *
 * @since 0.1.0
 * @category dead letters
 */
export const deadLetters: Stream.Stream<Either.Either<DeadLetter, Broadcast.Lagged>, never, ActorSystem> =
  internal.deadLetterStream

/**
 * Subscribes to dead letters now: a `Broadcast` subscription that receives every later dead
 * letter until the scope closes. Read it with `Broadcast.recv`, `recvUpTo` or `toStream`. A
 * subscriber more than `deadLetterBuffer` dead letters behind loses the oldest, and its next
 * receive fails once with `Lagged { skipped }` — the exact count — before the oldest one still
 * retained; receives fail with `ChannelClosed` once the system has shut down and everything was
 * read.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ActorSystem } from "@weft/actor"
 * import { Broadcast } from "@weft/channel"
 *
 * const firstDeadLetter = Effect.gen(function*() {
 *   const letters = yield* ActorSystem.subscribeDeadLetters
 *   return yield* Broadcast.recv(letters)
 * }).pipe(Effect.scoped)
 * ```
 *
 * Cancellation safety: subscribing is one synchronous step, and the subscription ends with the
 * scope. An interrupted `recv`/`recvUpTo` on it has consumed nothing, so a subscriber interrupted
 * between receives loses no dead letter.
 *
 * @since 0.1.0
 * @category dead letters
 */
export const subscribeDeadLetters: Effect.Effect<
  Broadcast.Subscription<DeadLetter>,
  never,
  ActorSystem | Scope.Scope
> = Effect.flatMap(ActorSystem, (system) => system.subscribeDeadLetters)

/**
 * Lifecycle events — every start, restart and termination, and every plugin leaving a dispatcher —
 * as they happen, for dashboards. A lag is one `Either.left(Lagged { skipped })`, as for
 * {@link deadLetters}; the stream ends when the system has shut down.
 *
 * Cancellation safety: an interrupted pull has taken nothing; interrupting the stream ends its
 * subscription.
 *
 * @since 0.1.0
 * @category observability
 */
export const lifecycle: Stream.Stream<Either.Either<LifecycleEvent, Broadcast.Lagged>, never, ActorSystem> =
  internal.lifecycleStream

/**
 * Subscribes to lifecycle events now: a `Broadcast` subscription that receives every later event
 * until the scope closes, with the same lag reporting (`Lagged { skipped }`) and end
 * (`ChannelClosed`) as {@link subscribeDeadLetters}.
 *
 * Cancellation safety: subscribing is one synchronous step, and the subscription ends with the
 * scope; an interrupted receive on it has consumed nothing.
 *
 * @since 0.1.0
 * @category observability
 */
export const subscribeLifecycle: Effect.Effect<
  Broadcast.Subscription<LifecycleEvent>,
  never,
  ActorSystem | Scope.Scope
> = Effect.flatMap(ActorSystem, (system) => system.subscribeLifecycle)

/**
 * The poison queue: reliable messages that exhausted their redeliveries, oldest first.
 *
 * Cancellation safety: a synchronous read.
 *
 * @since 0.1.0
 * @category reliable delivery
 */
export const poisoned: Effect.Effect<ReadonlyArray<Poisoned>, never, ActorSystem> = Effect.flatMap(
  ActorSystem,
  (system) => system.poisoned
)

/**
 * Takes a message out of the poison queue and tells it to its actor again as a fresh delivery
 * (new id, attempt 1). Replaying a message no longer in the queue does nothing.
 *
 * Cancellation safety: the message leaves the queue and is told in one step when the tell does
 * not wait; if it waits (a full `"suspend"` mailbox) and is interrupted, it was enqueued or not,
 * and in the latter case it is put back in the queue.
 *
 * @since 0.1.0
 * @category reliable delivery
 */
export const replay = (poisoned: Poisoned): Effect.Effect<void, TellError, ActorSystem> =>
  Effect.flatMap(ActorSystem, (system) => internal.replay(system, poisoned))

/**
 * The number of dead letters since the system started.
 *
 * Cancellation safety: a synchronous read.
 *
 * @since 0.1.0
 * @category dead letters
 */
export const deadLetterCount: Effect.Effect<number, never, ActorSystem> = Effect.flatMap(
  ActorSystem,
  (system) => system.deadLetterCount
)

/**
 * The number of replies that came after their ask had timed out or been interrupted.
 *
 * Cancellation safety: a synchronous read.
 *
 * @since 0.1.0
 * @category observability
 */
export const lateReplies: Effect.Effect<number, never, ActorSystem> = Effect.flatMap(
  ActorSystem,
  (system) => system.lateReplies
)

/**
 * Drains every live actor, each for at most `timeout` (default: the system's `stopTimeout`),
 * killing those that overrun; returns when all are gone. The layer does this when it closes.
 *
 * Cancellation safety: the actors are already stopping when the wait is interrupted; they
 * still terminate, only the wait is abandoned.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const shutdown = (
  options?: { readonly timeout?: Duration.DurationInput | undefined }
): Effect.Effect<void, never, ActorSystem> =>
  Effect.flatMap(ActorSystem, (system) => internal.shutdown(system, options))
