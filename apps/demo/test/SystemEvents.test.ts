import { assert, describe, it } from "@effect/vitest"
import { Broadcast } from "@weft/channel"
import { Effect, Exit, FastCheck, Fiber, Scope } from "effect"
import * as SystemEvents from "../src/gateway/SystemEvents.js"

const recorder = () => {
  const seen: Array<number> = []
  const lags: Array<number> = []
  const handlers: SystemEvents.Handlers<number> = {
    onEvent: (event) => seen.push(event),
    onLagged: (skipped) => lags.push(skipped)
  }
  return { seen, lags, handlers }
}

describe("SystemEvents.follow", () => {
  it.effect.prop(
    "hands every event on exactly once, in order, though its followers are interrupted anywhere",
    {
      rounds: FastCheck.array(FastCheck.record({ events: FastCheck.nat(6), yields: FastCheck.nat(3) }), {
        minLength: 1,
        maxLength: 10
      })
    },
    ({ rounds }) =>
      Effect.gen(function*() {
        const [tx, events] = yield* Broadcast.make<number>({ capacity: 64, lag: "dropOldest" })
        const { handlers, lags, seen } = recorder()
        let sent = 0
        for (const round of rounds) {
          const scope = yield* Scope.make()
          yield* SystemEvents.follow(events, handlers).pipe(Scope.extend(scope))
          for (let i = 0; i < round.events; i++) {
            yield* Broadcast.send(tx, sent++)
            for (let y = 0; y < round.yields; y++) yield* Effect.yieldNow()
          }
          yield* Scope.close(scope, Exit.void)
        }
        assert.deepStrictEqual(seen, Array.from({ length: sent }, (_, n) => n))
        assert.deepStrictEqual(lags, [])
      }),
    { fastCheck: { numRuns: 50 } }
  )

  it.effect("a follower that fell behind is told exactly how many it lost, then goes on", () =>
    Effect.gen(function*() {
      const [tx, events] = yield* Broadcast.make<number>({ capacity: 2, lag: "dropOldest" })
      const { handlers, lags, seen } = recorder()
      for (let n = 0; n < 5; n++) yield* Broadcast.send(tx, n)
      yield* Broadcast.close(tx)
      const follower = yield* SystemEvents.follow(events, handlers)
      yield* Fiber.join(follower) // ends with the channel
      assert.deepStrictEqual(lags, [3])
      assert.deepStrictEqual(seen, [3, 4])
    }).pipe(Effect.scoped))
})
