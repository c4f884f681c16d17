/**
 * Seeded interleaving exploration for Effect programs — loom's idea for fibers.
 *
 * `check` runs a program under many schedules of a controlled `Scheduler`: one seed picks which
 * ready fiber runs next, where a running fiber is made to yield (before any operation), and when
 * a fiber marked with `mayInterrupt` is interrupted. A failure, a deadlock or a livelock ends the
 * check with an `InterleavingFailure` that names the seed, the strategy and the forced decisions,
 * shrunk to the fewest that still fail; `replay` reruns exactly that interleaving.
 *
 * What it controls: every task Effect's fiber runtime schedules for the program's fibers (starts,
 * resumptions, yields) and every operation boundary. What it does not: work outside Effect — a
 * Node callback, a real timer, I/O, a worker thread — which happens when it happens; the driver
 * only waits for it when nothing is ready. Programs must be deterministic apart from the schedule
 * (use `TestClock` for time and a seeded `Random`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import { dual } from "effect/Function"
import * as internal from "./internal/check.js"
import type { Deadlock, InterleavingFailure, InvalidExplorationOption, StepLimitExceeded } from "./internal/errors.js"
import { markInterruptible } from "./internal/scheduler.js"
import type { Strategy } from "./Strategy.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  Deadlock,
  /**
   * @since 0.1.0
   * @category errors
   */
  InterleavingFailure,
  /**
   * @since 0.1.0
   * @category errors
   */
  InvalidExplorationOption,
  /**
   * @since 0.1.0
   * @category errors
   */
  StepLimitExceeded
} from "./internal/errors.js"

/**
 * One forced scheduling decision: at `step` (a count of operations and choices since the run
 * began), run the `index`-th ready task instead of the oldest (`Pick`), make the running fiber
 * yield (`Yield`), or interrupt it (`Interrupt`). Fibers are numbered from 1 in the order the
 * scheduler first meets them (the program's own fiber is #1). Every other choice is Effect's own.
 *
 * @since 0.1.0
 * @category models
 */
export type Decision =
  | {
    readonly _tag: "Pick"
    readonly step: number
    readonly fiber: number
    readonly index: number
    readonly of: number
  }
  | { readonly _tag: "Yield"; readonly step: number; readonly fiber: number }
  | { readonly _tag: "Interrupt"; readonly step: number; readonly fiber: number }

/**
 * An interleaving to replay: a seed with its strategy, or recorded decisions (an
 * `InterleavingFailure` is one, with its shrunk decisions).
 *
 * @since 0.1.0
 * @category models
 */
export type Interleaving =
  | { readonly seed: number; readonly strategy: Strategy }
  | { readonly decisions: ReadonlyArray<Decision> }

/**
 * Limits of one run. `maxSteps` (default 100 000) ends a run that has not finished as a livelock;
 * `idleTurns` (default 2) is how many event-loop turns the driver waits, with no fiber ready, for
 * work outside Effect (a `TestClock` adjustment yields to the event loop) before it calls the
 * program deadlocked.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExploreOptions {
  readonly maxSteps?: number | undefined
  readonly idleTurns?: number | undefined
}

/**
 * `runs` (default 100) seeded schedules after the unforced one; `seed` (default random, reported
 * on failure); `strategy` (default `Strategy.random()`); `shrinkRuns` (default 200) bounds the
 * reruns spent shrinking a failure.
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckOptions extends ExploreOptions {
  readonly runs?: number | undefined
  readonly seed?: number | undefined
  readonly strategy?: Strategy | undefined
  readonly shrinkRuns?: number | undefined
}

/**
 * What a passing check explored: its seed, its strategy (with PCT's step estimate resolved), the
 * number of seeded runs and the steps they took in total.
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckReport {
  readonly seed: number
  readonly strategy: Strategy
  readonly runs: number
  readonly steps: number
}

/**
 * Runs `program` under Effect's own schedule, then under `runs` seeded schedules, and fails with
 * the first failing interleaving, shrunk. The program is run afresh each time: build all its
 * state inside it. It passes when it succeeds; make it fail (or die, e.g. with an assertion) when
 * an invariant breaks.
 *
 * @example
 * ```ts
 * import { Effect, Fiber, Ref } from "effect"
 * import { Interleavings } from "@weft/testkit"
 *
 * // A read-modify-write race: some interleaving loses an update.
 * const counter = Effect.gen(function*() {
 *   const count = yield* Ref.make(0)
 *   const increment = Effect.flatMap(Ref.get(count), (n) => Ref.set(count, n + 1))
 *   const fibers = yield* Effect.all([Effect.fork(increment), Effect.fork(increment)])
 *   yield* Fiber.joinAll(fibers)
 *   if ((yield* Ref.get(count)) !== 2) return yield* Effect.dieMessage("an update was lost")
 * })
 *
 * const found = Interleavings.check(counter, { runs: 200, seed: 7 }).pipe(Effect.flip)
 * ```
 *
 * @since 0.1.0
 * @category checking
 */
