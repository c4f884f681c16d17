import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorError, ActorSystem, type DeadLetter, Terminated } from "@weft/actor"
import type { Broadcast } from "@weft/channel"
import {
  Cause,
  Chunk,
  Context,
  Data,
  Deferred,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  Option,
  Schedule,
  Schema,
  Stream,
  TestClock
} from "effect"
import type { Scope } from "effect"
import { Add, Block, type Counter, counter, Crash, Divide, Get, type Log, receivedSoFar, SlowGet } from "./fixtures.js"

const run = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer())) as Effect.Effect<
    A,
    E,
    Exclude<R, ActorSystem.ActorSystem | Scope.Scope>
  >

const newLog = (): Log => ({ handled: [] })

/** Lets the actor work until its mailbox is empty. */
const drained = (ref: Actor.ActorRef<never>): Effect.Effect<void> =>
  Effect.asVoid(Effect.repeat(Effect.zipRight(Effect.yieldNow(), Actor.mailboxSize(ref)), { until: (n) => n === 0 }))

/** Collects every dead letter published while `body` runs, after letting the system settle. */
const deadLettersOf = (queue: Broadcast.Subscription<DeadLetter.DeadLetter>) =>
  Effect.map(
    receivedSoFar(queue),
    (letters) => Chunk.toArray(letters).map((l) => `${l.reason}:${(l.message as { _tag: string })._tag}`)
  )

describe("Actor: messaging", () => {
  it.effect("tell and ask see messages in order with explicit state", () =>
    run(Effect.gen(function*() {
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log))
      yield* Actor.tell(ref, new Add({ n: 1 }))
      yield* Actor.tell(ref, new Add({ n: 2 }))
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 3)
      assert.deepStrictEqual(log.handled, ["Add(1)", "Add(2)"])
    })))

  it.effect("a request's typed failure goes to the asker and leaves the state alone", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      yield* Actor.tell(ref, new Add({ n: 4 }))
      assert.strictEqual(yield* Effect.flip(Actor.ask(ref, new Divide({ by: 0 }))), "division by zero")
      assert.strictEqual(yield* Actor.ask(ref, new Divide({ by: 2 })), 2)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 4)
    })))

  it.effect("data-last tell and ask", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      yield* ref.pipe(Actor.tell(new Add({ n: 5 })))
      assert.strictEqual(yield* ref.pipe(Actor.ask(new Get())), 5)
    })))

  it.effect("handler requirements are provided at spawn", () => {
    class Multiplier extends Context.Tag("Multiplier")<Multiplier, number>() {}
    const scaled = Actor.behavior<Add | Get>()({
      initialState: 0,
      handlers: {
        Add: (message, state) => Effect.map(Multiplier, (k) => state + k * message.n),
        Get: (_, state) => Effect.succeed(Actor.reply(state, state))
      }
    })
    return run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(scaled)
      yield* Actor.tell(ref, new Add({ n: 2 }))
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 20)
    })).pipe(Effect.provide(Layer.succeed(Multiplier, 10)))
  })

  it.effect("refs are equal by identity and carry their name", () =>
    run(Effect.gen(function*() {
      const a = yield* Actor.spawn(counter(), { name: "a" })
      const b = yield* Actor.spawn(counter(), { name: "b" })
      const found = yield* ActorSystem.lookup("a")
      assert.isTrue(Option.isSome(found) && found.value[Symbol.for("effect/Equal") as never] !== undefined)
      assert.isTrue(Option.isSome(found) && Actor.isActorRef(found.value) && found.value.id === a.id)
      assert.strictEqual(a.name, "a")
      assert.notStrictEqual(a.id, b.id)
    })))
})

describe("Actor: tell and ask effects are recipes", () => {
  it.effect("one tell effect run three times delivers three messages", () =>
    run(Effect.gen(function*() {
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log))
      const addOne = Actor.tell(ref, new Add({ n: 1 }))
      yield* addOne
      yield* addOne
      yield* addOne
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 3)
      assert.deepStrictEqual(log.handled, ["Add(1)", "Add(1)", "Add(1)"])
    })))

  it.effect("a tell built while the actor ran and run after it stopped is a dead letter, not an error", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log))
      const late = Actor.tell(ref, new Add({ n: 1 }))
      yield* Actor.stop(ref)
      yield* late
      assert.deepStrictEqual(yield* deadLettersOf(letters), ["ActorStopped:Add"])
      assert.deepStrictEqual(log.handled, [], "the message was not handled")
    })))

  it.effect("one ask effect run twice gets two replies, each answered once", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const get = Actor.ask(ref, new Get())
      yield* Actor.tell(ref, new Add({ n: 2 }))
      assert.strictEqual(yield* get, 2)
      yield* Actor.tell(ref, new Add({ n: 3 }))
      assert.strictEqual(yield* get, 5)
      assert.strictEqual(yield* ActorSystem.lateReplies, 0)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 0)
    })))

  it.effect("many concurrent asks each get their own reply", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const replies = yield* Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i + 1),
        (by) => Actor.ask(ref, new Divide({ by })),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(replies, Array.from({ length: 50 }, () => 0))
      assert.strictEqual(yield* ActorSystem.lateReplies, 0)
    })))
})

