import * as Socket from "@effect/platform/Socket"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { ClusterEntity, ClusterEntityError } from "../src/index.js"
import { Account, Balance, Deposit } from "./fixtures.js"

/**
 * An entity type whose cluster client dies the way @effect/cluster's does when the socket to the
 * owning runner breaks mid-write (a killed runner): a `SocketError` defect.
 */
const brokenSocket = {
  ...Account,
  askTimeout: Duration.seconds(1),
  entity: {
    client: Effect.succeed(() => {
      const die = () => Effect.die(new Socket.SocketGenericError({ reason: "Write", cause: new Error("EPIPE") }))
      return { Deposit: die, Balance: die, Withdraw: die, Crash: die, Slow: die }
    })
  }
} as unknown as typeof Account

const refOf = (id: string) =>
  ClusterEntity.ref(brokenSocket, id) as unknown as Effect.Effect<ClusterEntity.EntityRef<Deposit | Balance>>

describe("ClusterEntity: the owning runner cannot be reached", () => {
  it.effect("a socket that breaks while a tell or an ask is sent is a typed EntityUnreachable, not a defect", () =>
    Effect.gen(function*() {
      const ref = yield* refOf("alice")
      const told = yield* Effect.flip(ClusterEntity.tell(ref, new Deposit({ amount: 1 })))
      const asked = yield* Effect.flip(ClusterEntity.ask(ref, new Balance()))
      for (const [error, tag] of [[told, "Deposit"], [asked, "Balance"]] as const) {
        assert.instanceOf(error, ClusterEntityError.EntityUnreachable)
        assert.deepStrictEqual(
          [error.entityType, error.entityId, error.tag, error.detail],
          ["Account", "alice", tag, "An error occurred during Write"]
        )
      }
    }))
})
