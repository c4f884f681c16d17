/**
 * The whole cluster in this process: `@effect/cluster` sharding with one runner, in-memory
 * message and runner storage, no sockets and no database — for tests, the quick start and a
 * single-process deployment. Messages are still encoded and decoded as if they crossed a
 * process boundary (`simulateRemoteSerialization`), so what works here works on several runners.
 *
 * In-memory storage lives as long as the layer: `"persisted"` delivery survives an entity's
 * restart, not the process's. It is `@effect/cluster`'s `MemoryDriver`, with two changes so a
 * long-running process neither slows down nor grows: its reads of unprocessed messages look at the
 * unprocessed ones only, so a message costs the same however many were sent before it; and it
 * keeps only the most recently processed messages (`maxProcessedMessages`), where the driver
 * alone keeps every message and its reply (about 0.9 KiB each) for as long as it lives.
 *
 * @since 0.1.0
 */
import type { MemoryDriver, MessageStorage } from "@effect/cluster/MessageStorage"
import type { Sharding } from "@effect/cluster/Sharding"
import type { ShardingConfig } from "@effect/cluster/ShardingConfig"
import type { ActorError, ActorSystem } from "@weft/actor"
import type { Layer } from "effect"
import type { InvalidEmbeddedOption } from "./ClusterEntityError.js"
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
  /**
   * How many processed persisted messages storage keeps, the most recently processed ones (a
   * non-negative integer, or `Infinity` to keep them all as the driver alone does). A message
   * saved again with the id or primary key of a kept one is answered with its stored reply instead
   * of being handled again; one saved again after its first copy was forgotten is handled again, as
   * at-least-once delivery allows. Memory: about 0.9 KiB per kept message. Default 10,000.
   */
  readonly maxProcessedMessages?: number | undefined
}

/**
 * Sharding, in-memory `MessageStorage` and an `ActorSystem`: everything `ClusterEntity.layer`
 * and `ClusterEntity.ref` need, in one process. The storage's `MemoryDriver` is exposed so tests
 * can see which messages are still unprocessed. Fails with `InvalidSystemOptions` when
 * `actorSystem` holds an option the actor system cannot honour, and with `InvalidEmbeddedOption`
 * for a `maxProcessedMessages` that is not a non-negative integer or `Infinity`.
 *
 * @example
 * ```ts
 * import { Embedded } from "@weft/cluster"
 *
 * const cluster = Embedded.layer({ sharding: { entityMaxIdleTime: "5 minutes" }, maxProcessedMessages: 50_000 })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options?: Options
) => Layer.Layer<
  Sharding | MessageStorage | MemoryDriver | ActorSystem.ActorSystem,
  ActorError.InvalidSystemOptions | InvalidEmbeddedOption
> = internal.layer
