import * as MessageStorage from "@effect/cluster/MessageStorage"
import * as Snowflake from "@effect/cluster/Snowflake"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as MemoryStorage from "../src/internal/memoryStorage.js"

/** Storage at the level @effect/cluster's sharding drives it: encoded envelopes and replies. */
const storage = (maxProcessedMessages: number) =>
  Effect.map(MessageStorage.MemoryDriver, (driver) => ({
    driver,
    storage: MemoryStorage.encoded(driver, maxProcessedMessages)
  })).pipe(Effect.provide(MessageStorage.MemoryDriver.Default))

const request = (requestId: string) => ({
  _tag: "Request" as const,
  requestId,
  address: { shardId: { group: "default", id: 1 }, entityType: "E", entityId: "a" },
  tag: "T",
  payload: {},
  headers: {}
})

let replies = 0
const finalReply = (requestId: string) => ({
  _tag: "WithExit" as const,
  requestId,
  id: `reply-${++replies}`,
  exit: { _tag: "Success" as const, value: null }
})

describe("Embedded storage retention", () => {
  it.effect("a request put back among the unprocessed is not forgotten; processed again, it is kept as recent", () =>
    Effect.gen(function*() {
      const { driver, storage: store } = yield* storage(2)
      const save = (id: string, primaryKey: string | null = null) =>
        store.saveEnvelope({ envelope: request(id), primaryKey, deliverAt: null })
      yield* save("1", "key-1")
      yield* save("2")
      yield* save("3")
      yield* store.saveReply(finalReply("1"))
      yield* store.saveReply(finalReply("2"))
      // `Sharding.reset`: request 1 is unprocessed again, to be handled again.
      yield* store.clearReplies(Snowflake.Snowflake("1"))
      yield* store.saveReply(finalReply("3"))
      // Three processed, two kept: the oldest, 1, is due, but it is unprocessed now.
      assert.isTrue(driver.requests.has("1"))
      assert.isTrue(driver.requestsByPrimaryKey.has("key-1"))
      // Processed again, it is the most recent: 2 goes, then 3 with the next one.
      yield* store.saveReply(finalReply("1"))
      assert.deepStrictEqual([...driver.requests.keys()].sort(), ["1", "3"])
      yield* save("4")
      yield* store.saveReply(finalReply("4"))
      assert.deepStrictEqual([...driver.requests.keys()].sort(), ["1", "4"])
      yield* save("5")
      yield* store.saveReply(finalReply("5"))
      assert.deepStrictEqual([...driver.requests.keys()].sort(), ["4", "5"])
      assert.strictEqual(driver.requestsByPrimaryKey.size, 0)
      assert.strictEqual(driver.replyIds.size, 2)
    }))

  it.effect("a request processed twice before its first place comes up is forgotten at its last place", () =>
    Effect.gen(function*() {
      const { driver, storage: store } = yield* storage(2)
      for (const id of ["1", "2", "3"]) {
        yield* store.saveEnvelope({ envelope: request(id), primaryKey: null, deliverAt: null })
      }
      yield* store.saveReply(finalReply("1"))
      yield* store.clearReplies(Snowflake.Snowflake("1"))
      yield* store.saveReply(finalReply("1"))
      yield* store.saveReply(finalReply("2"))
      assert.deepStrictEqual([...driver.requests.keys()].sort(), ["1", "2", "3"])
      // Three kept would be one too many: 1's first place is skipped, its second is the oldest.
      yield* store.saveReply(finalReply("3"))
      assert.deepStrictEqual([...driver.requests.keys()].sort(), ["2", "3"])
      assert.strictEqual(driver.unprocessed.size, 0)
      // 1's two replies (the one `clearReplies` dropped and the last) are gone with it.
      assert.strictEqual(driver.replyIds.size, 2)
    }))
})
