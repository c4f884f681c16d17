import { assert, describe, it } from "@effect/vitest"
import { Arena, MessageRef } from "@weft/arena"
import { Array as Arr, Effect, Equal, Hash, HashSet } from "effect"
import { inspect } from "node:util"

/** Real refs, minted by an arena: slot 0 at generations 0 and 1, slot 1 at generation 0. */
const mintRefs = Effect.gen(function*() {
  const arena = yield* Arena.make<string>({ capacity: 2 })
  const first = yield* arena.alloc("a")
  const second = yield* arena.alloc("b")
  yield* arena.release(first)
  const reused = yield* arena.alloc("c")
  return { first, second, reused }
})

describe("MessageRef", () => {
  it.scoped("refs are values: Equal and Hash follow index and generation, not identity", () =>
    Effect.gen(function*() {
      const { first, reused, second } = yield* mintRefs
      const arena = yield* Arena.make<string>({ capacity: 2 })
      const twin = yield* arena.alloc("other arena, same slot, same generation")
      assert.isTrue(Equal.equals(first, twin))
      assert.strictEqual(Hash.hash(first), Hash.hash(twin))
      assert.isFalse(Equal.equals(first, reused)) // same slot, next generation
      assert.isFalse(Equal.equals(first, second)) // other slot
      assert.strictEqual(HashSet.size(HashSet.make(first, twin, reused, second)), 3)
    }))

  it.scoped("prints as ref(index@generation)", () =>
    Effect.gen(function*() {
      const { reused, second } = yield* mintRefs
      assert.strictEqual(String(reused), "ref(0@1)")
      assert.strictEqual(`${second}`, "ref(1@0)")
      assert.strictEqual(inspect(reused), "ref(0@1)")
      assert.deepStrictEqual(reused.toJSON(), { _id: "MessageRef", index: 0, generation: 1 })
    }))

  it.scoped("Order sorts by index, then generation", () =>
    Effect.gen(function*() {
      const { first, reused, second } = yield* mintRefs
      const sorted = Arr.sort([second, reused, first], MessageRef.Order)
      assert.deepStrictEqual(sorted.map(String), ["ref(0@0)", "ref(0@1)", "ref(1@0)"])
    }))

  it.scoped("isMessageRef accepts minted refs only, not look-alikes", () =>
    Effect.gen(function*() {
      const { first } = yield* mintRefs
      assert.isTrue(MessageRef.isMessageRef(first))
      assert.isFalse(MessageRef.isMessageRef({ index: 0, generation: 0 }))
      assert.isFalse(MessageRef.isMessageRef(0))
    }))
})
