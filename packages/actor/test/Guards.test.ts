import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem, Reliable, Supervision } from "@weft/actor"
import { Data, Effect } from "effect"

class Add extends Data.TaggedClass("Add")<{ readonly n: number }> {}
class Job extends Reliable.TaggedClass("Job")<{ readonly id: number }> {}

const counter = Actor.behavior<Add>()({ initialState: 0, handlers: { Add: (add, sum) => Effect.succeed(sum + add.n) } })

describe("guards", () => {
  it.scoped("each actor data type is recognised by its own guard and by no other", () =>
    Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter)
      const child = Supervision.child(counter)
      const values = [
        ref,
        counter,
        Actor.reply(1, 0),
        new Job({ id: 1 }),
        Reliable.ack(0),
        child,
        Supervision.group({ strategy: "one-for-one", children: { child } })
      ]
      const guards = [
        Actor.isActorRef,
        Actor.isBehavior,
        Actor.isReplied,
        Reliable.isReliable,
        Reliable.isSettled,
        Supervision.isChildSpec,
        Supervision.isGroupSpec
      ]
      guards.forEach((guard, i) => {
        assert.deepStrictEqual(values.map((value) => guard(value)), values.map((_, j) => i === j), `guard ${i}`)
        assert.isFalse(guard(new Add({ n: 1 })))
        assert.isFalse(guard(undefined))
      })
    }).pipe(Effect.provide(ActorSystem.layer())))
})
