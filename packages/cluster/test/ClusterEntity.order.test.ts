import { assert, describe, it } from "@effect/vitest"
import { Actor } from "@weft/actor"
import { Effect, Exit, Layer, Random, Schema } from "effect"
import { ClusterEntity, Embedded } from "../src/index.js"

class Step extends Schema.TaggedClass<Step>()("Step", { seq: Schema.Number }) {}
class Steps extends Schema.TaggedRequest<Steps>()("Steps", {
  failure: Schema.Never,
  success: Schema.Array(Schema.Number),
  payload: {}
}) {}

const Log = ClusterEntity.make("Log", [Step, Steps])

/** Keeps the steps in the order it handled them. */
const log = Actor.behavior<Step | Steps>()({
  initialState: [] as ReadonlyArray<number>,
  handlers: {
    Step: (message, steps) => Effect.succeed([...steps, message.seq]),
    Steps: (_, steps) => Effect.succeed(Actor.reply(steps, steps))
  }
})

describe("ClusterEntity order", () => {
  // A backlog forms when messages are saved faster than the entity handles them (each waits for
  // the actor to handle it). @effect/cluster's own one-at-a-time entity handled such a backlog out
  // of order: the ask below saw 298 of 1,500 steps, and steps ran in jumps (…1441, 1220…).
  it.live("a backlog of messages to one entity is handled in the order they were sent", () =>
    Effect.gen(function*() {
      const ref = yield* ClusterEntity.ref(Log, "a")
      const sent = Array.from({ length: 1_500 }, (_, seq) => seq)
      for (const seq of sent) yield* ClusterEntity.tell(ref, new Step({ seq }))
      const steps = yield* ClusterEntity.ask(ref, new Steps(), { timeout: "60 seconds" })
      assert.deepStrictEqual(steps, sent)
    }).pipe(Effect.provide(ClusterEntity.layer(Log, log).pipe(Layer.provideMerge(Embedded.layer())))), 60_000)

  it.live(
    "asks cut short by their deadlines, amid tells, leave the queue in order and the entity answering",
    () =>
      Effect.gen(function*() {
        const ref = yield* ClusterEntity.ref(Log, "b")
        const sent = Array.from({ length: 300 }, (_, seq) => seq)
        // Each tell is followed by an ask with a deadline of 0–399 ms: most give up while queued
        // behind the tells, some while their turn runs; some get their answer (74 and 98 of 300 in two runs).
        const outcomes = yield* Effect.forEach(sent, (seq) =>
          Effect.zipRight(
            ClusterEntity.tell(ref, new Step({ seq })),
            Effect.flatMap(
              Random.nextIntBetween(0, 400),
              (millis) => Effect.fork(Effect.exit(ClusterEntity.ask(ref, new Steps(), { timeout: millis })))
            )
          ))
        let answered = 0
        for (const fiber of outcomes) {
          const exit = yield* fiber.await.pipe(Effect.flatten)
          if (Exit.isSuccess(exit)) {
            answered++
            // An answer holds a prefix of the steps, in order.
            assert.deepStrictEqual(exit.value, sent.slice(0, exit.value.length))
          } else {assert.strictEqual(
              Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag,
              "AskTimeout"
            )}
        }
        assert.isBelow(answered, sent.length)
        const steps = yield* ClusterEntity.ask(ref, new Steps(), { timeout: "60 seconds" })
        assert.deepStrictEqual(steps, sent)
      }).pipe(Effect.provide(ClusterEntity.layer(Log, log).pipe(Layer.provideMerge(Embedded.layer())))),
    60_000
  )
})