describe("Actor: mailbox strategies", () => {
  it.effect("suspend (default): tell waits while full and completes once there is room", () =>
    run(Effect.gen(function*() {
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log), { mailbox: { capacity: 2 } })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(ref, new Add({ n: 1 }))
      yield* Actor.tell(ref, new Add({ n: 2 }))
      const third = yield* Effect.fork(Actor.tell(ref, new Add({ n: 3 })))
      yield* Effect.yieldNow()
      assert.isNull(third.unsafePoll())
      assert.strictEqual(yield* Actor.mailboxSize(ref), 2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(third)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 6)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 0)
    })))

  it.effect("suspend: an interrupted tell enqueues nothing", () =>
    run(Effect.gen(function*() {
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log), { mailbox: { capacity: 1 } })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(ref, new Add({ n: 1 }))
      const blocked = yield* Effect.fork(Actor.tell(ref, new Add({ n: 100 })))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(blocked)
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
      assert.deepStrictEqual(log.handled, ["Block", "Add(1)"])
    })))

  it.effect("dropping: the new message is dead-lettered, tell succeeds", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const ref = yield* Actor.spawn(counter(), { mailbox: { capacity: 1, strategy: "dropping" } })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(ref, new Add({ n: 1 }))
      yield* Actor.tell(ref, new Add({ n: 2 }))
      yield* Deferred.succeed(gate, undefined)
      yield* drained(ref)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
      assert.deepStrictEqual(yield* deadLettersOf(letters), ["MailboxFull:Add"])
    })))

  it.effect("sliding: the oldest queued message is evicted", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log), { mailbox: { capacity: 2, strategy: "sliding" } })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Effect.yieldNow()
      for (const n of [1, 2, 3, 4]) yield* Actor.tell(ref, new Add({ n }))
      yield* Deferred.succeed(gate, undefined)
      yield* drained(ref)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 7)
      assert.deepStrictEqual(log.handled, ["Block", "Add(3)", "Add(4)"])
      assert.deepStrictEqual(yield* deadLettersOf(letters), ["Evicted:Add", "Evicted:Add"])
    })))

  it.effect("fail: tell fails with MailboxFull and the message is dead-lettered", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter(), { name: "f", mailbox: { capacity: 1, strategy: "fail" } })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(ref, new Add({ n: 1 }))
      const error = yield* Effect.flip(Actor.tell(ref, new Add({ n: 2 })))
      assert.deepStrictEqual(error, new ActorError.MailboxFull({ actor: "f", tag: "Add", capacity: 1 }))
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 1)
      yield* Deferred.succeed(gate, undefined)
      yield* drained(ref)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
    })))

  it.effect("an ask to a full dropping mailbox fails at once with MailboxFull", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter(), { mailbox: { capacity: 1, strategy: "dropping" } })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(ref, new Add({ n: 1 }))
      const error = yield* Effect.flip(Actor.ask(ref, new Get()))
      assert.strictEqual(error._tag, "MailboxFull")
      yield* Deferred.succeed(gate, undefined)
    })))

  it.effect("an invalid capacity is a typed error", () =>
    run(Effect.gen(function*() {
      const error = yield* Effect.flip(Actor.spawn(counter(), { mailbox: { capacity: 0 } }))
      assert.deepStrictEqual(error, new ActorError.InvalidMailboxCapacity({ capacity: 0 }))
    })))
})

describe("Actor: ask deadlines", () => {
  it.effect("a timed-out ask fails with the facts and its message is skipped, not run", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log), { name: "slow" })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Actor.tell(ref, new Add({ n: 1 }))
      const fiber = yield* Effect.fork(Actor.ask(ref, new Divide({ by: 1 }), { timeout: "100 millis" }))
      yield* TestClock.adjust("100 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.deepStrictEqual(
        error,
        new ActorError.AskTimeout({ actor: "slow", tag: "Divide", mailboxSize: 2, waitedMs: 100 })
      )
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
      assert.deepStrictEqual(log.handled, ["Block", "Add(1)"])
      assert.deepStrictEqual(yield* deadLettersOf(letters), ["Expired:Divide"])
      assert.strictEqual(yield* ActorSystem.lateReplies, 0)
    })))

  it.effect("a reply after the deadline is dropped and counted", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const gate = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(Actor.ask(ref, new SlowGet({ gate }), { timeout: "1 second" }))
      yield* Effect.yieldNow()
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Effect.flip(Fiber.join(fiber)))._tag, "AskTimeout")
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 0)
      assert.strictEqual(yield* ActorSystem.lateReplies, 1)
    })))

  it.effect("the system's default deadline applies", () =>
    Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      const fiber = yield* Effect.fork(Actor.ask(ref, new Get()))
      yield* TestClock.adjust("249 millis")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Effect.flip(Fiber.join(fiber)))._tag, "AskTimeout")
      yield* Deferred.succeed(gate, undefined)
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer({ askTimeout: "250 millis" }))))

  it.effect("many asks with different deadlines time out in deadline order", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      const fibers = yield* Effect.forEach([500, 100, 300], (ms) =>
        Effect.fork(Actor.ask(ref, new Get(), { timeout: ms })))
      yield* TestClock.adjust("100 millis")
      assert.deepStrictEqual(
        fibers.map((f) =>
          f.unsafePoll() !== null
        ),
        [false, true, false]
      )
      yield* TestClock.adjust("200 millis")
      assert.deepStrictEqual(fibers.map((f) => f.unsafePoll() !== null), [false, true, true])
      yield* TestClock.adjust("200 millis")
      assert.deepStrictEqual(fibers.map((f) => f.unsafePoll() !== null), [true, true, true])
      yield* Deferred.succeed(gate, undefined)
    })))

  it.effect("an ask answered in time leaves nothing for the timer", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      for (let i = 0; i < 100; i++) assert.strictEqual(yield* Actor.ask(ref, new Get(), { timeout: "1 second" }), 0)
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(yield* ActorSystem.lateReplies, 0)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 0)
    })))

  it.effect("an interrupted ask withdraws its message: it never runs", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log))
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      const fiber = yield* Effect.fork(Actor.ask(ref, new SlowGet({ gate })))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 0)
      assert.deepStrictEqual(log.handled, ["Block"])
      assert.deepStrictEqual(yield* deadLettersOf(letters), ["AskInterrupted:SlowGet"])
    })))

  it.effect("asking a full suspending mailbox gives up at the deadline and dead-letters the message", () =>
    run(Effect.gen(function*() {
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log), { mailbox: { capacity: 1 } })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(ref, new Add({ n: 1 }))
      const fiber = yield* Effect.fork(Actor.ask(ref, new Get(), { timeout: "50 millis" }))
      yield* TestClock.adjust("50 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "AskTimeout")
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 1)
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
      assert.deepStrictEqual(log.handled, ["Block", "Add(1)"])
    })))
})

