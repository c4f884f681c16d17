import { describe, expectTypeOf, it } from "@effect/vitest"
import type { ActorError } from "@weft/actor"
import type { Arena, MessageRef } from "@weft/arena"
import type { Dispatcher as D } from "@weft/dispatch"
import { Dispatcher } from "@weft/dispatch"
import type { Effect } from "effect"

declare const arena: Arena.Arena<Uint8Array>
declare const refs: ReadonlyArray<MessageRef.MessageRef>
declare const perMessage: D.Dispatcher<D.Delivery>
declare const batched: D.Dispatcher<D.Deliveries>
declare const both: D.Dispatcher<D.Delivery | D.Deliveries>

type FanOutError = ActorError.TellError | Arena.StaleRef | Arena.RefcountOverflow | Arena.ArenaClosed

describe("Dispatcher batch fan-out types", () => {
  it("dispatchRefAll needs plugins that take a Delivery; dispatchBatch, plugins that take Deliveries", () => {
    expectTypeOf(Dispatcher.dispatchRefAll(perMessage, arena, refs)).toEqualTypeOf<Effect.Effect<void, FanOutError>>()
    expectTypeOf(Dispatcher.dispatchBatch(batched, arena, refs)).toEqualTypeOf<Effect.Effect<void, FanOutError>>()
    // Plugins that take both may be fed either way.
    Dispatcher.dispatchRefAll(both, arena, refs)
    Dispatcher.dispatchBatch(both, arena, refs)
    // @ts-expect-error a plugin that takes single Deliveries cannot be sent a batch message
    Dispatcher.dispatchBatch(perMessage, arena, refs)
    // @ts-expect-error nor can a batch-only plugin be sent per-ref deliveries
    Dispatcher.dispatchRefAll(batched, arena, refs)
    // @ts-expect-error refs, not payloads
    Dispatcher.dispatchRefAll(perMessage, arena, [new Uint8Array(1)])
  })

  it("the fan-outs are pipeable, with the same types data-last", () => {
    expectTypeOf(perMessage.pipe(Dispatcher.dispatchRefAll(arena, refs))).toEqualTypeOf<
      Effect.Effect<void, FanOutError>
    >()
    expectTypeOf(batched.pipe(Dispatcher.dispatchBatch(arena, refs))).toEqualTypeOf<Effect.Effect<void, FanOutError>>()
    expectTypeOf(perMessage.pipe(Dispatcher.dispatchRef(arena, refs[0]!))).toEqualTypeOf<
      Effect.Effect<void, FanOutError>
    >()
    expectTypeOf<D.FanOutError>().toEqualTypeOf<FanOutError>()
    // @ts-expect-error a plugin that takes single Deliveries cannot be sent a batch message, data-last either
    perMessage.pipe(Dispatcher.dispatchBatch(arena, refs))
  })

  it("a Deliveries carries its refs and its settle", () => {
    expectTypeOf<D.Deliveries["refs"]>().toEqualTypeOf<ReadonlyArray<MessageRef.MessageRef>>()
    expectTypeOf<D.Deliveries["settle"]>().toEqualTypeOf<Effect.Effect<void>>()
    expectTypeOf<D.Deliveries["_tag"]>().toEqualTypeOf<"Deliveries">()
  })
})
