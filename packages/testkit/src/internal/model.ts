/**
 * The data a check reports and a replay reads: strategies and decisions. Plain readonly objects
 * with a `_tag`, so a failure's schedule can be printed, stored and passed back to `replay`.
 */

/** @internal */
export interface RandomStrategy {
  readonly _tag: "Random"
  readonly preemption: number
  readonly interruption: number
}

/** @internal */
export interface PctStrategy {
  readonly _tag: "Pct"
  readonly depth: number
  readonly steps: number | undefined
  readonly interruption: number
}

/** @internal */
export type Strategy = RandomStrategy | PctStrategy

/** @internal */
export interface PickDecision {
  readonly _tag: "Pick"
  readonly step: number
  readonly fiber: number
  readonly index: number
  readonly of: number
}

/** @internal */
export interface YieldDecision {
  readonly _tag: "Yield"
  readonly step: number
  readonly fiber: number
}

/** @internal */
export interface InterruptDecision {
  readonly _tag: "Interrupt"
  readonly step: number
  readonly fiber: number
}

/** @internal */
export type Decision = PickDecision | YieldDecision | InterruptDecision

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
