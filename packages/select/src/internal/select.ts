import type { Scope } from "effect"
import { Cause, Duration, Effect, Exit, Fiber, Predicate } from "effect"
import { pipeArguments } from "effect/Pipeable"
import type * as Select from "../Select.js"
import { Aborted, AllBranchesDisabled, TimeoutError } from "../SelectError.js"
import * as core from "./core.js"
import * as sources from "./sources.js"

/** @internal */
export interface SelectOptions extends core.Options {
  readonly orElse?: (() => Effect.Effect<unknown, unknown, unknown>) | undefined
}

const orElseTag = "orElse"

/** @internal */
export const select = (
  branches: Readonly<Record<string, unknown>>,
  options?: SelectOptions
): Effect.Effect<core.Selected, unknown, unknown> => {
  const plan = core.compile(branches, options, sources.toBranch)
  if (plan instanceof AllBranchesDisabled) {
    const orElse = options?.orElse
    return orElse === undefined
      ? Effect.fail(plan)
      : Effect.map(Effect.suspend(orElse), (value): core.Selected => ({ _tag: orElseTag, value }))
  }
  return core.run(plan)
}

// -----------------------------------------------------------------------------
// selectLoop
// -----------------------------------------------------------------------------

const StopTypeId: unique symbol = Symbol.for("@weft/select/Stop")

/** @internal */
export class Stop<S> {
  readonly [StopTypeId] = StopTypeId
  constructor(readonly state: S) {}
}

/** @internal */
export const isStop = (u: unknown): u is Stop<unknown> => Predicate.hasProperty(u, StopTypeId)

/** @internal */
export interface LoopOptions<S> extends core.Options {
  readonly state: S
  readonly branches: (state: S) => Readonly<Record<string, unknown>>
  readonly orElse?: ((state: S) => Effect.Effect<unknown, unknown, unknown>) | undefined
}

/** @internal */
export type LoopHandlers<S> = Readonly<
  Record<string, (value: never, state: S) => Effect.Effect<unknown, unknown, unknown>>
>

/**
 * Each iteration claims with the select running interruptibly and enters the handler
 * uninterruptibly: a claimed value always reaches its handler, and an interrupt lands either while
 * the loop waits (nothing taken) or after a handler finished.
 *
 * @internal
 */
export const selectLoop = <S>(
  options: LoopOptions<S>,
  loopHandlers: LoopHandlers<S>
): Effect.Effect<S, unknown, unknown> => {
  // Each handler receives the value of its own branch: the public signature ties them together.
  const handlers = loopHandlers as Readonly<
    Record<string, (value: unknown, state: S) => Effect.Effect<unknown, unknown, unknown>>
  >
  const step = (state: S): Effect.Effect<unknown, unknown, unknown> =>
    Effect.uninterruptibleMask((restore) => {
      const plan = core.compile(options.branches(state), options, sources.toBranch)
      if (plan instanceof AllBranchesDisabled) {
        return options.orElse === undefined ? Effect.fail(plan) : options.orElse(state)
      }
      return Effect.flatMap(restore(core.run(plan)), (selected) => handlers[selected._tag]!(selected.value, state))
    })
  const loop = (state: S): Effect.Effect<S, unknown, unknown> =>
    Effect.flatMap(step(state), (next) => isStop(next) ? Effect.succeed(next.state as S) : loop(next as S))
  return loop(options.state)
}

// -----------------------------------------------------------------------------
// race / join / tryJoin
// -----------------------------------------------------------------------------

/** @internal */
export const race = (
  effects: Readonly<Record<string, Effect.Effect<unknown, unknown, unknown>>>
): Effect.Effect<core.Selected, unknown, unknown> => {
  const tagged = Object.keys(effects).map((tag) =>
    Effect.map(effects[tag]!, (value): core.Selected => ({ _tag: tag, value }))
  )
  const [first, ...rest] = tagged
  if (first === undefined) return Effect.fail(new AllBranchesDisabled({ branches: [] }))
  return rest.length === 0 ? first : Effect.raceAll([first, ...rest])
}

type Effects =
  | ReadonlyArray<Effect.Effect<unknown, unknown, unknown>>
  | Readonly<Record<string, Effect.Effect<unknown, unknown, unknown>>>

/** @internal */
export const join = (effects: Effects): Effect.Effect<unknown, never, unknown> =>
  Array.isArray(effects)
    ? Effect.all(effects.map((effect) => Effect.exit(effect)), { concurrency: "unbounded" })
    : Effect.all(
      mapRecord(effects as Readonly<Record<string, Effect.Effect<unknown, unknown, unknown>>>, Effect.exit),
      { concurrency: "unbounded" }
    )

/** @internal */
export const tryJoin = (effects: Effects): Effect.Effect<unknown, unknown, unknown> =>
  Effect.all(effects, { concurrency: "unbounded" })

const mapRecord = <A, B>(record: Readonly<Record<string, A>>, f: (a: A) => B): Record<string, B> => {
  const out: Record<string, B> = {}
  for (const key of Object.keys(record)) out[key] = f(record[key]!)
  return out
}

// -----------------------------------------------------------------------------
// timeout / deadline / abort
// -----------------------------------------------------------------------------

/** @internal */
export const DiscardableTypeId: Select.DiscardableTypeId = Symbol.for(
  "@weft/select/Discardable"
) as Select.DiscardableTypeId

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
