/**
 * What an arena accepts as options, checked before anything is created.
 */
import type * as Arena from "../Arena.js"
import { InvalidArenaConfig } from "./errors.js"

/**
 * The largest capacity: beyond 2^24 slots the typed arrays alone would take over 300 MiB, which
 * is a sign of a misconfiguration rather than a real need.
 *
 * @internal
 */
export const maxCapacity = 2 ** 24

/** @internal */
export const validate = <A>(options: Arena.Options<A>): InvalidArenaConfig | undefined => {
  const { capacity, maxBytes, onFull } = options
  if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > maxCapacity) {
    return new InvalidArenaConfig({
      option: "capacity",
      value: capacity,
      expected: `an integer from 1 to ${maxCapacity}`
    })
  }
  if (maxBytes !== undefined) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      return new InvalidArenaConfig({ option: "maxBytes", value: maxBytes, expected: "a positive integer" })
    }
    if (options.bytesOf === undefined) {
      return new InvalidArenaConfig({
        option: "bytesOf",
        value: undefined,
        expected: "a function that weighs each value, because maxBytes is set"
      })
    }
  }
  if (onFull !== undefined && onFull !== "suspend" && onFull !== "fail") {
    return new InvalidArenaConfig({ option: "onFull", value: onFull, expected: `"suspend" or "fail"` })
  }
  return undefined
}
