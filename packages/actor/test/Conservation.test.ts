import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorMetrics, ActorSystem, type DeadLetter } from "@weft/actor"
import { Chunk, Data, Deferred, Effect, FastCheck, Fiber, Metric, Schedule, Supervisor, TestClock } from "effect"
import { receivedSoFar } from "./fixtures.js"

class Msg extends Data.TaggedClass("Msg")<{ readonly id: number; readonly crash: boolean }> {}
class Pause extends Data.TaggedClass("Pause")<{ readonly gate: Deferred.Deferred<void> }> {}

const recorder = (handled: Array<number>) =>
  Actor.behavior<Msg | Pause>()({
    initialState: 0,
    handlers: {
      Msg: (message, state) =>
        Effect.suspend(() => {
          handled.push(message.id)
          return message.crash ? Effect.dieMessage(`crash ${message.id}`) : Effect.succeed(state + 1)
        }),
      Pause: (message, state) => Effect.as(Deferred.await(message.gate), state)
    }
  })

describe("Actor: invariants", () => {
  it.effect.prop(
    "every told message is processed or dead-lettered, exactly once",
    {
      strategy: FastCheck.constantFrom("suspend" as const, "dropping" as const, "sliding" as const, "fail" as const),
      supervision: FastCheck.constantFrom("restart" as const, "resume" as const),
      capacity: FastCheck.integer({ min: 1, max: 6 }),
      ops: FastCheck.array(FastCheck.constantFrom("msg", "msg", "msg", "crash", "pause", "release"), { maxLength: 40 }),
      end: FastCheck.constantFrom("stop" as const, "drain" as const, "kill" as const)
    },
    ({ capacity, end, ops, strategy, supervision }) =>
      Effect.gen(function*() {
        const letters = yield* ActorSystem.subscribeDeadLetters
        const handled: Array<number> = []
        const ref = yield* Actor.spawn(recorder(handled), {
          mailbox: { capacity, strategy },
          supervision: { strategy: supervision, restarts: Schedule.forever }
        })
        const gates: Array<Deferred.Deferred<void>> = []
        const tells: Array<Fiber.RuntimeFiber<void, unknown>> = []
        const crashes = new Set<number>()
        let id = 0
        for (const op of ops) {
          if (op === "pause") {
            const gate = yield* Deferred.make<void>()
            gates.push(gate)
            tells.push(yield* Effect.fork(Actor.tell(ref, new Pause({ gate }))))
          } else if (op === "release") {
            for (const gate of gates) yield* Deferred.succeed(gate, undefined)
          } else {
            const message = new Msg({ id: id++, crash: op === "crash" })
            if (message.crash) crashes.add(message.id)
            tells.push(yield* Effect.fork(Effect.ignore(Actor.tell(ref, message))))
          }
          yield* Effect.yieldNow()
        }
        const stopping = yield* Effect.fork(Actor.stop(ref, { mode: end }))
        for (const gate of gates) yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(stopping)
        for (const tell of tells) yield* Fiber.await(tell)

        const dead = Chunk.toArray(yield* receivedSoFar(letters))
          .filter((letter): letter is DeadLetter.DeadLetter & { message: Msg } => letter.message instanceof Msg)
        const outcomes = new Map<number, Array<string>>()
        const record = (key: number, outcome: string) => outcomes.set(key, [...(outcomes.get(key) ?? []), outcome])
        // A message whose handler a kill interrupted was started but not processed: its only
        // outcome is the "Killed" dead letter.
        const killed = new Set(dead.filter((letter) => letter.reason === "Killed").map((letter) => letter.message.id))
        for (const key of handled) if (!crashes.has(key) && !killed.has(key)) record(key, "processed")
        for (const letter of dead) record(letter.message.id, letter.reason)
        for (let key = 0; key < id; key++) {
          const seen = outcomes.get(key) ?? []
          assert.strictEqual(seen.length, 1, `message ${key}: ${JSON.stringify(seen)}`)
          if (crashes.has(key) && handled.includes(key)) assert.deepStrictEqual(seen, ["Crashed"])
        }
        // A handler never ran twice for the same message.
        assert.strictEqual(new Set(handled).size, handled.length)
      }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())),
    { fastCheck: { numRuns: 150 } }
  )

  it.effect("a supervision storm: a crash every 7th of 10^4 messages, each accounted for, no fiber left", () =>
    Effect.gen(function*() {
      const fibers = yield* Supervisor.track
      const handled: Array<number> = []
      const total = 10_000
      yield* Effect.gen(function*() {
        const ref = yield* Actor.spawn(recorder(handled), {
          name: "storm",
          mailbox: { capacity: 64 },
          supervision: { restarts: Schedule.forever }
        })
        // The tracker sees the actor's fiber while it runs, so the final count below means something.
        assert.isAtLeast((yield* fibers.value).length, 1)
        for (let i = 0; i < total; i++) yield* Actor.tell(ref, new Msg({ id: i, crash: i % 7 === 6 }))
        assert.strictEqual((yield* Actor.stop(ref, { mode: "drain" })).reason._tag, "Stopped")
      }).pipe(Effect.supervised(fibers))
      const crashes = Math.floor(total / 7)
      assert.strictEqual(handled.length, total)
      assert.strictEqual(new Set(handled).size, total)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, crashes)
      const restarts = yield* Metric.value(Metric.tagged(ActorMetrics.restarts, "actor", "storm"))
      assert.strictEqual(restarts.count, crashes)
      const processed = yield* Metric.value(Metric.tagged(ActorMetrics.processed, "actor", "storm"))
      assert.strictEqual(processed.count, total)
      assert.strictEqual((yield* Effect.flatMap(ActorSystem.ActorSystem, (s) => s.actors)).length, 0)
      // The actor's fiber and every fiber its 1428 restarts forked are gone.
      assert.strictEqual((yield* fibers.value).length, 0)
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())))

  it.effect("bounded memory: a producer far faster than the actor is held to the mailbox capacity", () =>
    Effect.gen(function*() {
      const handled: Array<number> = []
      const ref = yield* Actor.spawn(recorder(handled), { mailbox: { capacity: 16 } })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Pause({ gate }))
      const producer = yield* Effect.fork(
        Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          (i) => Actor.tell(ref, new Msg({ id: i, crash: false })),
          {
            discard: true
          }
        )
      )
      for (let i = 0; i < 100; i++) yield* Effect.yieldNow()
      assert.strictEqual(yield* Actor.mailboxSize(ref), 16)
      assert.isNull(producer.unsafePoll())
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(producer)
      yield* Actor.stop(ref, { mode: "drain" })
      assert.strictEqual(handled.length, 1000)
      assert.strictEqual(yield* ActorSystem.deadLetterCount, 0)
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())))

  it.effect("metrics are tagged by actor: processed, dead letters, mailbox depth", () =>
    Effect.gen(function*() {
      const ref = yield* Actor.spawn(recorder([]), { name: "metered", mailbox: { capacity: 1, strategy: "dropping" } })
      const gate = yield* Deferred.make<void>()
      yield* Actor.tell(ref, new Pause({ gate }))
      yield* Effect.yieldNow()
      for (let i = 0; i < 3; i++) yield* Actor.tell(ref, new Msg({ id: i, crash: false }))
      yield* Deferred.succeed(gate, undefined)
      yield* Actor.stop(ref, { mode: "drain" })
      const tagged = <T>(metric: Metric.Metric<any, any, T>) => Metric.value(Metric.tagged(metric, "actor", "metered"))
      assert.strictEqual((yield* tagged(ActorMetrics.processed)).count, 2)
      assert.strictEqual((yield* tagged(ActorMetrics.deadLetters)).count, 2)
      assert.strictEqual((yield* tagged(ActorMetrics.mailboxDepth)).value, 0)
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())))

  it.effect("processing time counts the time spent handling, not waiting", () =>
    Effect.gen(function*() {
      class Work extends Data.TaggedClass("Work")<{ readonly ms: number }> {}
      const worker = Actor.behavior<Work>()({
        initialState: 0,
        handlers: { Work: (work, n) => Effect.as(Effect.sleep(work.ms), n + 1) }
      })
      const ref = yield* Actor.spawn(worker, { name: "timed" })
      yield* TestClock.adjust("10 seconds") // idle: not counted
      yield* Actor.tell(ref, new Work({ ms: 300 }))
      yield* Effect.yieldNow()
      yield* TestClock.adjust("300 millis")
      yield* Actor.stop(ref, { mode: "drain" })
      const busy = yield* Metric.value(Metric.tagged(ActorMetrics.processingTime, "actor", "timed"))
      assert.strictEqual(busy.count, 300)
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())))

  it.effect("the handler-time histogram observes each effectful handler's duration, per actor", () =>
    Effect.gen(function*() {
      class Work extends Data.TaggedClass("Work")<{ readonly ms: number }> {}
      class Tick extends Data.TaggedClass("Tick")<{}> {}
      const worker = Actor.behavior<Work | Tick>()({
        initialState: 0,
        handlers: {
          Work: (work, n) => Effect.as(Effect.sleep(work.ms), n + 1),
          // Settled inside the call: not observed.
          Tick: (_, n) => Effect.succeed(n + 1)
        }
      })
      const ref = yield* Actor.spawn(worker, { name: "histogrammed" })
      const other = yield* Actor.spawn(worker, { name: "elsewhere" })
      for (const ms of [250, 1000]) {
        yield* Actor.tell(ref, new Work({ ms }))
        yield* Effect.yieldNow()
        yield* TestClock.adjust(ms)
      }
      yield* Actor.tell(ref, new Tick())
      yield* Actor.tell(other, new Tick())
      yield* Actor.stop(ref, { mode: "drain" })
      yield* Actor.stop(other, { mode: "drain" })
      const histogram = yield* Metric.value(Metric.tagged(ActorMetrics.handlerTime, "actor", "histogrammed"))
      assert.strictEqual(histogram.count, 2)
      assert.strictEqual(histogram.sum, 1250)
      assert.strictEqual(histogram.min, 250)
      assert.strictEqual(histogram.max, 1000)
      // Cumulative buckets: nothing at or below 163.84 ms, one at or below 655.36 ms, both by 2621.44 ms.
      const bucket = (bound: number) => histogram.buckets.find(([upper]) => Math.abs(upper - bound) < 1e-6)?.[1]
      assert.strictEqual(bucket(163.84), 0)
      assert.strictEqual(bucket(655.36), 1)
      assert.strictEqual(bucket(2621.44), 2)
      const elsewhere = yield* Metric.value(Metric.tagged(ActorMetrics.handlerTime, "actor", "elsewhere"))
      assert.strictEqual(elsewhere.count, 0)
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())))
})
