import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as ClusterEntity from "../ClusterEntity.js"
import { InvalidEntityOption } from "../ClusterEntityError.js"

const positiveInteger = "a positive integer"

const isPositiveInteger = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) > 0

/** A duration that is positive and finite (a zero or infinite one is almost always a mistake here). */
const isPositiveFiniteDuration = (value: unknown): boolean => {
  const duration = Duration.decodeUnknown(value)
  return Option.isSome(duration) && Duration.isFinite(duration.value) && Duration.toMillis(duration.value) > 0
}

/**
 * Every option of `ClusterEntity.layer`, and the entity type's `askTimeout`, checked in the order
 * they are documented; the first one out of range is the error.
 *
 * @internal
 */
export const validateLayerOptions = (
  entityType: string,
  askTimeout: Duration.Duration,
  options: ClusterEntity.LayerOptions | undefined
): Effect.Effect<void, InvalidEntityOption> => {
  const checks: Array<[option: string, value: unknown, valid: (value: unknown) => boolean, expected: string]> = []
  if (options?.mailbox?.capacity !== undefined) {
    checks.push(["mailbox.capacity", options.mailbox.capacity, isPositiveInteger, positiveInteger])
  }
  if (options?.entityMailboxCapacity !== undefined) {
    checks.push([
      "entityMailboxCapacity",
      options.entityMailboxCapacity,
      (value) => value === "unbounded" || isPositiveInteger(value),
      `${positiveInteger} or "unbounded"`
    ])
  }
  if (options?.maxIdleTime !== undefined) {
    checks.push(["maxIdleTime", options.maxIdleTime, isPositiveFiniteDuration, "a positive, finite duration"])
  }
  checks.push([
    "askTimeout",
    askTimeout,
    (value) => Duration.toMillis(value as Duration.Duration) > 0,
    "a positive duration"
  ])
  for (const [option, value, valid, expected] of checks) {
    if (!valid(value)) {
      return Effect.fail(new InvalidEntityOption({ entityType, option, value: describe(value), expected }))
    }
  }
  return Effect.void
}

/** Durations as people write them; other values as they are. */
const describe = (value: unknown): unknown => Duration.isDuration(value) ? Duration.format(value) : value
