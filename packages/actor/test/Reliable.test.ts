import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem, Reliable } from "@weft/actor"
import { Data } from "effect"
import type { Scope } from "effect"
import { Chunk, Deferred, Effect, Fiber, Schedule, Schema, Supervisor, TestClock } from "effect"
import { receivedSoFar } from "./fixtures.js"

class Charge extends Reliable.TaggedClass("Charge")<{ readonly id: number; readonly failTimes: number }> {}
class Later extends Reliable.TaggedClass("Later")<{ readonly id: number }> {}
class Log extends Schema.TaggedRequest<Log>()("Log", {
  failure: Schema.Never,
  success: Schema.Array(Schema.String),
  payload: {}
}) {}

/** Fails each charge `failTimes` times (nack, or crash for odd ids), then acks. */
const biller = Actor.behavior<Charge | Later | Log>()({
  initialState: [] as ReadonlyArray<string>,
  handlers: {
    Charge: (charge, log, { delivery }) => {
      const entry = `${charge.id}#${delivery.attempt}`
      if (delivery.attempt > charge.failTimes) return Effect.succeed(Reliable.ack([...log, `${entry} ack`]))
      if (charge.id % 2 === 1) return Effect.dieMessage("card reader on fire")
      return Effect.succeed(Reliable.nack([...log, `${entry} nack`], "declined"))
    },
    Later: (message, log, { delivery }) =>
      Effect.succeed(
        delivery.attempt === 1
          ? Reliable.defer([...log, `${message.id} defer`], "5 seconds")
          : Reliable.ack([...log, `${message.id}#${delivery.attempt} ack`])
      ),
    Log: (_, log) => Effect.succeed(Actor.reply(log, log))
  }
})

