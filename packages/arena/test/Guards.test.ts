import { assert, describe, it } from "@effect/vitest"
import { Arena, MessageRef } from "@weft/arena"
import { Effect } from "effect"

describe("guards", () => {
  it.scoped("isArena and isMessageRef recognise an arena and its refs, and nothing else", () =>
    Effect.gen(function*() {
      const arena = yield* Arena.make<string>({ capacity: 2 })
      const ref = yield* Arena.alloc(arena, "a")
      assert.isTrue(Arena.isArena(arena))
      assert.isTrue(MessageRef.isMessageRef(ref))
      assert.isFalse(Arena.isArena(ref))
      assert.isFalse(MessageRef.isMessageRef(arena))
      assert.isFalse(Arena.isArena({ alloc: arena.alloc }))
      assert.isFalse(MessageRef.isMessageRef({ index: ref.index, generation: ref.generation }))
    }))
})
