import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorError, ActorSystem, type DeadLetter } from "@weft/actor"
import type { Broadcast } from "@weft/channel"
import { Chunk, Deferred, Effect, FastCheck as fc, Fiber } from "effect"
import type { Scope } from "effect"
import { Add, Block, counter, Get, type Log, receivedSoFar } from "./fixtures.js"

const run = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.scoped, Effect.provide(ActorSystem.layer())) as Effect.Effect<
    A,
    E,
    Exclude<R, ActorSystem.ActorSystem | Scope.Scope>
  >

const adds = (...ns: ReadonlyArray<number>) => ns.map((n) => new Add({ n }))

const reasonsOf = (queue: Broadcast.Subscription<DeadLetter.DeadLetter>) =>
  Effect.map(receivedSoFar(queue), (letters) => Chunk.toArray(letters).map((l) => l.reason))

/** Lets the actor work until its mailbox is empty. */
const drained = (ref: Actor.ActorRef<never>): Effect.Effect<void> =>
  Effect.asVoid(Effect.repeat(Effect.zipRight(Effect.yieldNow(), Actor.mailboxSize(ref)), { until: (n) => n === 0 }))

/** An actor parked in a `Block` handler, and the gate that lets it go on. */
const blocked = (log: Log, mailbox: Actor.SpawnOptions["mailbox"]) =>
  Effect.gen(function*() {
    const ref = yield* Actor.spawn(counter(log), { name: "c", mailbox })
    const gate = yield* Deferred.make<void>()
    yield* Actor.tell(ref, new Block({ gate }))
    while (log.handled.length === 0) yield* Effect.yieldNow()
    return { ref, open: Deferred.succeed(gate, undefined) }
  })

describe("Actor.tellAll", () => {
  it.effect("tells every message in order, waiting for room in a small suspend mailbox", () =>
    run(Effect.gen(function*() {
      const log: Log = { handled: [] }
      const ref = yield* Actor.spawn(counter(log), { mailbox: { capacity: 2 } })
      yield* Actor.tellAll(ref, adds(1, 2, 3, 4, 5, 6, 7))
      yield* ref.pipe(Actor.tellAll(new Set(adds(10))))
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 38)
      assert.deepStrictEqual(log.handled, [1, 2, 3, 4, 5, 6, 7, 10].map((n) => `Add(${n})`))
    })))

  it.effect("fail mailbox: every message is decided; the turned-away ones are dead letters, then MailboxFull", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const log: Log = { handled: [] }
      const { open, ref } = yield* blocked(log, { capacity: 2, strategy: "fail" })
      const error = yield* Effect.flip(Actor.tellAll(ref, adds(1, 2, 3, 4, 5)))
      assert.deepStrictEqual(error, new ActorError.MailboxFull({ actor: "c", tag: "Add", capacity: 2 }))
      assert.deepStrictEqual(yield* reasonsOf(letters), ["MailboxFull", "MailboxFull", "MailboxFull"])
      yield* open
      yield* drained(ref)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 3)
    })))

  it.effect("dropping mailbox: the excess is dead-lettered and tellAll succeeds", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const { open, ref } = yield* blocked({ handled: [] }, { capacity: 1, strategy: "dropping" })
      yield* Actor.tellAll(ref, adds(1, 2, 3))
      yield* open
      yield* drained(ref)
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 1)
      assert.deepStrictEqual(yield* reasonsOf(letters), ["MailboxFull", "MailboxFull"])
    })))

  it.effect("to a terminated actor every message is dead-lettered and tellAll succeeds", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const ref = yield* Actor.spawn(counter())
      yield* Actor.stop(ref)
      yield* Actor.tellAll(ref, adds(1, 2))
      assert.deepStrictEqual(yield* reasonsOf(letters), ["ActorStopped", "ActorStopped"])
    })))

  it.effect("to a draining actor every message is dead-lettered, then ActorStopping", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const { open, ref } = yield* blocked({ handled: [] }, { capacity: 4 })
      const draining = yield* Effect.fork(Actor.stop(ref, { mode: "drain" }))
      yield* Effect.yieldNow()
      const error = yield* Effect.flip(Actor.tellAll(ref, adds(1, 2)))
      assert.deepStrictEqual(error, new ActorError.ActorStopping({ actor: "c", tag: "Add" }))
      assert.deepStrictEqual(yield* reasonsOf(letters), ["ActorStopping", "ActorStopping"])
      yield* open
      yield* Fiber.join(draining)
    })))

  it.effect("interrupted while waiting for room: the messages before the wait are in, the rest never sent", () =>
    run(Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const log: Log = { handled: [] }
      const { open, ref } = yield* blocked(log, { capacity: 2 })
      const telling = yield* Effect.fork(Actor.tellAll(ref, adds(1, 2, 3, 4)))
      while ((yield* Actor.mailboxSize(ref)) < 2) yield* Effect.yieldNow()
      yield* Fiber.interrupt(telling)
      yield* open
      assert.strictEqual(yield* Actor.ask(ref, new Get()), 3)
      assert.deepStrictEqual(log.handled, ["Block", "Add(1)", "Add(2)"])
      assert.deepStrictEqual(yield* reasonsOf(letters), [])
    })))

  it.effect.prop(
    "suspend mailbox, two senders: every message handled once, each sender's in its order",
    [fc.integer({ min: 1, max: 8 }), fc.nat(40), fc.nat(40)],
    ([capacity, first, second]) =>
      run(Effect.gen(function*() {
        const log: Log = { handled: [] }
        const ref = yield* Actor.spawn(counter(log), { mailbox: { capacity } })
        const mine = Array.from({ length: first }, (_, i) => i + 1)
        const theirs = Array.from({ length: second }, (_, i) => 1000 + i)
        const other = yield* Effect.fork(Actor.tellAll(ref, adds(...theirs)))
        yield* Actor.tellAll(ref, adds(...mine))
        yield* Fiber.join(other)
        yield* Actor.ask(ref, new Get())
        const handled = log.handled.map((entry) => Number(entry.slice(4, -1)))
        assert.deepStrictEqual(handled.filter((n) => n < 1000), mine)
        assert.deepStrictEqual(handled.filter((n) => n >= 1000), theirs)
      }))
  )

  it.effect.prop(
    "messages conserved: with any capacity and strategy, each is handled once or dead-lettered once",
    [
      fc.integer({ min: 1, max: 8 }),
      fc.constantFrom<"dropping" | "sliding" | "fail">("dropping", "sliding", "fail"),
      fc.nat(30)
    ],
    ([capacity, strategy, count]) =>
      run(Effect.gen(function*() {
        const letters = yield* ActorSystem.subscribeDeadLetters
        const log: Log = { handled: [] }
        const { open, ref } = yield* blocked(log, { capacity, strategy })
        const sent = Array.from({ length: count }, (_, i) => i + 1)
        yield* Effect.ignore(Actor.tellAll(ref, adds(...sent)))
        yield* open
        yield* drained(ref)
        yield* Actor.stop(ref)
        const handled = log.handled.slice(1).map((entry) => Number(entry.slice(4, -1)))
        const dropped = (yield* reasonsOf(letters)).length
        assert.strictEqual(handled.length + dropped, count)
        assert.strictEqual(new Set(handled).size, handled.length)
        assert.strictEqual(handled.length, Math.min(capacity, count))
      }))
  )
})