class AskSelf extends Data.TaggedClass("AskSelf")<{}> {}
class AskOther extends Data.TaggedClass("AskOther")<{ readonly other: Actor.ActorRef<Get> }> {}
class Relay extends Schema.TaggedRequest<Relay>()("Relay", {
  failure: Schema.Never,
  success: Schema.String,
  payload: {}
}) {}

describe("Actor: ask cycles", () => {
  it.effect("asking yourself fails fast with AskCycle", () =>
    run(Effect.gen(function*() {
      const result = yield* Deferred.make<string>()
      const selfAsker = Actor.behavior<AskSelf | Get>()({
        initialState: 0,
        handlers: {
          AskSelf: (_, state, { self }) =>
            Actor.ask(self, new Get()).pipe(
              Effect.match({ onFailure: (e) => e._tag, onSuccess: () => "replied" }),
              Effect.flatMap((outcome) => Deferred.succeed(result, outcome)),
              Effect.as(state)
            ),
          Get: (_, state) => Effect.succeed(Actor.reply(state, state))
        }
      })
      const ref = yield* Actor.spawn(selfAsker, { name: "narcissus" })
      yield* Actor.tell(ref, new AskSelf())
      assert.strictEqual(yield* Deferred.await(result), "AskCycle")
    })))

  it.effect("after a supervised restart the handler is still its actor: asking yourself still fails fast", () =>
    run(Effect.gen(function*() {
      const outcomes: Array<string> = []
      const selfAsker = Actor.behavior<AskSelf | Get | Crash>()({
        initialState: 0,
        handlers: {
          AskSelf: (_, state, { self }) =>
            Actor.ask(self, new Get()).pipe(
              Effect.match({ onFailure: (e) => e._tag, onSuccess: () => "replied" }),
              Effect.map((outcome) => (outcomes.push(outcome), state))
            ),
          Get: (_, state) => Effect.succeed(Actor.reply(state, state)),
          Crash: () => Effect.dieMessage("boom")
        }
      })
      // The restart's backoff races a stop request; the race must not cost the loop its identity.
      const ref = yield* Actor.spawn(selfAsker, { supervision: { restarts: Schedule.forever } })
      yield* Actor.tell(ref, new Crash())
      yield* Actor.tell(ref, new AskSelf())
      yield* Actor.ask(ref, new Get())
      assert.deepStrictEqual(outcomes, ["AskCycle"])
    })))

  it.effect("a cycle through another actor fails fast instead of deadlocking", () =>
    run(Effect.gen(function*() {
      const seen = yield* Deferred.make<ActorError.AskError>()
      // B answers Get by asking A back; A asks B. A waits on B, B's ask to A closes the cycle.
      const aRef = yield* Deferred.make<Actor.ActorRef<Relay>>()
      const b = yield* Actor.spawn(
        Actor.behavior<Get>()({
          initialState: 0,
          handlers: {
            Get: (_, state) =>
              Deferred.await(aRef).pipe(
                Effect.flatMap((a) => Actor.ask(a, new Relay())),
                Effect.catchAll((e) => Effect.as(Deferred.succeed(seen, e as ActorError.AskError), "")),
                Effect.as(Actor.reply(state, state))
              )
          }
        }),
        { name: "b" }
      )
      const a = yield* Actor.spawn(
        Actor.behavior<AskOther | Relay>()({
          initialState: 0,
          handlers: {
            AskOther: (message, state) => Effect.as(Effect.ignore(Actor.ask(message.other, new Get())), state),
            Relay: (_, state) => Effect.succeed(Actor.reply("relayed", state))
          }
        }),
        { name: "a" }
      )
      yield* Deferred.succeed(aRef, a)
      yield* Actor.tell(a, new AskOther({ other: b }))
      const error = yield* Deferred.await(seen)
      assert.deepStrictEqual(error, new ActorError.AskCycle({ actor: "a", tag: "Relay", path: ["b", "a", "b"] }))
      // Nothing is stuck: both still answer.
      assert.strictEqual(yield* Actor.ask(a, new Relay()), "relayed")
      assert.strictEqual(yield* Actor.ask(b, new Get()), 0)
    })))

  it.effect("asks from outside an actor are never cycles", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const results = yield* Effect.all([Actor.ask(ref, new Get()), Actor.ask(ref, new Get())], {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(results, [0, 0])
    })))
})

