import type { Sharding } from "@effect/cluster/Sharding"
import { Actor, type ActorSystem } from "@weft/actor"
import { Data, Effect, type Layer, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { ClusterEntity, type ClusterEntityError } from "../src/index.js"
import { Account, account, type AccountMessage, Balance, Deposit, type Insufficient, Withdraw } from "./fixtures.js"

declare const ref: ClusterEntity.EntityRef<AccountMessage>

describe("ClusterEntity types", () => {
  it("derives the protocol from the schemas", () => {
    expectTypeOf(Account).toEqualTypeOf<ClusterEntity.ClusterEntity<"Account", AccountMessage>>()
    expectTypeOf(ClusterEntity.ref(Account, "a")).toEqualTypeOf<
      Effect.Effect<ClusterEntity.EntityRef<AccountMessage>, never, Sharding>
    >()
    expectTypeOf(ClusterEntity.layer(Account, account)).toEqualTypeOf<
      Layer.Layer<never, ClusterEntityError.InvalidEntityOption, Sharding | ActorSystem.ActorSystem>
    >()
  })

  it("tell and ask have the call shapes of a local ActorRef", () => {
    expectTypeOf(ClusterEntity.tell(ref, new Deposit({ amount: 1 }))).toEqualTypeOf<
      Effect.Effect<void, ClusterEntity.TellError>
    >()
    expectTypeOf(ClusterEntity.ask(ref, new Withdraw({ amount: 1 }), { timeout: "1 second" })).toEqualTypeOf<
      Effect.Effect<number, Insufficient | ClusterEntity.AskError>
    >()
    expectTypeOf(ref.pipe(ClusterEntity.ask(new Balance()))).toEqualTypeOf<
      Effect.Effect<number, ClusterEntity.AskError>
    >()
    expectTypeOf<ClusterEntity.AskError>().toMatchTypeOf<
      | ClusterEntityError.AskTimeout
      | ClusterEntityError.EntityFailed
      | ClusterEntityError.EntityNameTaken
      | ClusterEntity.TellError
    >()
    // @ts-expect-error tell takes a message without a reply: a Schema.TaggedRequest needs ask
    ClusterEntity.tell(ref, new Balance())
    // @ts-expect-error ask needs a Schema.TaggedRequest (a message with a reply): use tell
    ClusterEntity.ask(ref, new Deposit({ amount: 1 }))
  })

  it("refs are contravariant like ActorRef", () => {
    expectTypeOf<ClusterEntity.EntityRef<AccountMessage>>().toMatchTypeOf<ClusterEntity.EntityRef<Deposit>>()
    expectTypeOf<ClusterEntity.EntityRef<Deposit>>().not.toMatchTypeOf<ClusterEntity.EntityRef<AccountMessage>>()
  })

  it("a behaviour for another protocol is rejected", () => {
    const other = Actor.behavior<Deposit>()({
      initialState: 0,
      handlers: { Deposit: (message, state) => Effect.succeed(state + message.amount) }
    })
    // @ts-expect-error the behaviour does not handle Withdraw, Balance, ...
    ClusterEntity.layer(Account, other)
  })

  it("a protocol that does not encode to JSON is a compile error", () => {
    class Blob extends Schema.TaggedClass<Blob>()("Blob", { bytes: Schema.Uint8ArrayFromSelf }) {}
    class When extends Schema.TaggedRequest<When>()("When", {
      failure: Schema.Never,
      success: Schema.DateFromSelf,
      payload: {}
    }) {}
    class Plain extends Data.TaggedClass("Plain")<{ readonly n: number }> {}
    // @ts-expect-error "Blob" is not serializable: its fields do not encode to JSON
    ClusterEntity.make("Blobs", [Blob])
    // @ts-expect-error "When" is not serializable: its reply or failure does not encode to JSON
    ClusterEntity.make("Clock", [When])
    // @ts-expect-error a Data.TaggedClass has no schema: it cannot cross a process boundary
    ClusterEntity.make("Plain", [Plain])
    // encoded forms that are JSON are fine: Uint8Array as base64, Date as an ISO string
    class Encoded extends Schema.TaggedClass<Encoded>()("Encoded", { bytes: Schema.Uint8Array, at: Schema.Date }) {}
    expectTypeOf(ClusterEntity.make("Fine", [Encoded])).toEqualTypeOf<ClusterEntity.ClusterEntity<"Fine", Encoded>>()
  })
})
