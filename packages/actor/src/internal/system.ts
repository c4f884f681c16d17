/**
 * The actor system as a layer: its runtime (`runtime.ts`) made in a scope of its own, and shut
 * down — every actor drained, then killed — when the layer closes. Also the system-wide streams
 * and the replay of poisoned messages.
 */
import { Broadcast } from "@weft/channel"
import type { Either } from "effect"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Actor from "../Actor.js"
import { InvalidSystemOptions, type TellError } from "../ActorError.js"
import type * as ActorSystemModule from "../ActorSystem.js"
import type { DeadLetter } from "../DeadLetter.js"
import type { LifecycleEvent } from "../Lifecycle.js"
import type * as Reliable from "../Reliable.js"
import { type ActorCell, runtimeOf } from "./cell.js"
import { SystemRuntime, SystemTag } from "./runtime.js"
import { tell } from "./tell.js"
import { stop } from "./termination.js"

interface Settings {
  readonly askTimeout: Duration.Duration
  readonly stopTimeout: Duration.Duration
  readonly deadLetterBuffer: number
  readonly poisonCapacity: number
}

const invalid = (option: InvalidSystemOptions["option"], value: unknown, expected: string) =>
  Effect.fail(new InvalidSystemOptions({ option, value: String(value), expected }))

/** The options with their defaults, or the first one that is not acceptable. */
const settingsOf = (options?: ActorSystemModule.ActorSystem.Options): Effect.Effect<Settings, InvalidSystemOptions> => {
  const askTimeout = Duration.decodeUnknown(options?.askTimeout ?? "5 seconds")
  if (Option.isNone(askTimeout) || Duration.toMillis(askTimeout.value) <= 0) {
    return invalid("askTimeout", options?.askTimeout, "a duration longer than 0")
  }
  const stopTimeout = Duration.decodeUnknown(options?.stopTimeout ?? "5 seconds")
  if (Option.isNone(stopTimeout)) return invalid("stopTimeout", options?.stopTimeout, "a duration")
  const deadLetterBuffer = options?.deadLetterBuffer ?? 1024
  if (!Number.isSafeInteger(deadLetterBuffer) || deadLetterBuffer < 1) {
    return invalid("deadLetterBuffer", deadLetterBuffer, "a positive integer")
  }
  const poisonCapacity = options?.poisonCapacity ?? 1024
  if (!Number.isSafeInteger(poisonCapacity) || poisonCapacity < 0) {
    return invalid("poisonCapacity", poisonCapacity, "an integer of 0 or more")
  }
  return Effect.succeed({
    askTimeout: askTimeout.value,
    stopTimeout: stopTimeout.value,
    deadLetterBuffer,
    poisonCapacity
  })
}

/** @internal */
export const layer = (
  options?: ActorSystemModule.ActorSystem.Options
): Layer.Layer<ActorSystemModule.ActorSystem, InvalidSystemOptions> =>
  Layer.scoped(SystemTag, Effect.flatMap(settingsOf(options), makeSystem))

const makeSystem = (settings: Settings): Effect.Effect<
  ActorSystemModule.ActorSystem.Service,
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    // The actors' fibers live in a scope of their own, made first so that it closes last: a
    // fiber forked straight into the layer's scope would be interrupted before the shutdown
    // finalizer below could drain it (a scope runs its finalizers last-added first).
    const actorScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const hub = yield* eventHub<DeadLetter>(settings.deadLetterBuffer)
    const lifecycle = yield* eventHub<LifecycleEvent>(settings.deadLetterBuffer)
    // Closed once the last actor fiber is gone (the first finalizer of the actor scope runs last),
    // so subscribers see every event, then the end.
    yield* Scope.addFinalizer(actorScope, Effect.zipRight(Broadcast.close(hub), Broadcast.close(lifecycle)))
    const runtime = new SystemRuntime<ActorCell>(
      actorScope,
      hub,
      lifecycle,
      Duration.toMillis(settings.askTimeout),
      settings.stopTimeout,
      settings.poisonCapacity
    )
    yield* Effect.forkScoped(runtime.timerLoop)
    // Registered last, so it runs first: actors drain before the timer and their fibers go.
    yield* Effect.addFinalizer(() => shutdown(runtime))
    return runtime
  })

/**
 * The channel dead letters (or lifecycle events) are published on. Publishing never waits: a
 * subscriber more than `capacity` events behind loses the oldest and is told how many (`Lagged`).
 */
const eventHub = <A>(capacity: number): Effect.Effect<Broadcast.Sender<A>> =>
  Effect.gen(function*() {
    const [sender, first] = yield* Effect.orDie(Broadcast.make<A>({ capacity, lag: "dropOldest" }))
    // Only subscriptions made by `subscribe*` or a running stream hold events back.
    yield* Broadcast.unsubscribe(first)
    return sender
  })

/** @internal */
export const shutdown = (
  service: ActorSystemModule.ActorSystem.Service,
  options?: { readonly timeout?: Duration.DurationInput | undefined }
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const runtime = runtimeOf(service)
    const timeout = options?.timeout ?? runtime.stopTimeout
    // A group's children are stopped by their group, in reverse start order.
    return Effect.forEach(
      Array.from(runtime.cells).filter((cell) => cell.group === undefined),
      (cell) => stop(cell.ref, { mode: "drain", timeout }),
      { concurrency: "unbounded", discard: true }
    )
  })

/** @internal */
export const deadLetterStream: Stream.Stream<
  Either.Either<DeadLetter, Broadcast.Lagged>,
  never,
  ActorSystemModule.ActorSystem
> = Stream.unwrap(
  Effect.map(SystemTag, (system) => system.deadLetters)
)

/** @internal */
export const lifecycleStream: Stream.Stream<
  Either.Either<LifecycleEvent, Broadcast.Lagged>,
  never,
  ActorSystemModule.ActorSystem
> = Stream.unwrap(
  Effect.map(SystemTag, (system) => system.lifecycle)
)

/** @internal */
export const replay = (
  service: ActorSystemModule.ActorSystem.Service,
  poisoned: Reliable.Poisoned
): Effect.Effect<void, TellError> =>
  Effect.suspend(() => {
    const queue = runtimeOf(service).poisonedQueue
    const index = queue.indexOf(poisoned)
    if (index < 0) return Effect.void
    queue.splice(index, 1)
    return Effect.onInterrupt(
      tell(poisoned.actor as Actor.ActorRef<Actor.Message>, poisoned.message as Actor.Message),
      () => Effect.sync(() => queue.unshift(poisoned))
    )
  })
