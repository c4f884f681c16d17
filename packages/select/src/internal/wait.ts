/**
 * Waiting on one source, or on an effect declared discardable, until a duration, a point in time or
 * an `AbortSignal` says to give up; and the `AbortSignal` bridges.
 */
import type { Scope } from "effect"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import { Aborted, TimeoutError } from "../SelectError.js"
import type * as Wait from "../Wait.js"
import type * as core from "./core.js"
import { select } from "./select.js"
import * as sources from "./sources.js"

/** @internal */
export const DiscardableTypeId: Wait.DiscardableTypeId = Symbol.for(
  "@weft/select/Discardable"
) as Wait.DiscardableTypeId

const discardableVariance = { _A: (_: never) => _, _E: (_: never) => _, _R: (_: never) => _ }

/** @internal */
export class DiscardableImpl {
  readonly [DiscardableTypeId] = discardableVariance
  constructor(readonly effect: Effect.Effect<unknown, unknown, unknown>) {}
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
}

const isDiscardable = (u: unknown): u is DiscardableImpl => Predicate.hasProperty(u, DiscardableTypeId)

/**
 * Waits on one source until `stop` (a branch that fails when it is ready) wins. Built on the
 * select's claim with `unwrap`, so the value is the caller's result from the claim step on: an
 * interrupt lands before the claim (nothing taken) or after the caller has it.
 */
const sourceUntil = (source: unknown, stop: core.BranchImpl): Effect.Effect<unknown, unknown, unknown> =>
  select({ value: source, stop }, { biased: true, unwrap: true })

/**
 * Runs a discardable effect in a child fiber until it ends or `stop` wins, checking the child
 * first. When `stop` wins, the child is interrupted and its exit awaited: a child that had already
 * produced a value keeps it (the value is returned); only a child that was really cut short turns
 * into `onStop(value)`. Interrupted from outside, it interrupts the child and drops its value,
 * which is what `discardable` declares acceptable.
 */
const interruptWhen = (
  self: Effect.Effect<unknown, unknown, unknown>,
  stop: core.BranchImpl,
  onStop: (value: unknown) => unknown
): Effect.Effect<unknown, unknown, unknown> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.fork(restore(self)), (child) =>
      Effect.matchCauseEffect(
        restore(select({ done: sources.fiber(child), stop }, { biased: true })),
        {
          onFailure: (cause) => Effect.zipRight(Fiber.interrupt(child), Effect.failCause(cause)),
          onSuccess: (selected) =>
            selected._tag === "done"
              ? (selected.value as Exit.Exit<unknown, unknown>)
              : Effect.flatMap(
                Fiber.interrupt(child),
                (exit) =>
                  Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
                    ? Effect.fail(onStop(selected.value))
                    : exit
              )
        }
      ))
  )

const withDeadline = (
  self: unknown,
  at: (now: number) => number
): Effect.Effect<unknown, unknown, unknown> =>
  Effect.clockWith((clock) => {
    const now = clock.unsafeCurrentTimeMillis()
    const deadline = at(now)
    const error = new TimeoutError({ after: Duration.millis(Math.max(0, deadline - now)) })
    return isDiscardable(self)
      ? interruptWhen(self.effect, sources.sleepUntil(deadline), () => error)
      : sourceUntil(self, sources.failAt(deadline, error))
  })

/** @internal */
export const discardable = <A, E, R>(effect: Effect.Effect<A, E, R>): DiscardableImpl => new DiscardableImpl(effect)

/** @internal */
export const timeout = (self: unknown, after: Duration.DurationInput): Effect.Effect<unknown, unknown, unknown> => {
  const millis = Duration.toMillis(after)
  return withDeadline(self, (now) => now + millis)
}

/** @internal */
export const deadline = (self: unknown, at: number | Date): Effect.Effect<unknown, unknown, unknown> => {
  const millis = typeof at === "number" ? at : at.getTime()
  return withDeadline(self, () => millis)
}

/** @internal */
export const abortable = (self: unknown, signal: AbortSignal): Effect.Effect<unknown, unknown, unknown> =>
  isDiscardable(self)
    ? interruptWhen(self.effect, sources.abort(signal), (reason) => new Aborted({ reason }))
    : sourceUntil(self, sources.abortFailure(signal))

/** @internal */
export const fromAbortSignal = (signal: AbortSignal): Effect.Effect<never, Aborted> =>
  Effect.flatMap(
    select({ aborted: sources.abort(signal) }),
    (selected) => Effect.fail(new Aborted({ reason: selected.value }))
  ) as Effect.Effect<never, Aborted>

/** @internal */
export const toAbortSignal: Effect.Effect<AbortSignal, never, Scope.Scope> = Effect.map(
  Effect.acquireRelease(
    Effect.sync(() => new AbortController()),
    (controller) => Effect.sync(() => controller.abort())
  ),
  (controller) => controller.signal
)
