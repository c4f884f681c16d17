import { Backpressure } from "@weft/stream"
import type { Chunk } from "effect"
import { Effect, Stream } from "effect"
import { describe, expectTypeOf, it } from "vitest"

class Boom {
  readonly _tag = "Boom"
}

const numbers: Stream.Stream<number, "upstream"> = Stream.make(1, 2, 3)

describe("Backpressure types", () => {
  it("mapConcurrent unions the upstream's, f's and the argument errors, data-first and data-last", () => {
    const f = (n: number) => n > 2 ? Effect.fail(new Boom()) : Effect.succeed(String(n))
    expectTypeOf(numbers.pipe(Backpressure.mapConcurrent(4, f))).toEqualTypeOf<
      Stream.Stream<string, "upstream" | Boom | Backpressure.InvalidArgument>
    >()
    expectTypeOf(Backpressure.mapConcurrent(numbers, 4, f)).toEqualTypeOf<
      Stream.Stream<string, "upstream" | Boom | Backpressure.InvalidArgument>
    >()
    expectTypeOf(Backpressure.mapConcurrentUnordered(numbers, 4, f)).toEqualTypeOf<
      Stream.Stream<string, "upstream" | Boom | Backpressure.InvalidArgument>
    >()
  })

  it("f must accept the stream's elements", () => {
    // @ts-expect-error: a string function on a number stream
    Backpressure.mapConcurrent(numbers, 4, (s: string) => Effect.succeed(s.length))
  })

  it("forEachConcurrent is an effect, chunksTimeout a stream of chunks, withPermits keeps the type", () => {
    expectTypeOf(numbers.pipe(Backpressure.forEachConcurrent(2, () => Effect.void))).toEqualTypeOf<
      Effect.Effect<void, "upstream" | Backpressure.InvalidArgument>
    >()
    expectTypeOf(numbers.pipe(Backpressure.chunksTimeout(10, "1 second"))).toEqualTypeOf<
      Stream.Stream<Chunk.Chunk<number>, "upstream" | Backpressure.InvalidArgument>
    >()
    const semaphore = Effect.unsafeMakeSemaphore(1)
    expectTypeOf(numbers.pipe(Backpressure.withPermits(semaphore))).toEqualTypeOf<
      Stream.Stream<number, "upstream" | Backpressure.InvalidArgument>
    >()
  })

  it("options are checked", () => {
    // @ts-expect-error: unknown option
    Backpressure.mapConcurrent(numbers, 4, Effect.succeed, { buffer: 3 })
  })
})
