import { assert, describe, expectTypeOf, it } from "@effect/vitest"
import { ActorError, ActorSystem } from "@weft/actor"
import { Duration, Effect, Exit, Layer } from "effect"

describe("ActorSystem options", () => {
  it.effect("an option the system cannot honour fails the layer with InvalidSystemOptions, naming it", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [ActorSystem.ActorSystem.Options, string]> = [
        [{ askTimeout: 0 }, "askTimeout"],
        [{ askTimeout: "soon" as Duration.DurationInput }, "askTimeout"],
        [{ stopTimeout: "later" as Duration.DurationInput }, "stopTimeout"],
        [{ deadLetterBuffer: 0 }, "deadLetterBuffer"],
        [{ deadLetterBuffer: 2.5 }, "deadLetterBuffer"],
        [{ poisonCapacity: -1 }, "poisonCapacity"],
        [{ poisonCapacity: Number.NaN }, "poisonCapacity"]
      ]
      for (const [options, option] of cases) {
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(ActorSystem.layer(options))))
        assert.isTrue(Exit.isFailure(exit), `${option}: expected a failure`)
        const error = yield* Effect.flip(exit)
        assert.instanceOf(error, ActorError.InvalidSystemOptions)
        assert.strictEqual(error.option, option)
      }
    }))

  it.effect("valid edge values build a system", () =>
    Effect.gen(function*() {
      const options = { askTimeout: Duration.millis(1), stopTimeout: 0, deadLetterBuffer: 1, poisonCapacity: 0 }
      const count = yield* Effect.provide(ActorSystem.deadLetterCount, ActorSystem.layer(options))
      assert.strictEqual(count, 0)
    }))

  it("without options the layer cannot fail; with options it can", () => {
    expectTypeOf(ActorSystem.layer()).toEqualTypeOf<Layer.Layer<ActorSystem.ActorSystem>>()
    expectTypeOf(ActorSystem.layer({ askTimeout: "1 second" })).toEqualTypeOf<
      Layer.Layer<ActorSystem.ActorSystem, ActorError.InvalidSystemOptions>
    >()
  })
})
