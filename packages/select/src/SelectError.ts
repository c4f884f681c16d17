/**
 * The errors of `@weft/select`, each with the facts that explain it and a human `message`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"

/**
 * Every branch of a `select` (or `selectLoop` iteration) was disabled by its `when` guard, and no
 * `orElse` was given. `branches` names the disabled branches; it is empty when the select had none.
 *
 * @since 0.1.0
 * @category errors
 */
export class AllBranchesDisabled extends Data.TaggedError("AllBranchesDisabled")<{
  readonly branches: ReadonlyArray<string>
}> {
  override get message() {
    return this.branches.length === 0
      ? "the select has no branches"
      : `every branch of the select is disabled by its guard: ${this.branches.join(", ")}`
  }
}

/**
 * The time given to `timeout` or `deadline` ran out before a value arrived. `after` is how long the
 * operation was allowed to take.
 *
 * @since 0.1.0
 * @category errors
 */
export class TimeoutError extends Data.TaggedError("TimeoutError")<{
  readonly after: Duration.Duration
}> {
  override get message() {
    return `timed out after ${Duration.format(this.after)}`
  }
}

/**
 * The `AbortSignal` an operation was bound to was aborted; `reason` is the signal's reason.
 *
 * @since 0.1.0
 * @category errors
 */
export class Aborted extends Data.TaggedError("Aborted")<{
  readonly reason: unknown
}> {
  override get message() {
    return `aborted: ${String(this.reason)}`
  }
}
