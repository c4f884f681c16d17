import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Interleavings from "../Interleavings.js"
import { type Chooser, scripted, seeded } from "./choosers.js"
import { type DriveOptions, runOnce, type RunOutcome } from "./driver.js"
import { Deadlock, InterleavingFailure, InvalidExplorationOption, StepLimitExceeded } from "./errors.js"
import type { Strategy } from "./model.js"
import { freshSeed, runSeed } from "./prng.js"

/** @internal */
export type ExploreOptions = Interleavings.ExploreOptions

/** @internal */
export type CheckOptions = Interleavings.CheckOptions

/** @internal */
export type CheckReport = Interleavings.CheckReport

/** @internal */
export type Interleaving = Interleavings.Interleaving

/** @internal */
export const defaultStrategy: Strategy = { _tag: "Random", preemption: 0.1, interruption: 0.05 }

type Failed = "failed" | "deadlock" | "step-limit"

const failureOf = <A, E>(outcome: RunOutcome<A, E>): Failed | undefined =>
  outcome._tag === "Deadlock"
    ? "deadlock"
    : outcome._tag === "StepLimit"
    ? "step-limit"
    : Exit.isFailure(outcome.exit)
    ? "failed"
    : undefined

const requireRange = (
  option: string,
  value: number,
  valid: boolean,
  expected: string
): Effect.Effect<void, InvalidExplorationOption> =>
  valid ? Effect.void : Effect.fail(new InvalidExplorationOption({ option, value, expected }))

const isCount = (value: number, min: number) => Number.isSafeInteger(value) && value >= min

const driveOptions = (options: ExploreOptions): Effect.Effect<DriveOptions, InvalidExplorationOption> => {
  const resolved = { maxSteps: options.maxSteps ?? 100_000, idleTurns: options.idleTurns ?? 2 }
  return Effect.as(
    Effect.all([
      requireRange("maxSteps", resolved.maxSteps, isCount(resolved.maxSteps, 1), "an integer ≥ 1"),
      requireRange("idleTurns", resolved.idleTurns, isCount(resolved.idleTurns, 0), "an integer ≥ 0")
    ]),
    resolved
  )
}

const validateStrategy = (strategy: Strategy): Effect.Effect<void, InvalidExplorationOption> => {
  const probability = (name: string, value: number) =>
    requireRange(name, value, value >= 0 && value <= 1, "a probability in [0, 1]")
  return strategy._tag === "Random"
    ? Effect.zipRight(
      probability("preemption", strategy.preemption),
      probability("interruption", strategy.interruption)
    )
    : Effect.all([
      probability("interruption", strategy.interruption),
      requireRange("depth", strategy.depth, isCount(strategy.depth, 1), "an integer ≥ 1"),
      strategy.steps === undefined
        ? Effect.void
        : requireRange("steps", strategy.steps, isCount(strategy.steps, 1), "an integer ≥ 1")
    ])
}

/**
 * PCT draws its change points from the first `steps` operations; without an estimate, the unforced
 * run's length is it. Resolved once, so every run of a check (and its replays) uses the same one.
 */
const resolveSteps = (strategy: Strategy, unforcedSteps: number): Strategy =>
  strategy._tag === "Pct" && strategy.steps === undefined
    ? { ...strategy, steps: Math.max(1, unforcedSteps) }
    : strategy

/**
 * Removes forced decisions, halves of them first and then smaller runs, keeping each removal
 * after which the program still ends the same way; a kept run's applied decisions become the new
 * trace. Stops after `budget` runs.
 */
const shrink = <A, E, R>(
  program: Effect.Effect<A, E, R>,
  found: RunOutcome<A, E>,
  failed: Failed,
  budget: number,
  drive: DriveOptions
): Effect.Effect<RunOutcome<A, E>, never, R> =>
  Effect.gen(function*() {
    let best = found
    let spent = 0
    let chunk = Math.ceil(best.decisions.length / 2)
    while (chunk >= 1 && spent < budget && best.decisions.length > 0) {
      let removed = false
      for (let from = 0; from < best.decisions.length && spent < budget; from += chunk) {
        const candidate = [...best.decisions.slice(0, from), ...best.decisions.slice(from + chunk)]
        const outcome = yield* runOnce(program, scripted(candidate), drive)
        spent++
        if (failureOf(outcome) === failed && outcome.decisions.length < best.decisions.length) {
          best = outcome
          removed = true
          break
        }
      }
      if (!removed) chunk = Math.floor(chunk / 2)
      else chunk = Math.min(chunk, Math.ceil(best.decisions.length / 2))
    }
    return best
  })

