import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import { AllBranchesDisabled } from "../SelectError.js"
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
