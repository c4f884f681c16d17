import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorMetrics, ActorSystem, type DeadLetter, Router } from "@weft/actor"
import { Chunk, Data, Effect, FastCheck, Metric, Schedule, Schema } from "effect"
import { receivedSoFar } from "./fixtures.js"

/**
 * A run of messages handled back to back: the loop handles them outside its generator, settling
 * at once where a handler does and chaining effectful handlers one after another. These tests
 * pin down that a run behaves as if each message were handled on its own.
 */

/** How a step's handler settles: at once (an Exit) or as an effect to run. */
type Settles = "now" | "later"

class Step extends Data.TaggedClass("Step")<{
  readonly id: number
  readonly settles: Settles
  readonly outcome: "ok" | "crash"
}> {}

class Refuse extends Schema.TaggedRequest<Refuse>()("Refuse", {
  failure: Schema.String,
  success: Schema.Number,
  payload: { id: Schema.Number, settles: Schema.Literal("now", "later") }
}) {}

class Total extends Schema.TaggedRequest<Total>()("Total", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}

const settle = <A, E>(settles: Settles, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  settles === "now" ? effect : Effect.suspend(() => effect)

const stepper = (handled: Array<number>) =>
  Actor.behavior<Step | Refuse | Total>()({
    initialState: 0,
    handlers: {
      Step: (message, state) => {
        handled.push(message.id)
        return settle(message.settles, message.outcome === "ok" ? Effect.succeed(state + 1) : Effect.dieMessage("boom"))
      },
      Refuse: (message) => {
        handled.push(message.id)
        return settle(message.settles, Effect.fail(`refused ${message.id}`))
      },
      Total: (_, state) => Effect.succeed(Actor.reply(state, state))
    }
  })

const kind = FastCheck.constantFrom("ok" as const, "ok" as const, "crash" as const, "refuse" as const)

describe("Actor: a run of messages", () => {
  it.effect.prop(
    "each message of a run is handled once, in order, with the state and dead letter it would have alone",
    {
      steps: FastCheck.array(FastCheck.tuple(kind, FastCheck.constantFrom<Settles>("now", "later")), { maxLength: 40 })
    },
    ({ steps }) =>
      Effect.gen(function*() {
        const letters = yield* ActorSystem.subscribeDeadLetters
        const handled: Array<number> = []
        const ref = yield* Actor.spawn(stepper(handled), {
          supervision: { strategy: "resume", restarts: Schedule.forever }
        })
        // Told before the actor runs: it finds them all queued, one run. (`Actor.tell` refuses a
        // request at compile time; a router forwards whatever the protocol holds.)
        const messages = steps.map(([outcome, settles], id) =>
          outcome === "refuse" ? new Refuse({ id, settles }) : new Step({ id, settles, outcome })
        )
        yield* Effect.forEach(messages, (message) => Router.tell(ref, message), { discard: true })
        const total = yield* Actor.ask(ref, new Total())

        assert.deepStrictEqual(handled, steps.map((_, id) => id))
        assert.strictEqual(total, steps.filter(([outcome]) => outcome === "ok").length)
        const dead = Chunk.toArray(yield* receivedSoFar(letters)).map((letter: DeadLetter.DeadLetter) =>
          `${letter.reason}:${(letter.message as Step | Refuse).id}`
        )
        const expected = steps.flatMap(([outcome], id) =>
          outcome === "crash" ? [`Crashed:${id}`] : outcome === "refuse" ? [`RequestFailed:${id}`] : []
        )
        assert.deepStrictEqual(dead, expected)
      }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())),
    { fastCheck: { numRuns: 100 } }
  )

  it.effect("a long run observes every effectful handler's time and counts every message", () =>
    Effect.gen(function*() {
      const handled: Array<number> = []
      const name = "long-run"
      const ref = yield* Actor.spawn(stepper(handled), { name, mailbox: { capacity: 2048 } })
      // Past the metrics flush every 256 messages, effectful and settled-at-once interleaved.
      const messages = Array.from(
        { length: 1000 },
        (_, id) => new Step({ id, settles: id % 3 === 0 ? "now" : "later", outcome: "ok" })
      )
      yield* Actor.tellAll(ref, messages)
      assert.strictEqual(yield* Actor.ask(ref, new Total()), 1000)
      yield* Actor.stop(ref)
      const effectful = messages.filter((message) => message.settles === "later").length
      const timed = yield* Metric.value(Metric.tagged(ActorMetrics.handlerTime, "actor", name))
      assert.strictEqual(timed.count, effectful)
      const processed = yield* Metric.value(Metric.tagged(ActorMetrics.processed, "actor", name))
      // The 1000 steps and the ask.
      assert.strictEqual(processed.count, 1001)
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())))
})
