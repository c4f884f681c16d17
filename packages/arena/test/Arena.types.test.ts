import { describe, expectTypeOf, it } from "@effect/vitest"
import type { MessageRef } from "@weft/arena"
import { Arena, MessageArena } from "@weft/arena"
import type { Bytes } from "@weft/bytes"
import type { Effect, Layer, Option, Scope } from "effect"

declare const ref: MessageRef.MessageRef
declare const arena: Arena.Arena<string>
declare const messages: MessageArena.MessageArena.Service
declare const refs: ReadonlyArray<MessageRef.MessageRef>

describe("MessageRef types", () => {
  it("a ref is not a number, and a number or a look-alike object is not a ref", () => {
    expectTypeOf<MessageRef.MessageRef>().not.toEqualTypeOf<number>()
    expectTypeOf<number>().not.toMatchTypeOf<MessageRef.MessageRef>()
    expectTypeOf<{ index: number; generation: number }>().not.toMatchTypeOf<MessageRef.MessageRef>()
    // @ts-expect-error a plain number is not a ref
    arena.get(3)
    // @ts-expect-error a hand-written object is not a ref: only arenas mint them
    arena.release({ index: 0, generation: 0 })
    // @ts-expect-error a ref is not a number either
    const n: number = ref
    void n
    expectTypeOf(ref.index).toEqualTypeOf<number>()
    expectTypeOf(ref.generation).toEqualTypeOf<number>()
  })

  it("index and generation are read-only", () => {
    // @ts-expect-error refs are immutable values
    ref.generation = 1
  })
})