/** @internal */
export const check = <A, E, R>(
  program: Effect.Effect<A, E, R>,
  options: CheckOptions = {}
): Effect.Effect<CheckReport, InterleavingFailure | InvalidExplorationOption, R> =>
  Effect.gen(function*() {
    const drive = yield* driveOptions(options)
    const runs = options.runs ?? 100
    const shrinkRuns = options.shrinkRuns ?? 200
    yield* requireRange("runs", runs, isCount(runs, 1), "an integer ≥ 1")
    yield* requireRange("shrinkRuns", shrinkRuns, isCount(shrinkRuns, 0), "an integer ≥ 0")
    const seed = options.seed ?? freshSeed()
    yield* requireRange("seed", seed, isCount(seed, 0) && seed < 2 ** 32, "an integer in [0, 2^32)")
    const requested = options.strategy ?? defaultStrategy
    yield* validateStrategy(requested)

    const fail = (run: number, seedOfRun: number, strategy: Strategy, outcome: RunOutcome<A, E>, failed: Failed) =>
      Effect.flatMap(shrink(program, outcome, failed, shrinkRuns, drive), (shrunk) =>
        Effect.fail(
          new InterleavingFailure({
            reason: failed,
            cause: shrunk._tag === "Exited" && Exit.isFailure(shrunk.exit) ? shrunk.exit.cause : undefined,
            seed,
            run,
            runs,
            runSeed: seedOfRun,
            strategy,
            decisions: shrunk.decisions,
            unshrunk: outcome.decisions.length,
            steps: shrunk.steps
          })
        ))

    // Run 0: Effect's own schedule. A program that fails here fails without any forced decision.
    const unforced = yield* runOnce(program, scripted([]), drive)
    const strategy = resolveSteps(requested, unforced.steps)
    const unforcedFailure = failureOf(unforced)
    if (unforcedFailure !== undefined) return yield* fail(0, seed, strategy, unforced, unforcedFailure)

    let steps = unforced.steps
    for (let run = 1; run <= runs; run++) {
      const seedOfRun = runSeed(seed, run)
      const outcome = yield* runOnce(program, seeded(strategy, seedOfRun, unforced.steps), drive)
      steps += outcome.steps
      const failed = failureOf(outcome)
      if (failed !== undefined) return yield* fail(run, seedOfRun, strategy, outcome, failed)
    }
    return { seed, strategy, runs, steps }
  })

/** @internal */
export const replay = <A, E, R>(
  program: Effect.Effect<A, E, R>,
  interleaving: Interleaving,
  options: ExploreOptions = {}
): Effect.Effect<A, E | Deadlock | StepLimitExceeded | InvalidExplorationOption, R> =>
  Effect.gen(function*() {
    const drive = yield* driveOptions(options)
    let chooser: Chooser
    if ("decisions" in interleaving) {
      chooser = scripted(interleaving.decisions)
    } else {
      yield* validateStrategy(interleaving.strategy)
      // Without a step estimate PCT needs the unforced run's length, exactly as `check` measured it.
      const steps = interleaving.strategy._tag === "Pct" && interleaving.strategy.steps === undefined
        ? (yield* runOnce(program, scripted([]), drive)).steps
        : 0
      chooser = seeded(interleaving.strategy, interleaving.seed, steps)
    }
    const outcome = yield* runOnce(program, chooser, drive)
    switch (outcome._tag) {
      case "Exited":
        return yield* outcome.exit
      case "Deadlock":
        return yield* Effect.fail(new Deadlock({ steps: outcome.steps }))
      case "StepLimit":
        return yield* Effect.fail(new StepLimitExceeded({ limit: drive.maxSteps }))
    }
  })
