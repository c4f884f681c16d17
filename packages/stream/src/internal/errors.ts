import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Stream from "effect/Stream"

/** @internal */
export class InvalidArgument extends Data.TaggedError("InvalidArgument")<{
  readonly operation: string
  readonly argument: string
  readonly value: unknown
  readonly expected: string
}> {
  override get message() {
    return `${this.operation}: \`${this.argument}\` must be ${this.expected}, got ${String(this.value)}`
  }
}

/** @internal */
export const isPositiveInteger = (n: number): boolean => Number.isSafeInteger(n) && n > 0

// `Duration.decode` turns a negative or NaN number into zero and throws on a malformed string, so
// the sign is read from the input itself.
const isNegativeInput = (input: Duration.DurationInput): boolean => {
  if (typeof input === "number") return !(input >= 0)
  if (typeof input === "bigint") return input < 0n
  if (typeof input === "string") return input.trimStart().startsWith("-")
  if (Array.isArray(input)) return !(input[0] >= 0 && input[1] >= 0)
  return false
}

/** @internal */
export const isNonNegativeDuration = (input: Duration.DurationInput): boolean =>
  !isNegativeInput(input) && Option.isSome(Duration.decodeUnknown(input))

/** @internal */
export const isStream = (u: unknown): u is Stream.Stream<unknown, unknown, unknown> =>
  Predicate.hasProperty(u, Stream.StreamTypeId)
