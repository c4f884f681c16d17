import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem, DeadLetter, Router } from "@weft/actor"
import { Chunk, Effect } from "effect"
import { counter, Divide, Get, receivedSoFar } from "./fixtures.js"

describe("Actor: a request that was told", () => {
  it.effect("its handler's typed failure becomes a dead letter with the failure, not nothing", () =>
    Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const ref = yield* Actor.spawn(counter(), { name: "divider" })
      // `Actor.tell` refuses requests at compile time; a router forwards whatever the protocol holds.
      const failing = new Divide({ by: 0 })
      yield* Router.tell(ref, failing)
      yield* Router.tellEach([ref], new Divide({ by: 2 }))
      // The actor goes on (a typed failure is no crash), and it is the only dead letter.
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 0)
      assert.deepStrictEqual(
        Chunk.toArray(yield* receivedSoFar(letters)),
        [
          new DeadLetter.DeadLetter({
            actor: "divider",
            message: failing,
            reason: "RequestFailed",
            failure: "division by zero"
          })
        ]
      )
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 1)
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())))
})
