import type { Decision, PctStrategy, RandomStrategy, Strategy } from "./model.js"
import { Prng } from "./prng.js"

/** What the running fiber does before its next operation. */
export type OpChoice = "run" | "yield" | "interrupt"

/**
 * The policy behind a controlled scheduler: every choice the scheduler makes goes through here,
 * so a chooser fed the same answers (a seed, or a recorded trace) replays the same interleaving.
 * Fibers are numbered from 1 in the order the scheduler first meets them; 0 is a task that
 * belongs to no fiber.
 */
export interface Chooser {
  /** Which ready task runs next, as an index into `ready` (oldest first; 0 is Effect's own choice). */
  pick(step: number, ready: ReadonlyArray<number>): number
  /** Before an operation of `fiber`; `interruptible` when the program lets the explorer interrupt it. */
  atOp(step: number, fiber: number, interruptible: boolean, ready: ReadonlyArray<number>): OpChoice
  /**
   * Between two tasks, which of the `waiting` fibers (marked by the program, alive, not running)
   * to interrupt, as an index into `waiting`, or -1 for none.
   */
  interruptWaiting(step: number, waiting: ReadonlyArray<number>): number
  /** `fiber` rescheduled itself without being told to (`Effect.yieldNow`, its op budget). */
  yielded(fiber: number): void
}

const interruptAtRandom = (probability: number, prng: Prng) => (_: number, waiting: ReadonlyArray<number>): number =>
  prng.nextFloat() < probability ? prng.nextInt(waiting.length) : -1

/**
 * Without preemption a fiber runs atomically from one suspension to the next, as on Effect's
 * default scheduler, so an interrupt only lands while the fiber waits or is queued; with it, one
 * may land before any operation.
 */
const random = (strategy: RandomStrategy, prng: Prng): Chooser => ({
  pick: (_, ready) => prng.nextInt(ready.length),
  atOp: (_, __, interruptible, ready) => {
    if (strategy.preemption === 0) return "run"
    if (interruptible && prng.nextFloat() < strategy.interruption) return "interrupt"
    return ready.length > 0 && prng.nextFloat() < strategy.preemption ? "yield" : "run"
  },
  interruptWaiting: interruptAtRandom(strategy.interruption, prng),
  yielded: () => {}
})

/**
 * Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): every fiber gets a random
 * priority above `depth`; the highest-priority ready fiber runs, and a running fiber is preempted
 * as soon as a higher-priority one is ready. At `depth - 1` change points, drawn uniformly from
 * the first `steps` operations, the running fiber drops to priority 1, 2, …. A bug that needs
 * `depth` ordering constraints among `n` fibers is then hit with probability at least
 * 1 / (n · steps^(depth - 1)) per run.
 */
const pct = (strategy: PctStrategy, steps: number, prng: Prng): Chooser => {
  const priorities = new Map<number, number>()
  const changePoints = new Map<number, number>()
  for (let i = 1; i < strategy.depth && changePoints.size < steps; i++) {
    let at = 1 + prng.nextInt(steps)
    while (changePoints.has(at)) at = 1 + prng.nextInt(steps)
    changePoints.set(at, i)
  }
  let lowest = 1
  let opSteps = 0
  const priorityOf = (fiber: number): number => {
    // A task of no fiber (an interrupt a combinator schedules) runs first, as it would in Effect.
    if (fiber === 0) return Infinity
    let priority = priorities.get(fiber)
    if (priority === undefined) {
      priority = strategy.depth + prng.nextFloat()
      priorities.set(fiber, priority)
    }
    return priority
  }
  const highest = (ready: ReadonlyArray<number>): number => {
    let best = 0
    for (let i = 1; i < ready.length; i++) if (priorityOf(ready[i]!) > priorityOf(ready[best]!)) best = i
    return best
  }
  return {
    pick: (_, ready) => highest(ready),
    atOp: (_, fiber, interruptible, ready) => {
      const change = changePoints.get(++opSteps)
      if (change !== undefined) {
        priorities.set(fiber, change)
        lowest = Math.min(lowest, change)
      }
      if (interruptible && prng.nextFloat() < strategy.interruption) return "interrupt"
      return ready.length > 0 && priorityOf(ready[highest(ready)]!) > priorityOf(fiber) ? "yield" : "run"
    },
    interruptWaiting: interruptAtRandom(strategy.interruption, prng),
    // A fiber that yields of its own accord (a spin-wait) drops below every other, so strict
    // priorities cannot starve the fiber it waits for.
    yielded: (fiber) => {
      lowest -= 1
      priorities.set(fiber, lowest)
    }
  }
}

/** Replays recorded decisions by step; every other choice is Effect's own (oldest task, no yield). */
export const scripted = (decisions: ReadonlyArray<Decision>): Chooser => {
  const byStep = new Map(decisions.map((decision) => [decision.step, decision]))
  return {
    pick: (step, ready) => {
      const decision = byStep.get(step)
      return decision?._tag === "Pick" ? Math.min(decision.index, ready.length - 1) : 0
    },
    atOp: (step, _, interruptible) => {
      const decision = byStep.get(step)
      if (decision?._tag === "Interrupt") return interruptible ? "interrupt" : "run"
      return decision?._tag === "Yield" ? "yield" : "run"
    },
    interruptWaiting: (step, waiting) => {
      const decision = byStep.get(step)
      return decision?._tag === "Interrupt" ? waiting.indexOf(decision.fiber) : -1
    },
    yielded: () => {}
  }
}

/** The chooser of one seeded run; `steps` is PCT's estimate of a run's length in operations. */
export const seeded = (strategy: Strategy, seed: number, steps: number): Chooser => {
  const prng = new Prng(seed)
  return strategy._tag === "Random" ? random(strategy, prng) : pct(strategy, strategy.steps ?? steps, prng)
}
