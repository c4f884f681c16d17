/**
 * Sharding settings for the processes of a cluster: the runners that serve entities and the
 * callers (`clientOnly`) that only send to them. Pass them as `shardingConfig` to
 * `NodeClusterSocket.layer` (or as `sharding` to `Embedded.layer`), the same on every process.
 *
 * @since 0.1.0
 */
import type { RunnerAddress } from "@effect/cluster/RunnerAddress"
import type { ShardingConfig } from "@effect/cluster/ShardingConfig"
import * as internal from "./internal/runner.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface QuickFailoverOptions {
  /**
   * Where this runner listens and the others reach it. Leave it out on a caller that serves
   * nothing (`clientOnly` sets none) or to keep `@effect/cluster`'s default (from the environment).
   */
  readonly runnerAddress?: RunnerAddress | undefined
  /**
   * How many shards the entities are spread over: a positive integer, the same on every runner
   * and caller (it decides which shard an entity id is in). Default: the cluster's, 300.
   */
  readonly shardsPerGroup?: number | undefined
}

/**
 * Settings under which a dead runner's entities answer again from the other runners within
 * seconds: its shard locks lapse after 4 s (`@effect/cluster`'s default is 35 s), the others
 * check runner health every second and refresh shard assignments every 500 ms, entities of a
 * released shard get 2 s to stop, and persisted messages (50 ms for replies, 300 ms for messages
 * of moved shards) are polled from storage often. Measured with 3 runners and PostgreSQL: a
 * SIGKILLed runner's entity answered again after 4.3–4.7 s.
 *
 * The price is storage traffic: each runner refreshes its locks every second and polls storage
 * several times a second. `@effect/cluster`'s defaults suit a cluster that values a quiet database
 * over a quick failover. The other settings keep their defaults; spread the result into an object
 * of your own to change them.
 *
 * @example
 * ```ts
 * import * as RunnerAddress from "@effect/cluster/RunnerAddress"
 * import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
 * import { ClusterRunner } from "@weft/cluster"
 *
 * // A runner process, listening on port 34431.
 * const runner = NodeClusterSocket.layer({
 *   storage: "sql",
 *   shardingConfig: ClusterRunner.quickFailover({
 *     runnerAddress: RunnerAddress.make("127.0.0.1", 34431),
 *     shardsPerGroup: 60
 *   })
 * })
 *
 * // A caller that serves nothing: the same shard count.
 * const caller = NodeClusterSocket.layer({
 *   clientOnly: true,
 *   storage: "sql",
 *   shardingConfig: ClusterRunner.quickFailover({ shardsPerGroup: 60 })
 * })
 * ```
 *
 * @since 0.1.0
 * @category settings
 */
export const quickFailover: (options?: QuickFailoverOptions) => Partial<ShardingConfig["Type"]> = internal.quickFailover