describe("Actor: stop modes", () => {
  it.effect("stop finishes the current message, dead-letters the queue, rejects new messages", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log), { name: "s" })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Actor.tell(ref, new Add({ n: 1 }))
      const pending = yield* Effect.fork(Actor.ask(ref, new Get()))
      yield* Effect.yieldNow()
      const stopping = yield* Effect.fork(Actor.stop(ref))
      yield* Effect.yieldNow()
      const rejected = yield* Effect.flip(Actor.tell(ref, new Add({ n: 2 })))
      assert.deepStrictEqual(rejected, new ActorError.ActorStopping({ actor: "s", tag: "Add" }))
      yield* Deferred.succeed(gate, undefined)
      const terminated = yield* Fiber.join(stopping)
      assert.strictEqual(terminated.reason._tag, "Stopped")
      assert.deepStrictEqual(log.handled, ["Block"])
      assert.strictEqual((yield* Effect.flip(Fiber.join(pending)))._tag, "ActorStopped")
      assert.deepStrictEqual(yield* deadLettersOf(letters), [
        "ActorStopping:Add",
        "ActorStopped:Add",
        "ActorStopped:Get"
      ])
    })))

  it.effect("drain processes everything queued, rejecting new messages with ActorStopping", () =>
    run(Effect.gen(function*() {
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log))
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Actor.tell(ref, new Add({ n: 1 }))
      yield* Actor.tell(ref, new Add({ n: 2 }))
      const draining = yield* Effect.fork(Actor.stop(ref, { mode: "drain" }))
      yield* Effect.yieldNow()
      assert.strictEqual((yield* Effect.flip(Actor.tell(ref, new Add({ n: 3 }))))._tag, "ActorStopping")
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual((yield* Fiber.join(draining)).reason._tag, "Stopped")
      assert.deepStrictEqual(log.handled, ["Block", "Add(1)", "Add(2)"])
    })))

  it.effect("kill interrupts the current message and runs its finalizers", () =>
    run(Effect.gen(function*() {
      const released = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      class Hang extends Data.TaggedClass("Hang")<{}> {}
      const hanging = Actor.behavior<Hang>()({
        initialState: 0,
        handlers: {
          Hang: (_, state) =>
            Deferred.succeed(started, undefined).pipe(
              Effect.zipRight(Effect.never),
              Effect.onInterrupt(() => Deferred.succeed(released, undefined)),
              Effect.as(state)
            )
        }
      })
      const ref = yield* Actor.spawn(hanging)
      yield* Actor.tell(ref, new Hang())
      yield* Deferred.await(started)
      const terminated = yield* Actor.stop(ref, { mode: "kill" })
      assert.strictEqual(terminated.reason._tag, "Killed")
      assert.isTrue(yield* Deferred.isDone(released))
    })))

  it.effect("kill while a handler is blocked: the in-flight message is dead-lettered Killed, its asker fails at once", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log), { name: "k" })
      const gate = yield* Deferred.make<void>()
      const blocked = yield* Effect.fork(Actor.ask(ref, new SlowGet({ gate }), { timeout: "1 hour" }))
      yield* Effect.yieldNow()
      yield* Actor.tell(ref, new Add({ n: 1 }))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(log.handled, ["SlowGet"])
      const terminated = yield* Actor.stop(ref, { mode: "kill" })
      assert.strictEqual(terminated.reason._tag, "Killed")
      // The asker learns at once, not at its deadline an hour later.
      assert.deepStrictEqual(
        yield* Effect.flip(Fiber.join(blocked)),
        new ActorError.ActorStopped({ actor: "k", tag: "SlowGet" })
      )
      assert.deepStrictEqual(yield* deadLettersOf(letters), ["Killed:SlowGet", "ActorStopped:Add"])
      // Nothing ran after the kill, not even once the gate opens.
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.yieldNow()
      assert.deepStrictEqual(log.handled, ["SlowGet"])
    })))

  it.effect("kill does not wait behind a full user lane or a suspended sender", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log), { mailbox: { capacity: 2 } })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Effect.yieldNow()
      yield* Actor.tell(ref, new Add({ n: 1 }))
      yield* Actor.tell(ref, new Add({ n: 2 }))
      const sender = yield* Effect.fork(Actor.tell(ref, new Add({ n: 3 })))
      yield* Effect.yieldNow()
      assert.isNull(sender.unsafePoll())
      assert.strictEqual((yield* Actor.stop(ref, { mode: "kill" })).reason._tag, "Killed")
      yield* Fiber.join(sender)
      // No queued message ran: the kill overtook all of them.
      assert.deepStrictEqual(log.handled, ["Block"])
      assert.sameMembers(yield* deadLettersOf(letters), [
        "Killed:Block",
        "ActorStopped:Add",
        "ActorStopped:Add",
        "ActorStopped:Add"
      ])
    })))

  it.effect("kill of an idle actor goes through its system lane: nothing is dead-lettered, onStop does not run", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const stops: Array<string> = []
      const ref = yield* Actor.spawn(
        Actor.behavior<Add>()({
          initialState: 0,
          handlers: { Add: (message, state) => Effect.succeed(state + message.n) },
          onStop: () => Effect.sync(() => stops.push("stopped"))
        })
      )
      yield* Actor.tell(ref, new Add({ n: 1 }))
      yield* drained(ref)
      yield* Effect.yieldNow()
      assert.strictEqual((yield* Actor.stop(ref, { mode: "kill", timeout: "1 second" })).reason._tag, "Killed")
      assert.deepStrictEqual(yield* deadLettersOf(letters), [])
      assert.deepStrictEqual(stops, [])
      const again = yield* Effect.either(Actor.tell(ref, new Add({ n: 1 })))
      assert.isTrue(again._tag === "Right")
    })))

  it.effect("a graceful stop that overruns its timeout becomes a kill", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Effect.yieldNow()
      const stopping = yield* Effect.fork(Actor.stop(ref, { timeout: "1 second" }))
      yield* TestClock.adjust("999 millis")
      assert.isNull(stopping.unsafePoll())
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Fiber.join(stopping)).reason._tag, "Killed")
    })))

  it.effect("after termination: tell dead-letters quietly, ask fails with ActorStopped, stop returns the same Terminated", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter(), { name: "gone" })
      const first = yield* Actor.stop(ref)
      yield* Actor.tell(ref, new Add({ n: 1 }))
      assert.deepStrictEqual(
        yield* Effect.flip(Actor.ask(ref, new Get())),
        new ActorError.ActorStopped({ actor: "gone", tag: "Get" })
      )
      assert.strictEqual(yield* Actor.stop(ref, { mode: "kill" }), first)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 2)
      assert.isTrue(Option.isNone(yield* ActorSystem.lookup("gone")))
    })))

  it.effect("interrupting a caller of stop does not cancel the stop", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Effect.yieldNow()
      const stopping = yield* Effect.fork(Actor.stop(ref))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(stopping)
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual((yield* Actor.awaitTermination(ref)).reason._tag, "Stopped")
    })))

  it.effect("closing the spawn scope stops the actor", () =>
    Effect.gen(function*() {
      const ref = yield* Effect.scoped(Actor.spawn(counter()))
      const terminated = yield* Actor.awaitTermination(ref)
      assert.strictEqual(terminated.reason._tag, "Stopped")
    }).pipe(Effect.provide(ActorSystem.layer())))

  it.effect("closing the layer without calling shutdown drains too: the actors are not just interrupted", () =>
    Effect.gen(function*() {
      const log = newLog()
      const stops: Array<string> = []
      const ref = yield* Effect.gen(function*() {
        const ref = yield* Actor.spawn(
          Actor.behavior<Add>()({
            initialState: 0,
            handlers: { Add: (message, state) => Effect.sync(() => (log.handled.push(`Add(${message.n})`), state)) },
            onStop: () => Effect.sync(() => stops.push("stopped"))
          })
        )
        yield* Actor.tell(ref, new Add({ n: 1 }))
        yield* Actor.tell(ref, new Add({ n: 2 }))
        return ref
      }).pipe(Effect.provide(ActorSystem.layer()))
      assert.deepStrictEqual(log.handled, ["Add(1)", "Add(2)"])
      assert.deepStrictEqual(stops, ["stopped"])
      assert.strictEqual((yield* Actor.awaitTermination(ref)).reason._tag, "Stopped")
    }).pipe(Effect.scoped))

  it.effect("the layer closing drains every actor", () =>
    Effect.gen(function*() {
      const log = newLog()
      const ref = yield* Effect.gen(function*() {
        const ref = yield* Actor.spawn(counter(log))
        yield* Actor.tell(ref, new Add({ n: 1 }))
        yield* Actor.tell(ref, new Add({ n: 2 }))
        yield* ActorSystem.shutdown()
        return ref
      }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))
      assert.deepStrictEqual(log.handled, ["Add(1)", "Add(2)"])
      assert.strictEqual((yield* Actor.awaitTermination(ref)).reason._tag, "Stopped")
    }))
})

