/**
 * The actor system as a layer: its runtime (`runtime.ts`) made in a scope of its own, and shut
 * down — every actor drained, then killed — when the layer closes. Also the system-wide streams
 * and the replay of poisoned messages.
 */
import { Duration, Effect, ExecutionStrategy, Layer, PubSub, Scope, Stream } from "effect"
import type * as Actor from "../Actor.js"
import type { TellError } from "../ActorError.js"
import type * as ActorSystemModule from "../ActorSystem.js"
import type { DeadLetter } from "../DeadLetter.js"
import type { LifecycleEvent } from "../Lifecycle.js"
import type * as Reliable from "../Reliable.js"
import { type ActorCell, runtimeOf } from "./cell.js"
import { SystemRuntime, SystemTag } from "./runtime.js"
import { tell } from "./tell.js"
import { stop } from "./termination.js"

/** @internal */
export const layer = (options?: ActorSystemModule.ActorSystem.Options): Layer.Layer<ActorSystemModule.ActorSystem> =>
  Layer.scoped(SystemTag, makeSystem(options))

/** @internal */
export const makeSystem = (options?: ActorSystemModule.ActorSystem.Options): Effect.Effect<
  ActorSystemModule.ActorSystem.Service,
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    // The actors' fibers live in a scope of their own, made first so that it closes last: a
    // fiber forked straight into the layer's scope would be interrupted before the shutdown
    // finalizer below could drain it (a scope runs its finalizers last-added first).
    const actorScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const hub = yield* PubSub.sliding<DeadLetter>(options?.deadLetterBuffer ?? 1024)
    const lifecycle = yield* PubSub.sliding<LifecycleEvent>(options?.deadLetterBuffer ?? 1024)
    const runtime = new SystemRuntime<ActorCell>(
      actorScope,
      hub,
      lifecycle,
      Duration.toMillis(Duration.decode(options?.askTimeout ?? "5 seconds")),
      Duration.decode(options?.stopTimeout ?? "5 seconds"),
      options?.poisonCapacity ?? 1024
    )
    yield* Effect.forkScoped(runtime.timerLoop)
    // Registered last, so it runs first: actors drain before the timer and their fibers go.
    yield* Effect.addFinalizer(() => shutdown(runtime))
    return runtime
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
export const deadLetterStream: Stream.Stream<DeadLetter, never, ActorSystemModule.ActorSystem> = Stream.unwrap(
  Effect.map(SystemTag, (system) => system.deadLetters)
)

/** @internal */
export const lifecycleStream: Stream.Stream<LifecycleEvent, never, ActorSystemModule.ActorSystem> = Stream.unwrap(
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
