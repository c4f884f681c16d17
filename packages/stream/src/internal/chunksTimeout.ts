import { Mpsc } from "@weft/channel"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { InvalidArgument, isNonNegativeDuration, isPositiveInteger, isStream } from "./errors.js"

/**
 * `chunksTimeout`: a producer fiber feeds a channel of capacity `size`; the consumer waits for the
 * first element, then for more until the chunk is full or the deadline passes. The wait for "more"
 * is `awaitReadable` under a timeout: it consumes nothing, so losing the race to the clock cannot
 * lose an element (unlike a timeout around a receive).
 */
/** @internal */
export const chunksTimeout = dual(
  (args) => isStream(args[0]),
  <A, E, R>(
    self: Stream.Stream<A, E, R>,
    size: number,
    duration: Duration.DurationInput
  ): Stream.Stream<Chunk.Chunk<A>, E | InvalidArgument, R> => {
    if (!isPositiveInteger(size)) {
      return Stream.fail(
        new InvalidArgument({
          operation: "chunksTimeout",
          argument: "size",
          value: size,
          expected: "a positive integer"
        })
      )
    }
    if (!isNonNegativeDuration(duration)) {
      return Stream.fail(
        new InvalidArgument({
          operation: "chunksTimeout",
          argument: "duration",
          value: duration,
          expected: "a non-negative duration"
        })
      )
    }
    const millis = Duration.toMillis(Duration.decode(duration))
    return Stream.unwrapScoped(Effect.gen(function*() {
      const [tx, rx] = yield* Effect.orDie(Mpsc.bounded<A>(size))
      let failure: Cause.Cause<E> | undefined = undefined
      yield* Stream.runForEachChunk(self, (chunk) => Mpsc.sendAll(tx, chunk)).pipe(
        Effect.catchAllCause((cause) => Effect.sync(() => void (failure = cause as Cause.Cause<E>))),
        Effect.ensuring(Mpsc.close(tx)),
        Effect.forkScoped
      )
      const ended = Effect.suspend(() =>
        failure === undefined ? Effect.fail(Option.none()) : Effect.failCause(Cause.map(failure, Option.some))
      )
      const fill = (
        buffer: Array<A>,
        deadline: number
      ): Effect.Effect<Chunk.Chunk<A>> =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          if (buffer.length >= size || now >= deadline) return Effect.succeed(Chunk.unsafeFromArray(buffer))
          return Effect.flatMap(Effect.timeout(Mpsc.awaitReadable(rx), deadline - now).pipe(Effect.option), (ready) =>
            Option.isNone(ready)
              ? Effect.succeed(Chunk.unsafeFromArray(buffer))
              : Effect.flatMap(Effect.exit(Mpsc.recvUpTo(rx, size - buffer.length)), (exit) => {
                // Closed: emit what we have; the next pull sees the end.
                if (Exit.isFailure(exit)) {
                  return Effect.succeed(Chunk.unsafeFromArray(buffer))
                }
                for (const a of exit.value) {
                  buffer.push(a)
                }
                return fill(buffer, deadline)
              }))
        })
      const pull: Effect.Effect<Chunk.Chunk<Chunk.Chunk<A>>, Option.Option<E>> = Effect.flatMap(
        Effect.exit(Mpsc.recvUpTo(rx, size)),
        (exit) =>
          Exit.isFailure(exit)
            ? ended
            : Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.map(fill(Array.from(exit.value), now + millis), Chunk.of))
      )
      return Stream.repeatEffectChunkOption(pull)
    }))
  }
)
