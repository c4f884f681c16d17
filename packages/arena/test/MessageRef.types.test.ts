import { describe, expectTypeOf, it } from "@effect/vitest"
import type { MessageRef } from "@weft/arena"
import { Arena } from "@weft/arena"
import type { Effect } from "effect"

declare const strings: Arena.Arena<string>
declare const numbers: Arena.Arena<number>
declare const textRef: MessageRef.MessageRef<string>
declare const untyped: MessageRef.MessageRef

describe("MessageRef payload types", () => {
  it("an arena hands out refs typed by its payload", () => {
    expectTypeOf(strings.alloc("x")).toEqualTypeOf<
      Effect.Effect<MessageRef.MessageRef<string>, Arena.ArenaFull | Arena.PayloadTooLarge | Arena.ArenaClosed>
    >()
    expectTypeOf(Arena.allocUpTo(numbers, [1])).toEqualTypeOf<
      Effect.Effect<
        ReadonlyArray<MessageRef.MessageRef<number>>,
        Arena.ArenaFull | Arena.PayloadTooLarge | Arena.ArenaClosed
      >
    >()
  })

  it("a ref from an Arena<string> is not read, retained or released through an Arena<number>", () => {
    expectTypeOf(Arena.get(strings, textRef)).toEqualTypeOf<Effect.Effect<string, Arena.StaleRef | Arena.ArenaClosed>>()
    // @ts-expect-error the ref stands for a string
    Arena.get(numbers, textRef)
    // @ts-expect-error the ref stands for a string (data-last)
    numbers.pipe(Arena.get(textRef))
    // @ts-expect-error the ref stands for a string (method)
    numbers.get(textRef)
    // @ts-expect-error the refs stand for strings
    Arena.getAll(numbers, [textRef])
    // @ts-expect-error the ref stands for a string
    Arena.getOption(numbers, textRef)
    // @ts-expect-error the ref stands for a string
    Arena.use(numbers, textRef, () => null as unknown as Effect.Effect<void>)
    // @ts-expect-error the ref stands for a string
    Arena.retain(numbers, textRef)
    // @ts-expect-error the ref stands for a string
    Arena.release(numbers, textRef)
    // @ts-expect-error the refs stand for strings
    Arena.releaseAll(numbers, [textRef])
    // @ts-expect-error the refs stand for strings (data-last)
    numbers.pipe(Arena.retainAll([textRef]))
  })

  it("an untyped ref (a bare MessageRef) fits every arena, and a typed ref is still a MessageRef", () => {
    expectTypeOf(Arena.get(numbers, untyped)).toEqualTypeOf<Effect.Effect<number, Arena.StaleRef | Arena.ArenaClosed>>()
    expectTypeOf(numbers.pipe(Arena.get(untyped))).toEqualTypeOf<
      Effect.Effect<number, Arena.StaleRef | Arena.ArenaClosed>
    >()
    const stored: MessageRef.MessageRef = textRef
    expectTypeOf(Arena.release(strings, stored)).toEqualTypeOf<
      Effect.Effect<void, Arena.StaleRef | Arena.ArenaClosed>
    >()
  })
})
