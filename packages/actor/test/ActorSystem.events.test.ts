import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem } from "@weft/actor"
import { Broadcast } from "@weft/channel"
import { Chunk, Effect, Either, Exit, FastCheck, Fiber, Layer, Scope, Stream } from "effect"
import { Add, counter } from "./fixtures.js"

/** `count` dead letters, in order: adds told to a stopped actor (`Add(0)`, `Add(1)`, …). */
const deadLetters = (count: number) =>
  Effect.gen(function*() {
    const ref = yield* Actor.spawn(counter())
    yield* Actor.stop(ref)
    for (let n = 0; n < count; n++) yield* Actor.tell(ref, new Add({ n }))
  })

const addOf = (letter: { readonly message: unknown }): number => (letter.message as Add).n

describe("ActorSystem: dead letters and lifecycle events on a Broadcast", () => {
  it.effect.prop(
    "a subscriber that falls behind is told exactly how many it lost: received + lost = published",
    {
      buffer: FastCheck.integer({ min: 1, max: 8 }),
      bursts: FastCheck.array(FastCheck.record({ letters: FastCheck.nat(12), reads: FastCheck.nat(12) }), {
        maxLength: 8
      })
    },
    ({ buffer, bursts }) =>
      Effect.gen(function*() {
        const letters = yield* ActorSystem.subscribeDeadLetters
        const received: Array<number> = []
        let lost = 0
        let published = 0
        const read = Broadcast.recv(letters).pipe(
          Effect.match({
            onFailure: (error) => {
              if (error._tag === "Lagged") lost += error.skipped
            },
            onSuccess: (letter) => received.push(addOf(letter))
          })
        )
        for (const burst of bursts) {
          const ref = yield* Actor.spawn(counter())
          yield* Actor.stop(ref)
          for (let i = 0; i < burst.letters; i++) yield* Actor.tell(ref, new Add({ n: published++ }))
          for (let i = 0; i < burst.reads; i++) if (yield* Broadcast.poll(letters)) yield* read
        }
        while (yield* Broadcast.poll(letters)) yield* read
        assert.strictEqual(received.length + lost, published)
        assert.strictEqual(yield* ActorSystem.deadLetterCount, published)
        // What it got is in order, and never more than the buffer was ever lost at once.
        assert.deepStrictEqual(received, [...received].sort((a, b) => a - b))
      }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer({ deadLetterBuffer: buffer }))),
    { fastCheck: { numRuns: 50 } }
  )

  it.effect("a lag is one Lagged with the exact count, then the oldest retained dead letter", () =>
    Effect.gen(function*() {
      const letters = yield* ActorSystem.subscribeDeadLetters
      const events = yield* ActorSystem.subscribeLifecycle
      yield* deadLetters(10)
      const lag = yield* Effect.flip(Broadcast.recv(letters))
      assert.deepStrictEqual(lag._tag === "Lagged" && lag.skipped, 6)
      assert.deepStrictEqual(Chunk.toArray(yield* Broadcast.recvUpTo(letters, 10)).map(addOf), [6, 7, 8, 9])
      assert.strictEqual(yield* Broadcast.pending(letters), 0)
      // The lifecycle channel kept both of its events (Started, Terminated): within the buffer.
      assert.deepStrictEqual(
        Chunk.toArray(yield* Broadcast.recvUpTo(events, 10)).map((event) => event._tag),
        ["Started", "Terminated"]
      )
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer({ deadLetterBuffer: 4 }))))

  it.effect.prop(
    "interrupting a subscriber between (or during) receives loses no dead letter and duplicates none",
    {
      rounds: FastCheck.array(FastCheck.record({ letters: FastCheck.nat(6), yields: FastCheck.nat(4) }), {
        minLength: 1,
        maxLength: 10
      })
    },
    ({ rounds }) =>
      Effect.gen(function*() {
        const letters = yield* ActorSystem.subscribeDeadLetters
        const received: Array<number> = []
        const follow = Effect.forever(Effect.map(Broadcast.recv(letters), (letter) => received.push(addOf(letter))))
        let published = 0
        for (const round of rounds) {
          const reader = yield* Effect.fork(follow)
          const ref = yield* Actor.spawn(counter())
          yield* Actor.stop(ref)
          for (let i = 0; i < round.letters; i++) {
            yield* Actor.tell(ref, new Add({ n: published++ }))
            for (let y = 0; y < round.yields; y++) yield* Effect.yieldNow()
          }
          yield* Fiber.interrupt(reader)
        }
        // A fresh reader picks up exactly where the interrupted ones stopped.
        while (yield* Broadcast.poll(letters)) received.push(addOf(yield* Broadcast.recv(letters)))
        assert.deepStrictEqual(received, Array.from({ length: published }, (_, n) => n))
        assert.strictEqual(yield* ActorSystem.deadLetterCount, published)
      }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())),
    { fastCheck: { numRuns: 50 } }
  )

  it.effect("the streams report a lag as Left(Lagged) and end when the system shuts down", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const system = yield* Layer.buildWithScope(ActorSystem.layer({ deadLetterBuffer: 2 }), scope)
      const streamed = yield* Effect.fork(
        Stream.runCollect(ActorSystem.deadLetters).pipe(Effect.provide(system))
      )
      const lifecycle = yield* Effect.fork(Stream.runCollect(ActorSystem.lifecycle).pipe(Effect.provide(system)))
      // Both streams subscribe when they start running.
      yield* Effect.repeatN(Effect.yieldNow(), 10)
      yield* deadLetters(5).pipe(Effect.scoped, Effect.provide(system))
      yield* Scope.close(scope, Exit.void)
      const items = Chunk.toArray(yield* Fiber.join(streamed))
      assert.deepStrictEqual(
        items.map(
          Either.match({ onLeft: (lag) => `lost ${lag.skipped}`, onRight: (letter) => `Add(${addOf(letter)})` })
        ),
        ["lost 3", "Add(3)", "Add(4)"]
      )
      const events = Chunk.toArray(yield* Fiber.join(lifecycle))
      assert.deepStrictEqual(events.map(Either.match({ onLeft: () => "lag", onRight: (event) => event._tag })), [
        "Started",
        "Terminated"
      ])
    }))
})
