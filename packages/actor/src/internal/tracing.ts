/**
 * Tracing: a message carries the span it was sent from, and its handler runs in a span whose
 * parent is that span, so a trace follows a request from actor to actor (`Actor.ask` gets a span
 * of its own, the parent of the handler's).
 *
 * Only inside a trace: a sender without a current span, or whose spans go nowhere (Effect's
 * built-in tracer), sends the bare message, and its handler runs without a span — the same path,
 * at the same cost, as when nobody traces. The sender's span is read synchronously from its fiber
 * (`Fiber.getCurrentFiber`), so `tell` stays one fiber step.
 */
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Tracer from "effect/Tracer"
import type * as Actor from "../Actor.js"

/**
 * A told message with the span it was told from.
 *
 * @internal
 */
export class TracedMessage {
  constructor(readonly message: Actor.Message, readonly parent: Tracer.AnySpan) {}
}

/** @internal */
export const isTracedMessage = (envelope: { readonly constructor: unknown }): envelope is TracedMessage =>
  envelope.constructor === TracedMessage

/**
 * Effect's built-in tracer, in place while no other is set: its spans go nowhere. Effect makes
 * them for every HTTP request, RPC and cluster message all the same, so a current span alone does
 * not mean anyone traces.
 */
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * The span a message sent from `fiber` should carry: its current span, unless there is none, it
 * asks not to be propagated (tracing disabled), or the fiber's tracer is Effect's built-in one (a
 * span made for it would be seen by nobody, yet cost every message two spans).
 *
 * @internal
 */
export const parentOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Tracer.AnySpan | undefined => {
  const span = fiber.currentSpan
  if (span === undefined || fiber.currentTracer === nativeTracer) return undefined
  return span._tag === "Span" && Context.get(span.context, Tracer.DisablePropagation) ? undefined : span
}

/**
 * {@link parentOf} the fiber running now (called inside a step of a fiber).
 *
 * @internal
 */
export const currentParent = (): Tracer.AnySpan | undefined => {
  const fiber = Fiber.getCurrentFiber()
  return fiber._tag === "None" ? undefined : parentOf(fiber.value)
}

/**
 * `message` as it travels: with the sender's span when there is one.
 *
 * @internal
 */
export const traced = (message: Actor.Message, parent: Tracer.AnySpan | undefined): Actor.Message | TracedMessage =>
  parent === undefined ? message : new TracedMessage(message, parent)

/** @internal */
export const attributes = (actor: string, message: Actor.Message) => ({
  "weft.actor": actor,
  "weft.message": message._tag
})

/**
 * Runs a handler's effect in the span `Actor.handle <tag>`, a child of the sender's span. The
 * span ends with the handler: with its failure, or interrupted when the actor is killed.
 *
 * @internal
 */
export const handleInSpan = <A, E>(
  effect: Effect.Effect<A, E>,
  actor: string,
  message: Actor.Message,
  parent: Tracer.AnySpan,
  asked: boolean
): Effect.Effect<A, E> =>
  Effect.withSpan(effect, `Actor.handle ${message._tag}`, {
    parent,
    kind: asked ? "server" : "consumer",
    attributes: attributes(actor, message),
    captureStackTrace: false
  })
