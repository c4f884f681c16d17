/**
 * Building blocks for code that routes messages to actors from outside them — a dispatcher, a
 * load balancer, a bridge from another transport. `@weft/dispatch` is built on this module alone.
 *
 * A router forwards whatever its targets' protocol holds, requests included (a request that is
 * routed, not asked, has nobody to reply to: its typed failure becomes a `"RequestFailed"` dead
 * letter). The `unsafe` functions act synchronously when called, not when an effect runs: call
 * them inside a step of your own (`Effect.sync`, `Effect.suspend`).
 *
 * @since 0.1.0
 */
import type { Effect, MetricLabel } from "effect"
import type { ActorRef, Message } from "./Actor.js"
import type { TellError } from "./ActorError.js"
import type { ActorSystem } from "./ActorSystem.js"
import type { Reason } from "./DeadLetter.js"
import * as internal from "./internal/router.js"
import * as telling from "./internal/tell.js"
import * as termination from "./internal/termination.js"
import type { LifecycleEvent } from "./Lifecycle.js"
import type { Terminated } from "./Terminated.js"

/**
 * Tells `message` to `target` as `Actor.tell` does, whatever its protocol says: a router forwards
 * requests too.
 *
 * Cancellation safety: as `Actor.tell`: interrupted while waiting for room, the message was
 * either enqueued or not — never both, never twice.
 *
 * @since 0.1.0
 * @category telling
 */
export const tell = (target: ActorRef<never>, message: Message): Effect.Effect<void, TellError> =>
  telling.tell(target as ActorRef<Message>, message)

/**
 * Offers `message` to `target`'s mailbox now, synchronously, per its mailbox strategy: returns an
 * `Exit` when the offer is decided at once — sent, dropped or turned away (a dead letter) — and
 * otherwise (a full `"suspend"` mailbox) the effect that waits for room. A fan-out over many
 * targets thus costs no fiber step per target with room.
 *
 * Cancellation safety: as `Actor.tell`: the returned wait, interrupted, has either enqueued
 * the message or not.
 *
 * @since 0.1.0
 * @category telling
 */
export const unsafeOffer: (target: ActorRef<never>, message: Message) => Effect.Effect<void, TellError> =
  telling.offerMessage

/**
 * Tells `message` to each of `targets` in order, in one fiber step for every mailbox with room.
 * A target that is stopping dead-letters its copy and the others still get the message; any
 * other failure stops the fan-out there (that target and the ones after it did not get it).
 *
 * Cancellation safety: interrupted while waiting for room, the targets before the waiting one
 * have the message and the rest do not; none gets it twice.
 *
 * @since 0.1.0
 * @category telling
 */
export const tellEach: (targets: ReadonlyArray<ActorRef<never>>, message: Message) => Effect.Effect<void, TellError> =
  telling.tellEach

/**
 * Takes every user message still queued for the actor, in one synchronous step, to hand them to
 * other actors. Asks stay with the actor: they are queued again behind whatever arrives meanwhile.
 *
 * Cancellation safety: one synchronous step — the asks fit back, having just left the same
 * mailbox — so nothing is taken without being returned.
 *
 * @since 0.1.0
 * @category mailbox
 */
export const takeQueued: (self: ActorRef<never>) => Effect.Effect<ReadonlyArray<Message>> = internal.takeQueued

/**
 * @since 0.1.0
 * @category death watch
 */
export type TerminationListener = (terminated: Terminated) => void

/**
 * Death watch for code that is not an actor: `listener` runs synchronously in the step the actor
 * terminates — before that step ends nothing can be enqueued for it any more, and after it every
 * message to it is a dead letter. Returns the `Terminated` instead (and registers nothing) when
 * the actor is already gone.
 *
 * @since 0.1.0
 * @category death watch
 */
export const unsafeOnTermination: (
  self: ActorRef<never>,
  listener: TerminationListener
) => Terminated | undefined = termination.onTermination

/**
 * Unregisters a listener added with {@link unsafeOnTermination}.
 *
 * @since 0.1.0
 * @category death watch
 */
export const unsafeOffTermination: (self: ActorRef<never>, listener: TerminationListener) => void =
  termination.offTermination

/**
 * Records a dead letter addressed to `actor` — an actor, or the router itself — in `system`: it
 * is counted (under `labels`, by default `actor=<actor>`), published, and a message that releases
 * a resource as a dead letter (`DeadLetter.OnDeadLetter`) releases it.
 *
 * @since 0.1.0
 * @category system
 */
export const unsafeDeadLetter: (
  system: ActorSystem.Service,
  letter: {
    readonly actor: string
    readonly message: unknown
    readonly reason: Reason
    readonly labels?: ReadonlyArray<MetricLabel.MetricLabel> | undefined
  }
) => void = internal.unsafeDeadLetter

/**
 * Publishes a lifecycle event in `system` (a router says so when a target leaves it:
 * `PluginRemoved`).
 *
 * @since 0.1.0
 * @category system
 */
export const unsafePublish: (system: ActorSystem.Service, event: LifecycleEvent) => void = internal.unsafePublish
