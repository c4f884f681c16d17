import * as MessageStorage from "@effect/cluster/MessageStorage"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ClusterEntity, Embedded } from "../src/index.js"
import { Account, account, Balance, Deposit } from "./fixtures.js"

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
})
