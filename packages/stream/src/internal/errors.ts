import { Data } from "effect"

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
