import * as MessageStorage from "@effect/cluster/MessageStorage"
import { assert, describe, it } from "@effect/vitest"
import { Actor } from "@weft/actor"
import { Effect, Exit, Layer, PrimaryKey, Schema } from "effect"
import { ClusterEntity, ClusterEntityError, Embedded } from "../src/index.js"
import { Account, account, Balance, Deposit } from "./fixtures.js"

/** A deposit that names itself: storage recognises it when it is sent again. */
class Credit extends Schema.TaggedClass<Credit>()("Credit", { id: Schema.String, amount: Schema.Number }) {
  [PrimaryKey.symbol]() {
    return this.id
  }
}

const Ledger = ClusterEntity.make("Ledger", [Credit, Balance])

const ledger = Actor.behavior<Credit | Balance>()({
  initialState: 0,
  handlers: {
    Credit: (message, balance) => Effect.succeed(balance + message.amount),
    Balance: (_, balance) => Effect.succeed(Actor.reply(balance, balance))
  }
})

/** Tells `count` credits of 1, each with its own id, to the ledger `a`; then its ref and balance. */
const creditEach = (count: number) =>
  Effect.gen(function*() {
    const ref = yield* ClusterEntity.ref(Ledger, "a")
    for (let i = 0; i < count; i++) yield* ClusterEntity.tell(ref, new Credit({ id: `c${i}`, amount: 1 }))
    return { ref, balance: yield* ClusterEntity.ask(ref, new Balance()) }
  })

const withLedger = (options: Embedded.Options) =>
  Effect.provide(ClusterEntity.layer(Ledger, ledger).pipe(Layer.provideMerge(Embedded.layer(options))))

describe("Embedded", () => {
  it.live("a storage read looks at the unprocessed messages only, not at every message saved before", () =>
    Effect.gen(function*() {
      const driver = yield* MessageStorage.MemoryDriver
      const ref = yield* ClusterEntity.ref(Account, "a")
      yield* ClusterEntity.tell(ref, new Deposit({ amount: 1 }))
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance()), 1)
      // Stand-ins for 1,000 messages handled long ago: the driver keeps every envelope it saved in
      // its journal. A read that walked them would look at their addresses.
      let looked = 0
      const handledLongAgo = {
        get address() {
          looked++
          return driver.journal[0]!.address
        }
      } as unknown as (typeof driver.journal)[number]
      for (let i = 0; i < 1_000; i++) driver.journal.push(handledLongAgo)
      // Each persisted message is delivered through a storage read.
      yield* ClusterEntity.tell(ref, new Deposit({ amount: 2 }))
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance()), 3)
      assert.strictEqual(looked, 0)
      assert.strictEqual(driver.unprocessed.size, 0)
    }).pipe(Effect.provide(ClusterEntity.layer(Account, account).pipe(Layer.provideMerge(Embedded.layer())))))

  it.live("keeps the most recently processed messages only: memory stays bounded however many are sent", () =>
    Effect.gen(function*() {
      const driver = yield* MessageStorage.MemoryDriver
      const { balance, ref } = yield* creditEach(1_500)
      // The asks are processed messages too; each sees every credit before it.
      assert.strictEqual(balance, 1_500)
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance()), 1_500)
      assert.isAtMost(driver.requests.size, 5)
      assert.isAtMost(driver.requestsByPrimaryKey.size, 5)
      assert.isAtMost(driver.replyIds.size, 5)
      // The journal is compacted in bulk (each forgotten request costs O(1) on average), so it lags.
      assert.isBelow(driver.journal.length, 1_100)
      assert.strictEqual(driver.unprocessed.size, 0)
    }).pipe(withLedger({ maxProcessedMessages: 5 })))

  it.live("a message sent again while its first copy is kept is not handled again; once forgotten, it is", () =>
    Effect.gen(function*() {
      const ref = yield* ClusterEntity.ref(Ledger, "a")
      yield* ClusterEntity.tell(ref, new Credit({ id: "once", amount: 1 }))
      yield* ClusterEntity.tell(ref, new Credit({ id: "once", amount: 1 }))
      // Kept: the duplicate was answered from storage.
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance()), 1)
      // Two more processed messages (this credit and the ask) push "once" out of the 3 kept.
      yield* ClusterEntity.tell(ref, new Credit({ id: "other", amount: 10 }))
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance()), 11)
      yield* ClusterEntity.tell(ref, new Credit({ id: "once", amount: 1 }))
      assert.strictEqual(yield* ClusterEntity.ask(ref, new Balance()), 12)
    }).pipe(withLedger({ maxProcessedMessages: 3 })))

  it.live("Infinity keeps every processed message, as @effect/cluster's driver alone does", () =>
    Effect.gen(function*() {
      const driver = yield* MessageStorage.MemoryDriver
      assert.strictEqual((yield* creditEach(20)).balance, 20)
      assert.strictEqual(driver.requests.size, 21)
      assert.strictEqual(driver.journal.length, 21)
    }).pipe(withLedger({ maxProcessedMessages: Infinity })))

  it.effect.each([-1, 2.5, NaN, Number.MAX_VALUE])(
    "maxProcessedMessages %s fails the layer with InvalidEmbeddedOption",
    (value) =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(
          Layer.build(Embedded.layer({ maxProcessedMessages: value })).pipe(Effect.scoped)
        )
        assert.deepStrictEqual(
          exit,
          Exit.fail(
            new ClusterEntityError.InvalidEmbeddedOption({
              option: "maxProcessedMessages",
              value,
              expected: "a non-negative integer or Infinity"
            })
          )
        )
      })
  )
})
