import { assert, describe, it } from "@effect/vitest"
import { Mpsc } from "@weft/channel"
import { Select, Wait } from "@weft/select"
import { Effect } from "effect"

describe("guards", () => {
  it.effect("isBranch recognises the module's branches; isDiscardable its marked effects", () =>
    Effect.gen(function*() {
      const [, rx] = yield* Mpsc.bounded<number>(1)
      const branch = Select.recv(rx)
      const marked = Wait.discardable(Effect.void)
      assert.deepStrictEqual([branch, Select.sleep("1 second"), rx, marked, Effect.void].map(Select.isBranch), [
        true,
        true,
        false,
        false,
        false
      ])
      assert.deepStrictEqual([marked, branch, Effect.void].map(Wait.isDiscardable), [true, false, false])
    }))
})
