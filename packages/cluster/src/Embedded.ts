/**
 * The whole cluster in this process: `@effect/cluster` sharding with one runner, in-memory
 * message and runner storage, no sockets and no database — for tests, the quick start and a
 * single-process deployment. Messages are still encoded and decoded as if they crossed a
 * process boundary (`simulateRemoteSerialization`), so what works here works on several runners.
 *
 * In-memory storage lives as long as the layer: `"persisted"` delivery survives an entity's
 * restart, not the process's. It is `@effect/cluster`'s `MemoryDriver`, which keeps every persisted
 * message and its reply for as long as the layer lives (memory grows with the messages sent, a few
 * hundred bytes each); its reads of unprocessed messages look at the unprocessed ones only, so a
 * message costs the same however many were sent before it.
 *
 * @since 0.1.0
 */
import type { MemoryDriver, MessageStorage } from "@effect/cluster/MessageStorage"
import type { Sharding } from "@effect/cluster/Sharding"
import type { ShardingConfig } from "@effect/cluster/ShardingConfig"
import type { ActorError, ActorSystem } from "@weft/actor"
import type { Layer } from "effect"
import * as internal from "./internal/embedded.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Overrides of `@effect/cluster`'s sharding defaults. */
  readonly sharding?: Partial<ShardingConfig["Type"]> | undefined
  /** Options of the `ActorSystem` the entities' actors live in. */
  readonly actorSystem?: ActorSystem.ActorSystem.Options | undefined
}

/**
 * Sharding, in-memory `MessageStorage` and an `ActorSystem`: everything `ClusterEntity.layer`
 * and `ClusterEntity.ref` need, in one process. The storage's `MemoryDriver` is exposed so tests
 * can see which messages are still unprocessed. Fails with `InvalidSystemOptions` when
 * `actorSystem` holds an option the actor system cannot honour.
 *
 * @example
 * ```ts
 * import { Embedded } from "@weft/cluster"
 *
 * const cluster = Embedded.layer({ sharding: { entityMaxIdleTime: "5 minutes" } })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options?: Options
) => Layer.Layer<
  Sharding | MessageStorage | MemoryDriver | ActorSystem.ActorSystem,
  ActorError.InvalidSystemOptions
> = internal.layer