class Watch extends Data.TaggedClass("Watch")<{ readonly target: Actor.ActorRef<never> }> {}
class Seen extends Schema.TaggedRequest<Seen>()("Seen", {
  failure: Schema.Never,
  success: Schema.Array(Schema.String),
  payload: {}
}) {}

const watcher = Actor.behavior<Watch | Seen>()({
  initialState: [] as ReadonlyArray<string>,
  handlers: {
    Watch: (message, state, { self }) => Effect.as(Actor.watch(self, message.target), state),
    Seen: (_, state) => Effect.succeed(Actor.reply(state, state))
  },
  onTerminated: (terminated, state) => Effect.succeed([...state, `${terminated.actor.name}:${terminated.reason._tag}`])
})

describe("Actor: death watch", () => {
  it.effect("a watcher receives Terminated with the reason", () =>
    run(Effect.gen(function*() {
      const w = yield* Actor.spawn(watcher)
      const stopped = yield* Actor.spawn(counter(), { name: "stopped" })
      const killed = yield* Actor.spawn(counter(), { name: "killed" })
      const failed = yield* Actor.spawn(counter(), { name: "failed", supervision: { strategy: "stop" } })
      for (const target of [stopped, killed, failed]) yield* Actor.tell(w, new Watch({ target }))
      yield* Actor.ask(w, new Seen())
      yield* Actor.stop(stopped)
      yield* Actor.stop(killed, { mode: "kill" })
      yield* Actor.tell(failed, new Crash())
      yield* Actor.awaitTermination(failed)
      assert.deepStrictEqual(yield* Actor.ask(w, new Seen()), ["stopped:Stopped", "killed:Killed", "failed:Failed"])
    })))

  it.effect("watching an actor that is already gone notifies at once; unwatch stops notifications", () =>
    run(Effect.gen(function*() {
      const w = yield* Actor.spawn(watcher)
      const gone = yield* Actor.spawn(counter(), { name: "gone" })
      const other = yield* Actor.spawn(counter(), { name: "other" })
      yield* Actor.stop(gone)
      yield* Actor.watch(w, gone)
      yield* Actor.watch(w, other)
      yield* Actor.unwatch(w, other)
      yield* Actor.stop(other)
      assert.deepStrictEqual(yield* Actor.ask(w, new Seen()), ["gone:Stopped"])
    })))

  it.effect("Terminated is a typed value", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const terminated = yield* Actor.stop(ref)
      assert.isTrue(terminated instanceof Terminated.Terminated)
      assert.isTrue(terminated.actor.id === ref.id)
    })))
})

