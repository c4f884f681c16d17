/**
 * Behaviours: what `Actor.behavior` builds, and the erased form the loop runs.
 */
import type { Cause } from "effect"
import * as Effect from "effect/Effect"
import type * as Actor from "../Actor.js"
import type { Terminated } from "../Terminated.js"

/** @internal */
export const BehaviorTypeId: Actor.BehaviorTypeId = Symbol.for("@weft/actor/Behavior") as Actor.BehaviorTypeId

/** @internal */
export const RepliedTypeId: Actor.RepliedTypeId = Symbol.for("@weft/actor/Replied") as Actor.RepliedTypeId

/** @internal */
export class RepliedImpl<A, S> implements Actor.Replied<A, S> {
  readonly [RepliedTypeId]: Actor.RepliedTypeId = RepliedTypeId
  constructor(readonly reply: A, readonly state: S) {}
}

/** @internal */
export const reply = <A, S>(value: A, state: S): Actor.Replied<A, S> => new RepliedImpl(value, state)

/** @internal */
export type AnyHandler = (
  message: Actor.Message,
  state: unknown,
  context: Actor.HandlerContext<never>
) => Effect.Effect<unknown, unknown>

/**
 * The behaviour as the loop sees it: every type parameter erased.
 *
 * @internal
 */
export interface AnyBehavior {
  readonly initialState: unknown
  readonly handlers: Readonly<Record<string, AnyHandler>>
  readonly onStart: ((state: unknown, context: Actor.HandlerContext<never>) => Effect.Effect<unknown>) | undefined
  readonly onStop: ((state: unknown, context: Actor.HandlerContext<never>) => Effect.Effect<void>) | undefined
  readonly onRestart:
    | ((cause: Cause.Cause<unknown>, state: unknown, context: Actor.HandlerContext<never>) => Effect.Effect<void>)
    | undefined
  readonly onTerminated:
    | ((terminated: Terminated, state: unknown, context: Actor.HandlerContext<never>) => Effect.Effect<unknown>)
    | undefined
}

const behaviorVariance = { _M: (_: unknown) => {}, _R: () => undefined as never }

/**
 * The same behaviour with every handler wrapped by `wrap` (fault injection).
 *
 * @internal
 */
export const withHandlers = <M extends Actor.Message, S, R>(
  behavior: Actor.Behavior<M, S, R>,
  wrap: (handler: AnyHandler) => AnyHandler
): Actor.Behavior<M, S, R> => {
  const handlers: Record<string, AnyHandler> = {}
  for (const [tag, handler] of Object.entries(behavior.handlers as unknown as Readonly<Record<string, AnyHandler>>)) {
    handlers[tag] = wrap(handler)
  }
  return { ...behavior, handlers: handlers as unknown as Actor.Handlers<M, S, R> }
}

/**
 * A behaviour that sends every message, whatever its tag, to one handler: the TestProbe's.
 *
 * @internal
 */
export const anyBehavior = <M extends Actor.Message>(
  handler: (message: Actor.Message, state: unknown) => Effect.Effect<unknown>
): Actor.Behavior<M, unknown, never> => {
  const handlers = new Proxy({}, { get: () => handler })
  return {
    [BehaviorTypeId]: behaviorVariance,
    initialState: undefined,
    handlers: handlers as Actor.Handlers<M, unknown, never>,
    onStart: undefined,
    onStop: undefined,
    onRestart: undefined,
    onTerminated: undefined
  }
}

/** @internal */
export const behavior =
  <M extends Actor.Message>() =>
  <S, H extends Actor.Handlers<M, NoInfer<S>, unknown>, R1 = never, R2 = never, R3 = never, R4 = never>(
    spec: Actor.Behavior.Spec<M, S, H, R1, R2, R3, R4> & { readonly handlers: Actor.NoExtraHandlers<H, M> }
  ): Actor.Behavior<M, S, Actor.HandlersContext<H> | R1 | R2 | R3 | R4> => ({
    [BehaviorTypeId]: behaviorVariance,
    initialState: spec.initialState,
    handlers: spec.handlers as unknown as Actor.Handlers<M, S, Actor.HandlersContext<H>>,
    onStart: spec.onStart,
    onStop: spec.onStop,
    onRestart: spec.onRestart,
    onTerminated: spec.onTerminated
  })

/**
 * Calls the handler for `message`; a missing handler or a throwing one becomes a defect.
 *
 * @internal
 */
export const runHandler = (
  handlers: AnyBehavior["handlers"],
  message: Actor.Message,
  state: unknown,
  context: Actor.HandlerContext<never>,
  actor: { readonly name: string }
): Effect.Effect<unknown, unknown> => {
  const handler = handlers[message._tag]
  if (handler === undefined) return Effect.dieMessage(`actor "${actor.name}" has no handler for "${message._tag}"`)
  try {
    return handler(message, state, context)
  } catch (defect) {
    return Effect.die(defect)
  }
}
