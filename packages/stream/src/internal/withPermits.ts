import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Stream from "effect/Stream"
import { InvalidArgument, isPositiveInteger, isStream } from "./errors.js"

/** @internal */
export const withPermits = dual(
  (args) => isStream(args[0]),
  <A, E, R>(
    self: Stream.Stream<A, E, R>,
    semaphore: Effect.Semaphore,
    permits?: number
  ): Stream.Stream<A, E | InvalidArgument, R> => {
    const count = permits ?? 1
    if (!isPositiveInteger(count)) {
      return Stream.fail(
        new InvalidArgument({
          operation: "withPermits",
          argument: "permits",
          value: count,
          expected: "a positive integer"
        })
      )
    }
    return Stream.unwrapScoped(Effect.map(
      Stream.toPull(self),
      (pull) => Stream.repeatEffectChunkOption(semaphore.withPermits(count)(pull))
    ))
  }
)