export const check: {
  (options?: CheckOptions): <A, E, R>(
    program: Effect.Effect<A, E, R>
  ) => Effect.Effect<CheckReport, InterleavingFailure | InvalidExplorationOption, R>
  <A, E, R>(
    program: Effect.Effect<A, E, R>,
    options?: CheckOptions
  ): Effect.Effect<CheckReport, InterleavingFailure | InvalidExplorationOption, R>
} = dual((args) => Effect.isEffect(args[0]), internal.check)

/**
 * Reruns `program` under one interleaving — a failure's shrunk decisions, recorded decisions, or
 * a seed with its strategy — and returns what the program returns, so its own failure surfaces.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interleavings } from "@weft/testkit"
 *
 * declare const program: Effect.Effect<void>
 *
 * const rerun = Interleavings.check(program, { runs: 50 }).pipe(
 *   Effect.catchTag("InterleavingFailure", (failure) => Interleavings.replay(program, failure))
 * )
 * ```
 *
 * @since 0.1.0
 * @category checking
 */
export const replay: {
  (interleaving: Interleaving, options?: ExploreOptions): <A, E, R>(
    program: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | Deadlock | StepLimitExceeded | InvalidExplorationOption, R>
  <A, E, R>(
    program: Effect.Effect<A, E, R>,
    interleaving: Interleaving,
    options?: ExploreOptions
  ): Effect.Effect<A, E | Deadlock | StepLimitExceeded | InvalidExplorationOption, R>
} = dual(
  // An `InterleavingFailure` is itself an Effect (a yieldable error): tell the forms apart by the
  // second argument, which is an interleaving only in the data-first form.
  (args) => typeof args[1] === "object" && args[1] !== null && ("decisions" in args[1] || "seed" in args[1]),
  internal.replay
)

/**
 * Lets the explorer interrupt the fiber that runs `self` — at any operation of it, with the
 * strategy's `interruption` probability, at most once per run. Only that fiber: fibers it forks
 * are not marked. Outside a check it does nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interleavings } from "@weft/testkit"
 *
 * declare const work: Effect.Effect<void>
 *
 * const worker = Effect.fork(Interleavings.mayInterrupt(work))
 * ```
 *
 * @since 0.1.0
 * @category interruption
 */
export const mayInterrupt: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> = markInterruptible

/**
 * A fast-check arbitrary of seeded interleavings under `strategy` (default `Strategy.random()`),
 * for property tests that replay a program under generated schedules.
 *
 * @example
 * ```ts
 * import { Effect, FastCheck } from "effect"
 * import { Interleavings } from "@weft/testkit"
 *
 * declare const program: Effect.Effect<void>
 *
 * const property = FastCheck.asyncProperty(Interleavings.arbitrary(), (interleaving) =>
 *   Effect.runPromise(Effect.either(Interleavings.replay(program, interleaving))).then((r) => r._tag === "Right"))
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const arbitrary = (
  strategy: Strategy = internal.defaultStrategy
): FastCheck.Arbitrary<{ readonly seed: number; readonly strategy: Strategy }> =>
  FastCheck.integer({ min: 0, max: 0xffff_ffff }).map((seed) => ({ seed, strategy }))
