import type { RunnerAddress } from "@effect/cluster/RunnerAddress"
import type { ShardingConfig } from "@effect/cluster/ShardingConfig"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type * as ClusterRunner from "../ClusterRunner.js"

/**
 * The intervals behind `quickFailover`. A lapsed runner's shards are free after
 * `shardLockExpiration`; the others see it gone within a health check and take its shards on their
 * next assignment refresh, so every interval that leads there is well under the expiry. The
 * refresh interval must stay below the expiry, else a live runner's locks lapse between refreshes.
 *
 * @internal
 */
export const quickFailoverIntervals = {
  shardLockRefreshInterval: Duration.seconds(1),
  shardLockExpiration: Duration.seconds(4),
  refreshAssignmentsInterval: Duration.millis(500),
  runnerHealthCheckInterval: Duration.seconds(1),
  // Persisted messages of a shard that just moved are read from storage by this poll.
  entityMessagePollInterval: Duration.millis(300),
  // A remote ask's reply comes back through storage: this poll is its latency floor.
  entityReplyPollInterval: Duration.millis(50),
  sendRetryInterval: Duration.millis(50),
  // Entities of a released shard get this long to stop, so the shard is free well before the expiry.
  entityTerminationTimeout: Duration.seconds(2)
} satisfies Partial<ShardingConfig["Type"]>

/** @internal */
export const quickFailover = (options?: ClusterRunner.QuickFailoverOptions): Partial<ShardingConfig["Type"]> => ({
  ...quickFailoverIntervals,
  ...(options?.shardsPerGroup === undefined ? {} : { shardsPerGroup: options.shardsPerGroup }),
  ...(options?.runnerAddress === undefined ? {} : { runnerAddress: Option.some<RunnerAddress>(options.runnerAddress) })
})