describe("Actor: supervision", () => {
  it.effect("restart: fresh state, the crashing message is dead-lettered, queued messages survive", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const log = newLog()
      const ref = yield* Actor.spawn(counter(log), {
        supervision: { strategy: "restart", restarts: Schedule.forever }
      })
      yield* Actor.tell(ref, new Add({ n: 5 }))
      yield* Actor.tell(ref, new Crash())
      yield* Actor.tell(ref, new Add({ n: 1 }))
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
      assert.deepStrictEqual(log.handled, ["Add(5)", "Crash", "Add(1)"])
      assert.deepStrictEqual(yield* deadLettersOf(letters), ["Crashed:Crash"])
    })))

  it.effect("restart waits for the schedule's backoff", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter(), {
        supervision: { restarts: Schedule.spaced("1 second") }
      })
      yield* Actor.tell(ref, new Crash())
      const fiber = yield* Effect.fork(Actor.ask(ref, new Get(), { timeout: "10 seconds" }))
      yield* TestClock.adjust("999 millis")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 0)
    })))

  it.effect("too many restarts escalate: the actor fails", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter(), { supervision: { restarts: Schedule.recurs(2) } })
      for (let i = 0; i < 3; i++) yield* Actor.tell(ref, new Crash())
      const terminated = yield* Actor.awaitTermination(ref)
      assert.strictEqual(terminated.reason._tag, "Failed")
    })))

  it.effect("resume keeps the state and drops only the crashing message", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter(), { supervision: { strategy: "resume" } })
      yield* Actor.tell(ref, new Add({ n: 5 }))
      yield* Actor.tell(ref, new Crash())
      yield* Actor.tell(ref, new Add({ n: 1 }))
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 6)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 1)
    })))

  it.effect("stop terminates with the cause", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter(), { supervision: { strategy: "stop" } })
      yield* Actor.tell(ref, new Crash())
      const terminated = yield* Actor.awaitTermination(ref)
      assert.isTrue(terminated.reason._tag === "Failed" && Cause.isDie(terminated.reason.cause))
    })))

  it.effect("an asker whose message crashed the actor fails with HandlerCrashed", () =>
    run(Effect.gen(function*() {
      class Boom extends Schema.TaggedRequest<Boom>()("Boom", {
        failure: Schema.Never,
        success: Schema.Number,
        payload: {}
      }) {}
      const ref = yield* Actor.spawn(
        Actor.behavior<Boom>()({
          initialState: 0,
          handlers: { Boom: () => Effect.dieMessage("boom") }
        }),
        { name: "boom" }
      )
      assert.deepStrictEqual(
        yield* Effect.flip(Actor.ask(ref, new Boom())),
        new ActorError.HandlerCrashed({ actor: "boom", tag: "Boom" })
      )
    })))

  it.effect("escalate crashes the parent, whose own strategy applies", () =>
    run(Effect.gen(function*() {
      class SpawnChild
        extends Data.TaggedClass("SpawnChild")<{ readonly reply: Deferred.Deferred<Actor.ActorRef<Crash>> }>
      {}
      const restarts: Array<string> = []
      const parent = Actor.behavior<SpawnChild>()({
        initialState: 0,
        handlers: {
          SpawnChild: (message, state) =>
            Actor.spawn(counter(), { supervision: { strategy: "escalate" } }).pipe(
              Effect.orDie,
              Effect.flatMap((child) => Deferred.succeed(message.reply, child)),
              Effect.as(state + 1)
            )
        },
        onRestart: (cause) => Effect.sync(() => restarts.push(Cause.isDie(cause) ? "die" : "other"))
      })
      const ref = yield* Actor.spawn(parent, { supervision: { restarts: Schedule.forever } })
      const reply = yield* Deferred.make<Actor.ActorRef<Crash>>()
      yield* Actor.tell(ref, new SpawnChild({ reply }))
      const child = yield* Deferred.await(reply)
      yield* Actor.tell(child, new Crash())
      assert.strictEqual((yield* Actor.awaitTermination(child)).reason._tag, "Failed")
      // The parent restarted; its next child works.
      const again = yield* Deferred.make<Actor.ActorRef<Crash>>()
      yield* Actor.tell(ref, new SpawnChild({ reply: again }))
      yield* Deferred.await(again)
      assert.deepStrictEqual(restarts, ["die"])
    })))

  it.effect("resources acquired in onStart are released on restart and on stop", () =>
    run(Effect.gen(function*() {
      const events: Array<string> = []
      let generation = 0
      const withResource = Actor.behavior<Crash | Get>()({
        initialState: 0,
        handlers: {
          Crash: () => Effect.dieMessage("boom"),
          Get: (_, state) => Effect.succeed(Actor.reply(state, state))
        },
        onStart: () =>
          Effect.acquireRelease(
            Effect.sync(() => {
              const n = ++generation
              events.push(`acquire ${n}`)
              return n
            }),
            (n) => Effect.sync(() => events.push(`release ${n}`))
          ),
        onRestart: () => Effect.sync(() => events.push("restart")),
        onStop: (state) => Effect.sync(() => events.push(`stop ${state}`))
      })
      const ref = yield* Actor.spawn(withResource, { supervision: { restarts: Schedule.forever } })
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
      yield* Actor.tell(ref, new Crash())
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 2)
      yield* Actor.stop(ref)
      assert.deepStrictEqual(events, ["acquire 1", "release 1", "restart", "acquire 2", "stop 2", "release 2"])
    })))
})

