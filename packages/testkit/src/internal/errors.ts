/**
 * The errors of @weft/testkit, declared once here so that the implementation can raise them
 * without importing the public module that re-exports them.
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import { type Decision, formatDecision, formatStrategy, type Strategy } from "./model.js"

/** How many lines of the program's own failure a failure message quotes. */
const causeLines = 12

/**
 * An interleaving under which the program failed, deadlocked or ran past the step limit.
 *
 * `decisions` are the forced scheduling decisions of that interleaving, shrunk to the fewest that
 * still make the program end the same way (`unshrunk` is how many the run that found it had);
 * `replay(program, failure)` reruns exactly that interleaving. `runSeed` with `strategy` names the
 * unshrunk run: `replay(program, { seed: runSeed, strategy })`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InterleavingFailure extends Data.TaggedError("InterleavingFailure")<{
  /** `failed`: the program failed or died; `deadlock`: it waited with nothing left to run; `step-limit`: it never ended. */
  readonly reason: "failed" | "deadlock" | "step-limit"
  /** The program's failure under the shrunk interleaving (`reason: "failed"` only). */
  readonly cause: Cause.Cause<unknown> | undefined
  /** The seed the check started from; with the same options the check finds this failure again. */
  readonly seed: number
  /** The run that failed: 0 is the unforced schedule (Effect's own order), then 1 to `runs`. */
  readonly run: number
  readonly runs: number
  readonly runSeed: number
  readonly strategy: Strategy
  readonly decisions: ReadonlyArray<Decision>
  readonly unshrunk: number
  /** Steps (operations and choices) of the shrunk interleaving. */
  readonly steps: number
}> {
  override get message() {
    const what = this.reason === "failed"
      ? "the program failed"
      : this.reason === "deadlock"
      ? "the program deadlocked (it waited with no fiber left to run)"
      : `the program did not end within ${this.steps} steps`
    const found = this.run === 0
      ? "under Effect's own schedule (run 0, before any forced decision)"
      : `in run ${this.run} of ${this.runs} (seed ${this.seed}, run seed ${this.runSeed}, ${
        formatStrategy(this.strategy)
      })`
    const lines = [
      `${what} ${found}; ${this.decisions.length} forced decision(s), shrunk from ${this.unshrunk}:`,
      ...(this.decisions.length === 0
        ? ["  (none)"]
        : this.decisions.map((decision) => `  ${formatDecision(decision)}`))
    ]
    if (this.cause !== undefined) {
      // The program's own message, without the runtime's stack frames.
      const pretty = Cause.pretty(this.cause).split("\n").filter((line) => !/^\s+at /.test(line))
      lines.push("program failure:", ...pretty.slice(0, causeLines).map((line) => `  ${line}`))
      if (pretty.length > causeLines) lines.push("  …")
    }
    lines.push("replay it with Interleavings.replay(program, failure)")
    return lines.join("\n")
  }
}

/**
 * A replayed interleaving in which the program waited with no fiber left to run — every fiber
 * suspended, and no work outside Effect woke one within the driver's idle turns.
 *
 * @since 0.1.0
 * @category errors
 */
export class Deadlock extends Data.TaggedError("Deadlock")<{
  readonly steps: number
}> {
  override get message() {
    return `deadlock after ${this.steps} steps: every fiber of the program waits and nothing is left to run`
  }
}

/**
 * A replayed interleaving that had not ended after `limit` steps (operations and choices).
 *
 * @since 0.1.0
 * @category errors
 */
export class StepLimitExceeded extends Data.TaggedError("StepLimitExceeded")<{
  readonly limit: number
}> {
  override get message() {
    return `the program did not end within ${this.limit} steps (a livelock, or raise maxSteps)`
  }
}

/**
 * An option of `check` or `replay` out of its range.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidExplorationOption extends Data.TaggedError("InvalidExplorationOption")<{
  readonly option: string
  readonly value: unknown
  readonly expected: string
}> {
  override get message() {
    return `${this.option} is ${String(this.value)}; expected ${this.expected}`
  }
}
