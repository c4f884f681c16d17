import { assert, describe, it } from "@effect/vitest"
import { Broadcast, Mpsc, Oneshot, Readiness, Watch } from "@weft/channel"
import { Effect, Exit } from "effect"

describe("guards", () => {
  it.effect("each end is recognised by its own guard and by no other", () =>
    Effect.gen(function*() {
      const [mpscTx, mpscRx] = yield* Mpsc.bounded<number>(1)
      const [oneshotTx, oneshotRx] = yield* Oneshot.make<number>()
      const [watchTx, watchRx] = yield* Watch.make(0)
      const [broadcastTx, subscription] = yield* Broadcast.make<number>({ capacity: 1 })
      const ends = [mpscTx, mpscRx, oneshotTx, oneshotRx, watchTx, watchRx, broadcastTx, subscription]
      const guards = [
        Mpsc.isSender,
        Mpsc.isReceiver,
        Oneshot.isSender,
        Oneshot.isReceiver,
        Watch.isSender,
        Watch.isReceiver,
        Broadcast.isSender,
        Broadcast.isSubscription
      ]
      guards.forEach((guard, i) => {
        assert.deepStrictEqual(ends.map((end) => guard(end)), ends.map((_, j) => i === j), `guard ${i}`)
        assert.isFalse(guard({}))
        assert.isFalse(guard(null))
      })
      // Every receiving end, and a user source, is claimable; the senders are not.
      const user = Readiness.make({ claim: () => Exit.succeed(1), onReady: () => () => {} })
      assert.deepStrictEqual(
        [mpscRx, oneshotRx, watchRx, subscription, user].map(Readiness.isClaimable),
        [true, true, true, true, true]
      )
      assert.deepStrictEqual([mpscTx, oneshotTx, watchTx, broadcastTx].map(Readiness.isClaimable), [
        false,
        false,
        false,
        false
      ])
    }))
})
