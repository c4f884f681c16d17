import { assert, describe, it } from "@effect/vitest"
import { Mpsc } from "@weft/channel"
import { Select } from "@weft/select"
import { Effect, Fiber } from "effect"

// Inside a span (every @effect/platform HTTP handler runs in one), Effect wraps object defects in a
// Proxy. The select's internal "nothing ready" signal must still be recognised there.
describe("select inside a traced fiber", () => {
  it.effect("a select with nothing ready waits for a branch instead of dying", () =>
    Effect.gen(function*() {
      const [txA, rxA] = yield* Mpsc.bounded<string>(4)
      const [, rxB] = yield* Mpsc.bounded<number>(4)
      const fiber = yield* Effect.fork(
        Select.select({ a: Select.recv(rxA), b: Select.recv(rxB) }).pipe(Effect.withSpan("handler"))
      )
      yield* Effect.yieldNow()
      yield* Mpsc.send(txA, "hello")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { _tag: "a", value: "hello" })
    }))
})