describe("Arena types", () => {
  it("operations carry their payload type and typed errors", () => {
    expectTypeOf(arena.alloc("x")).toEqualTypeOf<
      Effect.Effect<MessageRef.MessageRef<string>, Arena.ArenaFull | Arena.PayloadTooLarge | Arena.ArenaClosed>
    >()
    expectTypeOf(arena.tryAlloc("x")).toEqualTypeOf<
      Effect.Effect<Option.Option<MessageRef.MessageRef<string>>, Arena.PayloadTooLarge | Arena.ArenaClosed>
    >()
    expectTypeOf(arena.allocScoped("x")).toEqualTypeOf<
      Effect.Effect<
        MessageRef.MessageRef<string>,
        Arena.ArenaFull | Arena.PayloadTooLarge | Arena.ArenaClosed,
        Scope.Scope
      >
    >()
    expectTypeOf(arena.get(ref)).toEqualTypeOf<Effect.Effect<string, Arena.StaleRef | Arena.ArenaClosed>>()
    expectTypeOf(arena.getOption(ref)).toEqualTypeOf<Effect.Effect<Option.Option<string>, Arena.ArenaClosed>>()
    expectTypeOf(arena.release(ref)).toEqualTypeOf<Effect.Effect<void, Arena.StaleRef | Arena.ArenaClosed>>()
    expectTypeOf(arena.stats).toEqualTypeOf<Effect.Effect<Arena.Stats>>()
    // @ts-expect-error an Arena<string> stores strings only
    arena.alloc(42)
  })

  it("the module functions are dual and keep the types", () => {
    expectTypeOf(Arena.get(arena, ref)).toEqualTypeOf<Effect.Effect<string, Arena.StaleRef | Arena.ArenaClosed>>()
    expectTypeOf(arena.pipe(Arena.get(ref))).toEqualTypeOf<Effect.Effect<string, Arena.StaleRef | Arena.ArenaClosed>>()
    expectTypeOf(arena.pipe(Arena.alloc("x"))).toEqualTypeOf<
      Effect.Effect<MessageRef.MessageRef<string>, Arena.ArenaFull | Arena.PayloadTooLarge | Arena.ArenaClosed>
    >()
    const used = Arena.use(arena, ref, (s) => {
      expectTypeOf(s).toEqualTypeOf<string>()
      return null as unknown as Effect.Effect<number, "boom", "R">
    })
    expectTypeOf(used).toEqualTypeOf<
      Effect.Effect<number, "boom" | Arena.StaleRef | Arena.RefcountOverflow | Arena.ArenaClosed, "R">
    >()
  })

  it("batch operations: refs in, refs out, typed errors, dual", () => {
    expectTypeOf(Arena.allocUpTo(arena, ["a", "b"])).toEqualTypeOf<
      Effect.Effect<
        ReadonlyArray<MessageRef.MessageRef<string>>,
        Arena.ArenaFull | Arena.PayloadTooLarge | Arena.ArenaClosed
      >
    >()
    expectTypeOf(arena.pipe(Arena.allocUpTo(["a"]))).toEqualTypeOf(arena.allocUpTo(["a"]))
    expectTypeOf(Arena.retainAll(arena, refs, 2)).toEqualTypeOf<
      Effect.Effect<void, Arena.StaleRef | Arena.RefcountOverflow | Arena.InvalidCount | Arena.ArenaClosed>
    >()
    expectTypeOf(arena.pipe(Arena.retainAll(refs))).toEqualTypeOf(Arena.retainAll(arena, refs))
    expectTypeOf(Arena.releaseAll(arena, refs)).toEqualTypeOf<Effect.Effect<number, Arena.ArenaClosed>>()
    expectTypeOf(messages.allocUpTo([])).toEqualTypeOf(
      null as unknown as Effect.Effect<
        ReadonlyArray<MessageRef.MessageRef<Bytes.Bytes>>,
        Arena.ArenaFull | Arena.PayloadTooLarge | Arena.ArenaClosed
      >
    )
    // @ts-expect-error an Arena<string> stores strings only, in batches too
    Arena.allocUpTo(arena, [1, 2])
    // @ts-expect-error refs, not values
    Arena.releaseAll(arena, ["a"])
  })

  it("errors carry their facts", () => {
    expectTypeOf<Arena.StaleRef["currentGeneration"]>().toEqualTypeOf<number | undefined>()
    expectTypeOf<Arena.StaleRef["ref"]>().toEqualTypeOf<MessageRef.MessageRef>()
    expectTypeOf<Arena.ArenaFull>().toHaveProperty("capacity").toEqualTypeOf<number>()
    expectTypeOf<Arena.ArenaFull>().toHaveProperty("live").toEqualTypeOf<number>()
    expectTypeOf<Arena.ArenaFull>().toHaveProperty("bytes").toEqualTypeOf<number>()
    expectTypeOf<Arena.ArenaFull["_tag"]>().toEqualTypeOf<"ArenaFull">()
  })

  it("make needs a Scope and fails only with InvalidArenaConfig", () => {
    expectTypeOf(Arena.make<string>({ capacity: 8 })).toEqualTypeOf<
      Effect.Effect<Arena.Arena<string>, Arena.InvalidArenaConfig, Scope.Scope>
    >()
    // @ts-expect-error onFull is "suspend" or "fail"
    Arena.make<string>({ capacity: 8, onFull: "drop" })
  })
})

describe("MessageArena types", () => {
  it("the service is an Arena of Bytes and the layer fails only with InvalidArenaConfig", () => {
    expectTypeOf(messages).toMatchTypeOf<Arena.Arena<Bytes.Bytes>>()
    expectTypeOf(messages.get(ref)).toEqualTypeOf<Effect.Effect<Bytes.Bytes, Arena.StaleRef | Arena.ArenaClosed>>()
    expectTypeOf(MessageArena.layer({ capacity: 8 })).toEqualTypeOf<
      Layer.Layer<MessageArena.MessageArena, Arena.InvalidArenaConfig>
    >()
    MessageArena.layer({ capacity: 8, copyIn: "always" })
    MessageArena.layer({ capacity: 8, copyIn: { belowBytes: 512 }, maxBytes: 1 << 20, onFull: "fail", name: "x" })
    // @ts-expect-error copyIn is "never", "always" or { belowBytes }
    MessageArena.layer({ capacity: 8, copyIn: "sometimes" })
    // @ts-expect-error a MessageArena stores Bytes, not strings
    messages.alloc("text")
  })
})