describe("Actor: registry", () => {
  it.effect("names are unique among live actors and free again after termination", () =>
    run(Effect.gen(function*() {
      const first = yield* Actor.spawn(counter(), { name: "unique" })
      const error = yield* Effect.flip(Actor.spawn(counter(), { name: "unique" }))
      assert.deepStrictEqual(error, new ActorError.NameTaken({ name: "unique" }))
      yield* Actor.stop(first)
      const second = yield* Actor.spawn(counter(), { name: "unique" })
      const found = yield* ActorSystem.lookup("unique")
      assert.isTrue(Option.isSome(found) && found.value.id === second.id)
      assert.strictEqual((yield* Effect.flatMap(ActorSystem.ActorSystem, (s) => s.actors)).length, 1)
    })))
})

describe("Actor: cancellation safety", () => {
  it.effect("interrupting spawn leaves no actor running", () =>
    run(Effect.gen(function*() {
      const fiber = yield* Effect.fork(Actor.spawn(counter(), { name: "x" }))
      yield* Fiber.interrupt(fiber)
      const actors = yield* Effect.flatMap(ActorSystem.ActorSystem, (s) => s.actors)
      const exit = yield* Fiber.await(fiber)
      // Either the spawn completed (and its scope owns the actor) or nothing was started.
      assert.isTrue(Exit.isSuccess(exit) ? actors.length === 1 : actors.length === 0)
    })))
})

class SpawnChild extends Data.TaggedClass("SpawnChild")<{
  readonly reply: Deferred.Deferred<Actor.ActorRef<Counter>>
}> {}

