/**
 * Following the actor system's events — dead letters, lifecycle events — from a `Broadcast`
 * subscription (`ActorSystem.subscribeDeadLetters` / `subscribeLifecycle`): the gateway counts
 * them, the dashboard shows them. The follower waits for events instead of polling, and hands
 * each one to `onEvent` exactly once; if it falls more than the system's `deadLetterBuffer`
 * behind, `onLagged` gets the exact number it lost.
 */
import { Broadcast } from "@weft/channel"
import type { Fiber, Scope } from "effect"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

export interface Handlers<A> {
  /** One event, with the time it was read (epoch milliseconds). */
  readonly onEvent: (event: A, now: number) => void
  /** `skipped` events were dropped before this follower could read them. */
  readonly onLagged: (skipped: number) => void
}

/**
 * Reads everything the subscription holds now, without waiting: the caller knows it is readable.
 * Fails with `ChannelClosed` once the system has shut down and everything was read.
 */
const receiveReady = <A>(subscription: Broadcast.Subscription<A>, handlers: Handlers<A>) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Broadcast.recvUpTo(subscription, Number.POSITIVE_INFINITY).pipe(
      Effect.map((events) => Chunk.forEach(events, (event) => handlers.onEvent(event, now))),
      Effect.catchTag("Lagged", (lag) => Effect.sync(() => handlers.onLagged(lag.skipped)))
    ))

/** What is left in the subscription, read without waiting (at interruption). */
const receiveRest = <A>(subscription: Broadcast.Subscription<A>, handlers: Handlers<A>): Effect.Effect<void> => {
  const loop: Effect.Effect<void, Broadcast.ChannelClosed> = Effect.flatMap(
    Broadcast.poll(subscription),
    (ready) => ready ? Effect.zipRight(receiveReady(subscription, handlers), loop) : Effect.void
  )
  return Effect.catchTag(loop, "ChannelClosed", () => Effect.void)
}

/**
 * Follows `subscription` in a fiber of the current scope until the system shuts down or the scope
 * closes.
 *
 * Cancellation safety: the follower is interruptible only while it waits for events, when it holds
 * none; the events it receives are handed on in the same uninterruptible step, so none is lost
 * between a receive and its handler. When the scope closes, the follower is interrupted, then what
 * is still in the subscription is read (a finalizer of the scope, so even a follower interrupted
 * before it ever ran leaves nothing unread).
 */
export const follow = <A>(
  subscription: Broadcast.Subscription<A>,
  handlers: Handlers<A>
): Effect.Effect<Fiber.RuntimeFiber<void>, never, Scope.Scope> => {
  const step = Effect.uninterruptibleMask((restore) =>
    Effect.zipRight(restore(Broadcast.awaitReadable(subscription)), receiveReady(subscription, handlers))
  )
  // Added before the fiber, so it runs after the fiber was interrupted (last added, first run).
  return Effect.zipRight(
    Effect.addFinalizer(() => receiveRest(subscription, handlers)),
    Effect.forkScoped(Effect.catchTag(Effect.forever(step), "ChannelClosed", () => Effect.void))
  )
}
