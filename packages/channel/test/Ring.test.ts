import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { Ring } from "../src/internal/ring.js"

type Op =
  | { readonly _tag: "push"; readonly value: number }
  | { readonly _tag: "pushAll"; readonly values: ReadonlyArray<number> }
  | { readonly _tag: "shift" }
  | { readonly _tag: "drain"; readonly max: number }

const op: FastCheck.Arbitrary<Op> = FastCheck.oneof(
  FastCheck.record({ _tag: FastCheck.constant("push" as const), value: FastCheck.integer() }),
  FastCheck.record({
    _tag: FastCheck.constant("pushAll" as const),
    values: FastCheck.array(FastCheck.integer(), { maxLength: 40 })
  }),
  FastCheck.record({ _tag: FastCheck.constant("shift" as const) }),
  FastCheck.record({ _tag: FastCheck.constant("drain" as const), max: FastCheck.integer({ min: 0, max: 50 }) })
)

describe("Ring (internal)", () => {
  it.prop("behaves like an array used as a FIFO queue, across wrap-around and growth", [
    FastCheck.array(op, { maxLength: 200 })
  ], ([ops]) => {
    const ring = new Ring<number>(1)
    const model: Array<number> = []
    for (const o of ops) {
      switch (o._tag) {
        case "push":
          ring.push(o.value)
          model.push(o.value)
          break
        case "pushAll":
          ring.pushAll(o.values, 0, o.values.length)
          model.push(...o.values)
          break
        case "shift":
          if (model.length > 0) assert.strictEqual(ring.shift(), model.shift())
          break
        case "drain":
          assert.deepStrictEqual(ring.drain(o.max), model.splice(0, o.max))
          break
      }
      assert.strictEqual(ring.length, model.length)
    }
    assert.deepStrictEqual(ring.drain(Infinity), model)
  })
})