const run = <A, E>(effect: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

describe("Reliable", () => {
  it.effect("ack settles at once; nack is redelivered on the schedule until acked", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(biller, { redelivery: Schedule.spaced("1 second") })
      yield* Actor.tell(ref, new Charge({ id: 0, failTimes: 0 }))
      yield* Actor.tell(ref, new Charge({ id: 2, failTimes: 2 }))
      assert.deepStrictEqual(yield* Actor.ask(ref, new Log()), ["0#1 ack", "2#1 nack"])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Actor.ask(ref, new Log()), ["0#1 ack", "2#1 nack", "2#2 nack"])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Actor.ask(ref, new Log()), ["0#1 ack", "2#1 nack", "2#2 nack", "2#3 ack"])
      // Acked: nothing more arrives, however long we wait.
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* Actor.ask(ref, new Log())).length, 4)
    })))

  it.effect("a crash in a reliable handler is a nack, not a lost message", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(biller, {
        redelivery: Schedule.spaced("1 second"),
        supervision: { strategy: "resume" }
      })
      yield* Actor.tell(ref, new Charge({ id: 1, failTimes: 1 }))
      yield* Actor.ask(ref, new Log())
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Actor.ask(ref, new Log()), ["1#2 ack"])
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 0)
    })))

  it.effect("defer redelivers after its delay without using the schedule", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(biller, { redelivery: Schedule.stop })
      yield* Actor.tell(ref, new Later({ id: 7 }))
      yield* Actor.ask(ref, new Log())
      yield* TestClock.adjust("4999 millis")
      assert.deepStrictEqual(yield* Actor.ask(ref, new Log()), ["7 defer"])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* Actor.ask(ref, new Log()), ["7 defer", "7#2 ack"])
    })))

  it.effect("the poison cap moves the message to the poison queue, from where it can be replayed", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(biller, { name: "biller", redelivery: Schedule.recurs(2) })
      yield* Actor.tell(ref, new Charge({ id: 4, failTimes: 5 }))
      for (let i = 0; i < 5; i++) yield* Actor.ask(ref, new Log())
      const poisoned = yield* ActorSystem.poisoned
      assert.strictEqual(poisoned.length, 1)
      const [entry] = poisoned
      assert.strictEqual(entry!.attempts, 3)
      assert.strictEqual(entry!.reason, "declined")
      assert.strictEqual(entry!.actor.name, "biller")
      assert.deepStrictEqual(yield* Actor.ask(ref, new Log()), ["4#1 nack", "4#2 nack", "4#3 nack"])
      yield* ActorSystem.replay(entry!)
      assert.strictEqual((yield* ActorSystem.poisoned).length, 0)
      const log = yield* Actor.ask(ref, new Log())
      assert.deepStrictEqual(log.slice(3), ["4#1 nack"])
    })))

  it.effect("a redelivery to an actor that stopped meanwhile is a dead letter, not a loss", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(biller, { redelivery: Schedule.spaced("1 second") })
      yield* Actor.tell(ref, new Charge({ id: 2, failTimes: 3 }))
      yield* Actor.ask(ref, new Log())
      yield* Actor.stop(ref)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 1)
    })))

  it.effect("the delivery id is stable across redeliveries", () =>
    run(Effect.gen(function*() {
      const ids: Array<number> = []
      class Ping extends Reliable.TaggedClass("Ping")<{}> {}
      const pinger = Actor.behavior<Ping>()({
        initialState: 0,
        handlers: {
          Ping: (_, n, { delivery }) =>
            Effect.sync(() => {
              ids.push(delivery.id)
              return delivery.attempt < 3 ? Reliable.nack(n, "again") : Reliable.ack(n + 1)
            })
        }
      })
      const ref = yield* Actor.spawn(pinger, { redelivery: Schedule.forever })
      yield* Actor.tell(ref, new Ping())
      const waiting = yield* Effect.fork(Effect.repeat(Effect.sync(() => ids.length), { until: (n) => n >= 3 }))
      yield* Fiber.join(waiting)
      assert.strictEqual(new Set(ids).size, 1)
    })))

  it.effect("redelivery follows the schedule's delays on the system's deadline timer", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(biller, { redelivery: Schedule.exponential("1 second") })
      yield* Actor.tell(ref, new Charge({ id: 6, failTimes: 3 }))
      yield* Actor.ask(ref, new Log())
      // Attempts at 0, 1 s, 1 + 2 = 3 s and 3 + 4 = 7 s.
      for (const [at, attempts] of [[999, 1], [1, 2], [1999, 2], [1, 3], [3999, 3], [1, 4]] as const) {
        yield* TestClock.adjust(at)
        assert.strictEqual((yield* Actor.ask(ref, new Log())).length, attempts)
      }
      assert.deepStrictEqual(yield* Actor.ask(ref, new Log()), ["6#1 nack", "6#2 nack", "6#3 nack", "6#4 ack"])
    })))

  it.effect("pending redeliveries hold no fiber: they wait in the timer", () =>
    run(Effect.gen(function*() {
      const fibers = yield* Supervisor.track
      const ref = yield* Effect.supervised(
        Actor.spawn(biller, { redelivery: Schedule.spaced("1 minute") }),
        fibers
      )
      for (let id = 0; id < 100; id += 2) yield* Actor.tell(ref, new Charge({ id, failTimes: 1 }))
      assert.strictEqual((yield* Actor.ask(ref, new Log())).length, 50)
      // 50 redeliveries pending, and the only fiber is the actor's own.
      assert.strictEqual((yield* fibers.value).length, 1)
      yield* TestClock.adjust("1 minute")
      const log = yield* Actor.ask(ref, new Log())
      assert.strictEqual(log.filter((entry) => entry.endsWith("#2 ack")).length, 50)
      assert.strictEqual((yield* fibers.value).length, 1)
    })))

  it.effect("a redelivery into a full suspending mailbox waits for room without holding up the timer", () =>
    run(Effect.gen(function*() {
      class Gate extends Data.TaggedClass("Gate")<{ readonly gate: Deferred.Deferred<void> }> {}
      const gated = Actor.behavior<Later | Gate | Log>()({
        initialState: [] as ReadonlyArray<string>,
        handlers: {
          Later: (message, log, { delivery }) =>
            Effect.succeed(
              delivery.attempt === 1
                ? Reliable.defer([...log, `${message.id} defer`], "1 second")
                : Reliable.ack([...log, `${message.id}#${delivery.attempt} ack`])
            ),
          Gate: (message, log) => Effect.as(Deferred.await(message.gate), log),
          Log: (_, log) => Effect.succeed(Actor.reply(log, log))
        }
      })
      const full = yield* Actor.spawn(gated, { mailbox: { capacity: 1 } })
      const other = yield* Actor.spawn(gated)
      yield* Actor.tell(full, new Later({ id: 1 }))
      yield* Actor.tell(other, new Later({ id: 2 }))
      yield* Actor.ask(full, new Log())
      yield* Actor.ask(other, new Log())
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(full, new Gate({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(full, new Gate({ gate })) // the lane is full now
      yield* TestClock.adjust("1 second")
      // The other actor got its redelivery although the first one's lane had no room.
      assert.deepStrictEqual(yield* Actor.ask(other, new Log()), ["2 defer", "2#2 ack"])
      yield* Deferred.succeed(gate, undefined)
      // The waiting redelivery and these asks compete for room; it gets in soon after the gate opens.
      const log = yield* Effect.repeat(Actor.ask(full, new Log()), {
        until: (entries) => entries.length === 2,
        times: 5
      })
      assert.deepStrictEqual(log, ["1 defer", "1#2 ack"])
    })))

  it.effect("redeliveries still pending when the system shuts down are dead-lettered, not lost", () =>
    Effect.gen(function*() {
      const [system, letters] = yield* Effect.gen(function*() {
        const system = yield* ActorSystem.ActorSystem
        const letters = yield* system.subscribeDeadLetters
        const ref = yield* Actor.spawn(biller, { redelivery: Schedule.spaced("1 hour") })
        yield* Actor.tell(ref, new Charge({ id: 8, failTimes: 3 }))
        yield* Actor.tell(ref, new Later({ id: 9 }))
        assert.strictEqual((yield* Actor.ask(ref, new Log())).length, 2)
        return [system, letters] as const
      }).pipe(Effect.provide(ActorSystem.layer()))
      assert.strictEqual(yield* system.deadLetterCount, 2)
      const reasons = Chunk.toArray(yield* receivedSoFar(letters)).map((letter) => letter.reason)
      assert.deepStrictEqual(reasons, ["ActorStopped", "ActorStopped"])
    }).pipe(Effect.scoped))
})
