import { Semaphore } from "@weft/channel"
import type { ChannelError } from "@weft/channel"
import type { Effect, Option } from "effect"
import { pipe } from "effect"
import { describe, expectTypeOf, it } from "vitest"

declare const permits: Semaphore.Semaphore
declare const query: Effect.Effect<string, Error, "Database">

describe("Semaphore types", () => {
  it("make carries the typed InvalidPermits; unsafeMake returns the semaphore", () => {
    expectTypeOf(Semaphore.make(2)).toEqualTypeOf<Effect.Effect<Semaphore.Semaphore, ChannelError.InvalidPermits>>()
    expectTypeOf(Semaphore.unsafeMake(2)).toEqualTypeOf<Semaphore.Semaphore>()
  })

  it("withPermit keeps the effect's types, data-first and data-last", () => {
    expectTypeOf(Semaphore.withPermit(query, permits)).toEqualTypeOf<Effect.Effect<string, Error, "Database">>()
    expectTypeOf(pipe(query, Semaphore.withPermit(permits))).toEqualTypeOf<Effect.Effect<string, Error, "Database">>()
    expectTypeOf(Semaphore.withPermitIfAvailable(query, permits)).toEqualTypeOf<
      Effect.Effect<Option.Option<string>, Error, "Database">
    >()
  })

  it("rejects what is not a semaphore or an effect", () => {
    // @ts-expect-error a number is not a semaphore
    Semaphore.withPermit(query, 1)
    // @ts-expect-error the semaphore comes second, data-first
    Semaphore.withPermit(permits, query)
    // @ts-expect-error only a Semaphore has permits to wait for
    Semaphore.awaitAllReturned({})
  })
})
