import type * as Envelope from "@effect/cluster/Envelope"
import * as MessageStorage from "@effect/cluster/MessageStorage"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as Snowflake from "@effect/cluster/Snowflake"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

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
 * Forgets processed requests beyond the `max` most recently processed. The driver keeps every
 * request, its replies and its envelope for as long as it lives (≈ 0.9 KiB per persisted ask), so a
 * long-running process would grow without bound. What a kept request is still good for: a request
 * saved again with its id (a client's retry) or its primary key is answered from storage instead
 * of being handled again. A request back among the unprocessed (`Sharding.reset`) is not
 * processed any more and stays until it is processed again.
 */
class Retention {
  /**
   * Processed request ids, the least recently processed first. A request processed again is queued
   * again; only its last place counts. (Not a Map iterated from its start: a Map keeps the holes
   * of deleted keys until it rehashes, and skipping them cost ~6 µs per message at 10,000 kept.)
   */
  private queue: Array<string> = []
  private head = 0
  /** How many places the queue has dropped from its front: `queue[i]` is place `dropped + i`. */
  private dropped = 0
  /** Each kept request's last place in the queue. */
  private readonly lastPlace = new Map<string, number>()
  /** The primary key a request was saved under, for the requests that have one. */
  private readonly primaryKeys = new Map<string, string>()
  /**
   * The ids of replies a request had before `clearReplies` dropped them: the driver still knows
   * them (it will not take the same reply twice), so they go when the request goes.
   */
  private readonly clearedReplyIds = new Map<string, Array<string>>()
  private forgottenSinceCompaction = 0

  constructor(private readonly driver: MessageStorage.MemoryDriver, private readonly max: number) {}

  saved(requestId: string, primaryKey: string | null): void {
    if (primaryKey !== null && this.max !== Infinity) this.primaryKeys.set(requestId, primaryKey)
  }

  repliedWithExit(requestId: string): void {
    if (this.max === Infinity) return
    const entry = this.driver.requests.get(requestId)
    if (entry === undefined || this.driver.unprocessed.has(entry.envelope)) return
    this.lastPlace.set(requestId, this.dropped + this.queue.length)
    this.queue.push(requestId)
    while (this.lastPlace.size > this.max) {
      const oldestId = this.queue[this.head]!
      const isLastPlace = this.lastPlace.get(oldestId) === this.dropped + this.head
      this.head++
      if (isLastPlace) {
        this.lastPlace.delete(oldestId)
        this.forget(oldestId)
      }
    }
    if (this.head >= 1_024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.dropped += this.head
      this.head = 0
    }
    if (this.forgottenSinceCompaction > Math.max(1_000, this.driver.journal.length / 2)) this.compactJournal()
  }

  /** Before `clearReplies` (`Sharding.reset`) drops the request's replies. */
  clearing(requestId: string): void {
    const entry = this.driver.requests.get(requestId)
    if (entry === undefined || entry.replies.length === 0 || this.max === Infinity) return
    const cleared = this.clearedReplyIds.get(requestId) ?? []
    for (const reply of entry.replies) cleared.push(reply.id)
    this.clearedReplyIds.set(requestId, cleared)
  }

  /** After `clearAddress`, which deletes requests from the driver's maps. */
  addressCleared(): void {
    for (const requestId of this.primaryKeys.keys()) {
      if (!this.driver.requests.has(requestId)) this.primaryKeys.delete(requestId)
    }
    for (const requestId of this.clearedReplyIds.keys()) {
      if (!this.driver.requests.has(requestId)) this.clearedReplyIds.delete(requestId)
    }
    // Their places in the queue are skipped when reached.
    for (const requestId of this.lastPlace.keys()) {
      if (!this.driver.requests.has(requestId)) this.lastPlace.delete(requestId)
    }
  }

  private forget(requestId: string): void {
    const { driver } = this
    const entry = driver.requests.get(requestId)
    // Gone already (`clearAddress`), or back among the unprocessed since (it is queued again once
    // processed again).
    if (entry === undefined || driver.unprocessed.has(entry.envelope)) return
    driver.requests.delete(requestId)
    const primaryKey = this.primaryKeys.get(requestId)
    if (primaryKey !== undefined) {
      this.primaryKeys.delete(requestId)
      if (driver.requestsByPrimaryKey.get(primaryKey) === entry) driver.requestsByPrimaryKey.delete(primaryKey)
    }
    for (const reply of entry.replies) driver.replyIds.delete(reply.id)
    const cleared = this.clearedReplyIds.get(requestId)
    if (cleared !== undefined) {
      this.clearedReplyIds.delete(requestId)
      for (const replyId of cleared) driver.replyIds.delete(replyId)
    }
    this.forgottenSinceCompaction++
  }

  /**
   * Drops from the journal the envelopes storage no longer needs: forgotten requests, and acks
   * and interrupts already delivered. In place and all at once, when as many requests were
   * forgotten as half the journal holds, so each forgotten request costs O(1) on average.
   */
  private compactJournal(): void {
    const { journal, requests, unprocessed } = this.driver
    let kept = 0
    for (const envelope of journal) {
      const needed = envelope._tag === "Request" ? requests.has(envelope.requestId) : unprocessed.has(envelope)
      if (needed) journal[kept++] = envelope
    }
    journal.length = kept
    this.forgottenSinceCompaction = 0
  }
}

/**
 * The driver's encoded storage, with its reads of unprocessed messages from the unprocessed set
 * and at most `maxProcessedMessages` processed requests kept.
 *
 * @internal
 */
export const encoded = (driver: MessageStorage.MemoryDriver, maxProcessedMessages: number): MessageStorage.Encoded => {
  const retention = new Retention(driver, maxProcessedMessages)
  const plain = driver.encoded
  return {
    ...plain,
    saveEnvelope: (options) =>
      Effect.map(plain.saveEnvelope(options), (result) => {
        if (result._tag === "Success" && options.envelope._tag === "Request") {
          retention.saved(options.envelope.requestId, options.primaryKey)
        }
        return result
      }),
    saveReply: (reply) =>
      Effect.map(plain.saveReply(reply), () => {
        if (reply._tag === "WithExit") retention.repliedWithExit(reply.requestId)
      }),
    clearReplies: (requestId) =>
      Effect.suspend(() => {
        retention.clearing(String(requestId))
        return plain.clearReplies(requestId)
      }),
    clearAddress: (address) => Effect.map(plain.clearAddress(address), () => retention.addressCleared()),
    unprocessedMessages: unprocessedMessages(driver)
  }
}

/**
 * `@effect/cluster`'s in-memory message storage (`MessageStorage.layerMemory`, its `MemoryDriver`
 * exposed the same way), on {@link encoded}.
 *
 * @internal
 */
export const layer = (maxProcessedMessages: number): Layer.Layer<
  MessageStorage.MessageStorage | MessageStorage.MemoryDriver,
  never,
  ShardingConfig.ShardingConfig
> =>
  Layer.effect(
    MessageStorage.MessageStorage,
    Effect.flatMap(
      MessageStorage.MemoryDriver,
      (driver) => MessageStorage.makeEncoded(encoded(driver, maxProcessedMessages))
    )
  ).pipe(Layer.provide(Snowflake.layerGenerator), Layer.provideMerge(MessageStorage.MemoryDriver.Default))
