import type { Clock } from "effect"
import * as Effect from "effect/Effect"

/**
 * How long the workers of one pool may run synchronously before they let Node's event loop turn.
 * Effect's scheduler yields a busy fiber to other fibers, through microtasks, which timers and
 * I/O callbacks cannot interleave with; only a macrotask lets them run.
 */
const budgetMillis = 10

/** Elements a worker handles between two looks at the clock: keeps the clock off the hot path. */
export const elementsPerCheck = 1024

// `setImmediate` runs after the event loop's timers and I/O; elsewhere a zero timeout does.
const nextMacrotask = (resume: () => void): () => void => {
  if (typeof setImmediate === "function") {
    const handle = setImmediate(resume)
    return () => clearImmediate(handle)
  }
  const handle = setTimeout(resume, 0)
  return () => clearTimeout(handle)
}

/**
 * A time budget shared by the fibers of one pool. Once it is spent, every fiber that checks it
 * waits for the next macrotask, so the whole pool steps aside and the event loop turns; the first
 * one back starts a new budget.
 *
 * Time is the `Clock`'s: under `TestClock` the budget is spent only when a test moves the clock,
 * so tests that count scheduler yields stay deterministic.
 *
 * @internal
 */
export class EventLoopBudget {
  private startedAt: number

  constructor(private readonly clock: Clock.Clock) {
    this.startedAt = clock.unsafeCurrentTimeMillis()
  }

  spent(): boolean {
    return this.clock.unsafeCurrentTimeMillis() - this.startedAt >= budgetMillis
  }

  readonly yieldToEventLoop: Effect.Effect<void> = Effect.async<void>((resume) => {
    const cancel = nextMacrotask(() => {
      this.startedAt = this.clock.unsafeCurrentTimeMillis()
      resume(Effect.void)
    })
    return Effect.sync(cancel)
  })
}
