import { assert, describe, it } from "@effect/vitest"
import { Actor, type ActorError, ActorSystem } from "@weft/actor"
import { Data, Deferred, Effect, Fiber, Schema, TestClock } from "effect"
import type { Scope } from "effect"
import { counter, Get } from "./fixtures.js"

const run = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer({ askTimeout: "1 second" }))) as Effect.Effect<
    A,
    E,
    Exclude<R, ActorSystem.ActorSystem | Scope.Scope>
  >

/** Answers with the outcome of the ask its handler makes, as a tag ("AskCycle", "AskTimeout", "ok"). */
class Outcome extends Schema.TaggedRequest<Outcome>()("Outcome", {
  failure: Schema.Never,
  success: Schema.String,
  payload: {}
}) {}

class Relay extends Schema.TaggedRequest<Relay>()("Relay", {
  failure: Schema.Never,
  success: Schema.String,
  payload: {}
}) {}

class Background extends Data.TaggedClass("Background")<{ readonly result: Deferred.Deferred<string> }> {}

const tagOf = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.match(effect, { onFailure: (error) => error._tag, onSuccess: () => "ok" })

/**
 * B answers `Outcome` by asking A back (`Relay`), after `gate` opens; A answers `Outcome` by
 * asking B through `asking` — a combinator that forks the ask.
 */
const cycle = (
  asking: (ask: Effect.Effect<string, ActorError.AskError>) => Effect.Effect<string, { readonly _tag: string }>,
  gate?: Deferred.Deferred<void>
) =>
  Effect.gen(function*() {
    const aRef = yield* Deferred.make<Actor.ActorRef<Relay>>()
    const b = yield* Actor.spawn(
      Actor.behavior<Outcome>()({
        initialState: 0,
        handlers: {
          Outcome: (_, state) =>
            Effect.gen(function*() {
              if (gate !== undefined) yield* Deferred.await(gate)
              const a = yield* Deferred.await(aRef)
              return Actor.reply(yield* tagOf(Actor.ask(a, new Relay())), state)
            })
        }
      }),
      { name: "b" }
    )
    const a = yield* Actor.spawn(
      Actor.behavior<Outcome | Relay | Background>()({
        initialState: 0,
        handlers: {
          Outcome: (_, state) =>
            asking(Effect.map(Actor.ask(b, new Outcome()), (reply) => `b:${reply}`)).pipe(
              Effect.catchAll((error) => Effect.succeed(error._tag)),
              Effect.map((outcome) => Actor.reply(outcome, state))
            ),
          Relay: (_, state) => Effect.succeed(Actor.reply("relayed", state)),
          // Asks B from a fiber that outlives the handler: it does not block A.
          Background: (message, state) =>
            Actor.ask(b, new Outcome()).pipe(
              Effect.flatMap((reply) => Deferred.succeed(message.result, reply)),
              Effect.forkDaemon,
              Effect.as(state)
            )
        }
      }),
      { name: "a" }
    )
    yield* Deferred.succeed(aRef, a)
    return { a, b }
  })

describe("Actor: ask cycles through forking combinators", () => {
  it.effect("an ask inside Effect.timeout still detects A → B → A at once", () =>
    run(Effect.gen(function*() {
      const { a } = yield* cycle((ask) => Effect.timeout(ask, "1 second"))
      // The clock never moves: only an immediate AskCycle lets this ask return.
      const outcome = yield* Actor.ask(a, new Outcome())
      assert.strictEqual(outcome, "b:AskCycle")
      assert.strictEqual(yield* TestClock.currentTimeMillis, 0)
      // Nothing is stuck: A answers again.
      assert.strictEqual(yield* Actor.ask(a, new Relay()), "relayed")
    })))

  it.effect("an ask inside Effect.all with concurrency still detects A → B → A at once", () =>
    run(Effect.gen(function*() {
      const other = yield* Actor.spawn(counter())
      const { a } = yield* cycle((ask) =>
        Effect.map(
          Effect.all([ask, tagOf(Actor.ask(other, new Get()))], { concurrency: 2 }),
          (outcomes) => outcomes.join(",")
        )
      )
      const outcome = yield* Actor.ask(a, new Outcome())
      assert.strictEqual(outcome, "b:AskCycle,ok")
      assert.strictEqual(yield* TestClock.currentTimeMillis, 0)
    })))

  it.effect("a fiber that outlives the handler that forked it does not block its actor: no false cycle", () =>
    run(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const { a } = yield* cycle((ask) => ask, gate)
      const result = yield* Deferred.make<string>()
      yield* Actor.tell(a, new Background({ result }))
      // A has finished `Background` (it answers); only then does B ask A back, and A, idle, answers.
      assert.strictEqual(yield* Actor.ask(a, new Relay()), "relayed")
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Deferred.await(result), "ok")
    })))

  it.effect("an interrupted forked ask stops counting at once: no false cycle while its handler goes on", () =>
    run(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const hold = yield* Deferred.make<void>()
      const seenByB = yield* Deferred.make<string>()
      const aRef = yield* Deferred.make<Actor.ActorRef<Relay>>()
      // B answers only once `gate` opens, and then asks A back.
      const b = yield* Actor.spawn(
        Actor.behavior<Outcome>()({
          initialState: 0,
          handlers: {
            Outcome: (_, state) =>
              Deferred.await(gate).pipe(
                Effect.zipRight(Deferred.await(aRef)),
                Effect.flatMap((a) => tagOf(Actor.ask(a, new Relay()))),
                Effect.tap((outcome) => Deferred.succeed(seenByB, outcome)),
                Effect.map((outcome) => Actor.reply(outcome, state))
              )
          }
        })
      )
      // A gives up on B after 10 ms (interrupting its forked ask), then goes on until `hold` opens.
      const a = yield* Actor.spawn(
        Actor.behavior<Outcome | Relay>()({
          initialState: 0,
          handlers: {
            Outcome: (_, state) =>
              tagOf(Effect.timeout(Actor.ask(b, new Outcome()), "10 millis")).pipe(
                Effect.zipLeft(Deferred.await(hold)),
                Effect.map((outcome) => Actor.reply(outcome, state))
              ),
            Relay: (_, state) => Effect.succeed(Actor.reply("relayed", state))
          }
        })
      )
      yield* Deferred.succeed(aRef, a)
      const outer = yield* Effect.fork(Actor.ask(a, new Outcome()))
      yield* TestClock.adjust("10 millis")
      // A no longer waits on B: B's ask back only waits for A's handler, it is no cycle.
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.yieldNow()
      yield* Deferred.succeed(hold, undefined)
      assert.strictEqual(yield* Fiber.join(outer), "TimeoutException")
      assert.strictEqual(yield* Deferred.await(seenByB), "ok")
    })))
})
