import type * as Envelope from "@effect/cluster/Envelope"
import * as MessageStorage from "@effect/cluster/MessageStorage"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as Snowflake from "@effect/cluster/Snowflake"
import { Array as Arr, Effect, Layer, Option } from "effect"

/**
 * Where the driver's read of unprocessed messages looks: its set of unprocessed envelopes, not its
 * journal. The journal holds every envelope saved since the layer started and the driver builds a
 * string per journal entry on each read — and the sharding reads once per persisted message, so
 * each persisted message cost more the more had been sent before it (in a single-runner ask loop,
 * 0.1–0.2 ms more per 2,000 messages). The set is the unprocessed ones alone. It keeps them in
 * the order they were saved, except that a request reset by `Sharding.reset` comes after the
 * others — the order the driver's own read by id has.
 */
const unprocessedMessages =
  (driver: MessageStorage.MemoryDriver): MessageStorage.Encoded["unprocessedMessages"] => (shardIds, now) =>
    Effect.sync(() => {
      const messages: Array<{
        readonly envelope: Envelope.Envelope.Encoded
        readonly lastSentReply: Option.Option<MessageStorage.MemoryEntry["replies"][number]>
      }> = []
      for (const envelope of driver.unprocessed) {
        const shardId = envelope.address.shardId
        // The runner's shard list (300 by default), against usually one message: cheaper than a set.
        if (!shardIds.includes(`${shardId.group}:${shardId.id}`)) continue
        if (envelope._tag === "Request") {
          const entry = driver.requests.get(envelope.requestId)
          if (entry?.deliverAt && entry.deliverAt > now) continue
          messages.push({ envelope, lastSentReply: entry === undefined ? Option.none() : Arr.last(entry.replies) })
        } else {
          // As the driver does: an ack or an interrupt is delivered once.
          messages.push({ envelope, lastSentReply: Option.none() })
          driver.unprocessed.delete(envelope)
        }
      }
      return messages
    })

/**
 * `@effect/cluster`'s in-memory message storage (`MessageStorage.layerMemory`, its `MemoryDriver`
 * exposed the same way), with a read of unprocessed messages whose cost does not grow with every
 * message ever sent.
 *
 * @internal
 */
export const layer: Layer.Layer<
  MessageStorage.MessageStorage | MessageStorage.MemoryDriver,
  never,
  ShardingConfig.ShardingConfig
> = Layer.effect(
  MessageStorage.MessageStorage,
  Effect.flatMap(
    MessageStorage.MemoryDriver,
    (driver) => MessageStorage.makeEncoded({ ...driver.encoded, unprocessedMessages: unprocessedMessages(driver) })
  )
).pipe(Layer.provide(Snowflake.layerGenerator), Layer.provideMerge(MessageStorage.MemoryDriver.Default))
