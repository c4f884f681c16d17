/**
 * The data a check reports and a replay reads: strategies and decisions. Plain readonly objects
 * with a `_tag`, so a failure's schedule can be printed, stored and passed back to `replay`.
 * The types are declared in the public modules; this file formats them.
 */
import type * as Interleavings from "../Interleavings.js"
import type * as Strategies from "../Strategy.js"

/** @internal */
export type RandomStrategy = Strategies.Random

/** @internal */
export type PctStrategy = Strategies.Pct

/** @internal */
export type Strategy = Strategies.Strategy

/** @internal */
export type Decision = Interleavings.Decision

/** @internal */
export const formatStrategy = (strategy: Strategy): string => {
  const interruption = strategy.interruption > 0 ? `, interruption ${strategy.interruption}` : ""
  return strategy._tag === "Random"
    ? `random (preemption ${strategy.preemption}${interruption})`
    : `pct (depth ${strategy.depth}, steps ${strategy.steps ?? "calibrated"}${interruption})`
}

/** @internal */
export const formatDecision = (decision: Decision): string => {
  switch (decision._tag) {
    case "Pick":
      return `step ${decision.step}: run fiber #${decision.fiber} (ready task ${decision.index + 1} of ${decision.of})`
    case "Yield":
      return `step ${decision.step}: fiber #${decision.fiber} yields`
    case "Interrupt":
      return `step ${decision.step}: interrupt fiber #${decision.fiber}`
  }
}