describe("Actor: edge cases", () => {
  it.effect("a handler that throws instead of returning an Effect is a crash, not a dead loop", () =>
    run(Effect.gen(function*() {
      class Throw extends Data.TaggedClass("Throw")<{}> {}
      const thrower = Actor.behavior<Throw | Get>()({
        initialState: 0,
        handlers: {
          Throw: () => {
            throw new Error("thrown")
          },
          Get: (_, state) => Effect.succeed(Actor.reply(state, state))
        }
      })
      const ref = yield* Actor.spawn(thrower, { supervision: { strategy: "resume" } })
      yield* Actor.tell(ref, new Throw())
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 0)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 1)
    })))

  it.effect("an actor can stop or kill itself from a handler", () =>
    run(Effect.gen(function*() {
      class Quit extends Data.TaggedClass("Quit")<{ readonly mode: "stop" | "kill" }> {}
      const quitter = Actor.behavior<Quit | Add>()({
        initialState: 0,
        handlers: {
          Quit: (message, state, { self }) => Effect.as(Actor.stop(self, { mode: message.mode }), state),
          Add: (message, state) => Effect.succeed(state + message.n)
        }
      })
      const stopper = yield* Actor.spawn(quitter)
      yield* Actor.tell(stopper, new Quit({ mode: "stop" }))
      yield* Actor.tell(stopper, new Add({ n: 1 }))
      assert.strictEqual((yield* Actor.awaitTermination(stopper)).reason._tag, "Stopped")
      const killer = yield* Actor.spawn(quitter)
      yield* Actor.tell(killer, new Quit({ mode: "kill" }))
      assert.strictEqual((yield* Actor.awaitTermination(killer)).reason._tag, "Killed")
    })))

  it.effect("children spawned in a handler stop when their parent restarts", () =>
    run(Effect.gen(function*() {
      const parent = Actor.behavior<SpawnChild | Crash>()({
        initialState: 0,
        handlers: {
          SpawnChild: (message, state) =>
            Actor.spawn(counter()).pipe(
              Effect.orDie,
              Effect.flatMap((child) => Deferred.succeed(message.reply, child)),
              Effect.as(state)
            ),
          Crash: () => Effect.dieMessage("boom")
        }
      })
      const ref = yield* Actor.spawn(parent, { supervision: { restarts: Schedule.forever } })
      const reply = yield* Deferred.make<Actor.ActorRef<Counter>>()
      yield* Actor.tell(ref, new SpawnChild({ reply }))
      const child = yield* Deferred.await(reply)
      assert.strictEqual(yield* Actor.ask(child, new Get()), 0)
      yield* Actor.tell(ref, new Crash())
      assert.strictEqual((yield* Actor.awaitTermination(child)).reason._tag, "Stopped")
    })))

  it.effect("a failing onStart is supervised like a crash", () =>
    run(Effect.gen(function*() {
      let attempts = 0
      const flaky = Actor.behavior<Get>()({
        initialState: 0,
        handlers: { Get: (_, state) => Effect.succeed(Actor.reply(state, state)) },
        onStart: (state) =>
          Effect.suspend(() => ++attempts < 3 ? Effect.dieMessage("not yet") : Effect.succeed(state + attempts))
      })
      const ref = yield* Actor.spawn(flaky, { supervision: { restarts: Schedule.forever } })
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 3)
      assert.strictEqual(attempts, 3)
    })))

  it.effect("asks queued before a drain are answered", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Block({ gate }))
      yield* Actor.tell(ref, new Add({ n: 3 }))
      const asked = yield* Effect.fork(Actor.ask(ref, new Get()))
      yield* Effect.yieldNow()
      const draining = yield* Effect.fork(Actor.stop(ref, { mode: "drain" }))
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Fiber.join(asked), 3)
      assert.strictEqual((yield* Fiber.join(draining)).reason._tag, "Stopped")
    })))

  it.effect("dead letters are also a Stream", () =>
    run(Effect.gen(function*() {
      const collected = yield* Effect.fork(Stream.runCollect(Stream.take(ActorSystem.deadLetters, 2)))
      yield* Effect.yieldNow()
      const ref = yield* Actor.spawn(counter(), { name: "dl" })
      yield* Actor.stop(ref)
      yield* Actor.tell(ref, new Add({ n: 1 }))
      yield* Actor.tell(ref, new Add({ n: 2 }))
      const letters = Chunk.toArray(yield* Fiber.join(collected)).map(Either.getOrThrow)
      assert.deepStrictEqual(letters.map((l) => [l.actor, l.reason]), [["dl", "ActorStopped"], ["dl", "ActorStopped"]])
    })))

  it.effect("interrupting awaitTermination leaves the actor running", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter())
      const waiting = yield* Effect.fork(Actor.awaitTermination(ref))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiting)
      yield* Actor.tell(ref, new Add({ n: 2 }))
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 2)
    })))

  it.effect("escalate without a parent terminates like stop", () =>
    run(Effect.gen(function*() {
      const ref = yield* Actor.spawn(counter(), { supervision: { strategy: "escalate" } })
      yield* Actor.tell(ref, new Crash())
      assert.strictEqual((yield* Actor.awaitTermination(ref)).reason._tag, "Failed")
    })))
})

describe("ActorSystem: lifecycle events", () => {
  it.effect("start, restart and termination are published in order", () =>
    run(Effect.gen(function*() {
      const events = yield* ActorSystem.subscribeLifecycle
      const ref = yield* Actor.spawn(counter(), { name: "life", supervision: { restarts: Schedule.forever } })
      yield* Actor.tell(ref, new Crash())
      yield* Actor.ask(ref, new Get())
      yield* Actor.stop(ref)
      const seen = Chunk.toArray(yield* receivedSoFar(events)).map((event) => `${event._tag}:${event.actor.name}`)
      assert.deepStrictEqual(seen, ["Started:life", "Restarted:life", "Terminated:life"])
    })))
})

describe("Actor: supervision outside a message", () => {
  it.effect("resume cannot resume a failed onStart: it restarts on the schedule and gives up", () =>
    run(Effect.gen(function*() {
      let attempts = 0
      const broken = Actor.behavior<Get>()({
        initialState: 0,
        handlers: { Get: (_, state) => Effect.succeed(Actor.reply(state, state)) },
        onStart: () => Effect.suspend(() => (attempts++, Effect.dieMessage("never starts")))
      })
      const ref = yield* Actor.spawn(broken, { supervision: { strategy: "resume", restarts: Schedule.recurs(3) } })
      assert.strictEqual((yield* Actor.awaitTermination(ref)).reason._tag, "Failed")
      assert.strictEqual(attempts, 4)
    })))

  it.effect("resume after a crash in onTerminated keeps the state", () =>
    run(Effect.gen(function*() {
      class WatchIt extends Data.TaggedClass("WatchIt")<{ readonly target: Actor.ActorRef<never> }> {}
      const fragile = Actor.behavior<WatchIt | Add | Get>()({
        initialState: 0,
        handlers: {
          WatchIt: (message, state, { self }) => Effect.as(Actor.watch(self, message.target), state),
          Add: (message, state) => Effect.succeed(state + message.n),
          Get: (_, state) => Effect.succeed(Actor.reply(state, state))
        },
        onTerminated: () => Effect.dieMessage("cannot cope")
      })
      const ref = yield* Actor.spawn(fragile, { supervision: { strategy: "resume" } })
      const target = yield* Actor.spawn(counter())
      yield* Actor.tell(ref, new Add({ n: 9 }))
      yield* Actor.tell(ref, new WatchIt({ target }))
      yield* Actor.ask(ref, new Get())
      yield* Actor.stop(target)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 9)
    })))
})
