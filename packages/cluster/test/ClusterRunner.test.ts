import * as EntityId from "@effect/cluster/EntityId"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import { Sharding } from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option } from "effect"
import { ClusterEntity, ClusterRunner, Embedded } from "../src/index.js"
import { Account, account, Balance, Deposit } from "./fixtures.js"

const millis = (duration: Duration.DurationInput | undefined) => Duration.toMillis(Duration.decode(duration!))

describe("ClusterRunner.quickFailover", () => {
  it("lets a dead runner's shard locks lapse after 4 s, with every step to a new owner well inside that", () => {
    const settings = ClusterRunner.quickFailover()
    const expiry = millis(settings.shardLockExpiration)
    assert.strictEqual(expiry, 4_000)
    assert.isBelow(expiry, millis(ShardingConfig.defaults.shardLockExpiration))
    // A live runner refreshes its locks several times before they could lapse.
    assert.isAtMost(millis(settings.shardLockRefreshInterval) * 3, expiry)
    for (
      const step of ["runnerHealthCheckInterval", "refreshAssignmentsInterval", "entityTerminationTimeout"] as const
    ) {
      assert.isBelow(millis(settings[step]), expiry, step)
    }
  })

  it("sets the runner address and shard count it is given, and leaves them to the cluster otherwise", () => {
    const address = RunnerAddress.make("127.0.0.1", 34431)
    const runner = ClusterRunner.quickFailover({ runnerAddress: address, shardsPerGroup: 60 })
    assert.deepStrictEqual(runner.runnerAddress, Option.some(address))
    assert.strictEqual(runner.shardsPerGroup, 60)
    const caller = ClusterRunner.quickFailover()
    assert.isFalse("runnerAddress" in caller)
    assert.isFalse("shardsPerGroup" in caller)
  })

  it.live("is what the sharding runs with: entities are spread over the shards it names", () =>
    Effect.gen(function*() {
      const sharding = yield* Sharding
      const shards = new Set(
        Array.from({ length: 200 }, (_, i) => sharding.getShardId(EntityId.make(`account-${i}`), "default").id)
      )
      assert.strictEqual(Math.max(...shards), 7)
      assert.strictEqual(shards.size, 7)
      const ref = yield* ClusterEntity.ref(Account, "account-1")
      yield* ClusterEntity.tell(ref, new Deposit({ amount: 5 }))
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance()), 5)
    }).pipe(
      Effect.provide(
        ClusterEntity.layer(Account, account).pipe(
          Layer.provideMerge(Embedded.layer({ sharding: ClusterRunner.quickFailover({ shardsPerGroup: 7 }) }))
        )
      )
    ))
})
