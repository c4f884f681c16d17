import * as Effect from "effect/Effect"
import type * as Scheduler from "effect/Scheduler"

/**
 * How many times the fiber runtime asks `shouldYield` after a forced yield before it runs the
 * operation it yielded at. A yield that `shouldYield` requests is wrapped in
 * `withSchedulingPriority`, whose restoring steps run — and ask again — after the fiber resumes;
 * a scheduler that kept yielding there would stop the fiber for good. Measured once on this
 * Effect version rather than assumed, since it is a property of the runtime's internals.
 */
export const yieldOverhead: () => number = (() => {
  let measured: number | undefined
  return () => (measured ??= measure())
})()

/** If the probe cannot tell (a runtime that no longer works this way), skip this many asks. */
const fallback = 16

const measure = (): number => {
  const tasks: Array<Scheduler.Task> = []
  let asks = 0
  let asksAtRun: number | undefined
  const probe: Scheduler.Scheduler = {
    scheduleTask: (task) => {
      tasks.push(task)
    },
    // The first ask comes before the probe's only operation: yield there, answer no afterwards.
    shouldYield: () => ++asks === 1 ? 0 : false
  }
  Effect.runFork(Effect.sync(() => (asksAtRun = asks)), { scheduler: probe })
  for (let i = 0; i < 100 && tasks.length > 0 && asksAtRun === undefined; i++) tasks.shift()!()
  return asksAtRun === undefined || asksAtRun < 1 ? fallback : asksAtRun - 1
}
