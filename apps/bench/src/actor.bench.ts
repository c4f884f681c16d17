/**
 * @weft/actor: tell throughput into one actor with a trivial handler, against a fiber looping over
 * an Effect `Queue.bounded` and an xstate v5 actor; and ask round-trips with a deadline, against a request queue whose
 * caller waits on a `Deferred` under `Effect.timeout`.
 */
import { Actor, ActorSystem, Dispatcher } from "@weft/actor"
import type { Scope } from "effect"
import { Data, Deferred, Effect, Fiber, Queue, Schema } from "effect"
import { createActor, fromTransition } from "xstate"
import { benchmark, type BenchmarkFile, expect } from "./harness.js"

// Module-level references, so the loops measure the actors and not namespace getters that the
// TypeScript loader puts on workspace re-exports.
const { ask, behavior, reply, spawn, tell } = Actor
const { dispatch } = Dispatcher
const { offer, take } = Queue

const capacity = 1024

class Add extends Data.TaggedClass("Add")<{ readonly n: number }> {}
class Sum extends Schema.TaggedRequest<Sum>()("Sum", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}

const summer = behavior<Add | Sum>()({
  initialState: 0,
  handlers: {
    Add: (message, state) => Effect.succeed(state + message.n),
    Sum: (_, state) => Effect.succeed(reply(state, state))
  }
})

/** Runs `body` with a fresh actor system. */
const withSystem = <A, E>(body: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  Effect.runPromise(body.pipe(Effect.scoped, Effect.provide(ActorSystem.layer())) as Effect.Effect<A, E>)

/** Tells 0..n-1, then asks for the sum (which also waits for every tell to be handled). */
const weftTell = (n: number) =>
  withSystem(Effect.gen(function*() {
    const ref = yield* spawn(summer, { mailbox: { capacity } })
    let i = 0
    yield* Effect.whileLoop({ while: () => i < n, body: () => tell(ref, new Add({ n: i })), step: () => i++ })
    return yield* ask(ref, new Sum(), { timeout: "1 minute" })
  }))

/** The same workload as a consumer fiber looping over `Queue.bounded`. */
const queueTell = (n: number) =>
  Effect.runPromise(Effect.gen(function*() {
    const queue = yield* Queue.bounded<Add>(capacity)
    const consumer = yield* Effect.fork(Effect.suspend(() => {
      let count = 0
      let sum = 0
      return Effect.whileLoop({
        while: () => count < n,
        body: () => take(queue),
        step: (message: Add) => {
          count++
          sum += message.n
        }
      }).pipe(Effect.map(() => sum))
    }))
    let i = 0
    yield* Effect.whileLoop({ while: () => i < n, body: () => offer(queue, new Add({ n: i })), step: () => i++ })
    return yield* Fiber.join(consumer)
  }))

/** The same workload as an xstate v5 actor: `send` runs the transition synchronously. */
const xstateTell = async (n: number): Promise<number> => {
  const logic = fromTransition((sum: number, event: { readonly type: "add"; readonly n: number }) => sum + event.n, 0)
  const actor = createActor(logic).start()
  for (let i = 0; i < n; i++) actor.send({ type: "add", n: i })
  const sum = actor.getSnapshot().context
  actor.stop()
  return sum
}

const fanOut = 8

/** Broadcasts 0..n-1 to 8 plugin actors; the result is the sum over all plugins. */
const weftFanOut = (n: number) =>
  withSystem(Effect.gen(function*() {
    const dispatcher = yield* Dispatcher.make<Add | Sum>(Dispatcher.broadcast)
    const plugins = yield* Effect.forEach(
      Array.from({ length: fanOut }),
      () => spawn(summer, { mailbox: { capacity } })
    )
    for (const plugin of plugins) yield* Dispatcher.add(dispatcher, plugin)
    let i = 0
    yield* Effect.whileLoop({
      while: () => i < n,
      body: () => dispatch(dispatcher, new Add({ n: i })),
      step: () => i++
    })
    const sums = yield* Effect.forEach(plugins, (plugin) => ask(plugin, new Sum(), { timeout: "1 minute" }))
    return sums.reduce((a, b) => a + b, 0)
  }))

/** The same fan-out with 8 `Queue.bounded`s, each drained by its own fiber. */
const queueFanOut = (n: number) =>
  Effect.runPromise(Effect.gen(function*() {
    const queues = yield* Effect.forEach(Array.from({ length: fanOut }), () => Queue.bounded<Add>(capacity))
    const consumers = yield* Effect.forEach(queues, (queue) =>
      Effect.fork(Effect.suspend(() => {
        let count = 0
        let sum = 0
        return Effect.whileLoop({
          while: () => count < n,
          body: () => take(queue),
          step: (message: Add) => {
            count++
            sum += message.n
          }
        }).pipe(Effect.map(() => sum))
      })))
    let i = 0
    yield* Effect.whileLoop({
      while: () => i < n,
      body: () => {
        const message = new Add({ n: i })
        return Effect.forEach(queues, (queue) => offer(queue, message), { discard: true })
      },
      step: () => i++
    })
    const sums = yield* Effect.forEach(consumers, Fiber.join)
    return sums.reduce((a, b) => a + b, 0)
  }))

/** `k` sequential asks, each with a deadline; returns the number of replies. */
const weftAsk = (k: number) =>
  withSystem(Effect.gen(function*() {
    const ref = yield* spawn(summer)
    let replies = 0
    let i = 0
    yield* Effect.whileLoop({
      while: () => i < k,
      body: () => ask(ref, new Sum(), { timeout: "1 second" }),
      step: () => {
        i++
        replies++
      }
    })
    return replies
  }))

interface Request {
  readonly reply: Deferred.Deferred<number>
}

/** The usual hand-rolled ask: a request queue served by a fiber, the caller waiting under `Effect.timeout`. */
const deferredAsk = (k: number) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const queue = yield* Queue.bounded<Request>(capacity)
    yield* Effect.forkScoped(
      Effect.forever(Effect.flatMap(take(queue), (request) => Deferred.succeed(request.reply, 0)))
    )
    let replies = 0
    let i = 0
    yield* Effect.whileLoop({
      while: () => i < k,
      body: () =>
        Effect.flatMap(
          Deferred.make<number>(),
          (reply) => Effect.zipRight(offer(queue, { reply }), Effect.timeout(Deferred.await(reply), "1 second"))
        ),
      step: () => {
        i++
        replies++
      }
    })
    return replies
  })))

export const benchmarks: BenchmarkFile = ({ quick }) => {
  const n = quick ? 3_000 : 1_000_000
  const k = quick ? 100 : 20_000
  const expectedSum = (n * (n - 1)) / 2
  const m = quick ? 1_000 : 100_000
  const fanOutSum = (m * (m - 1)) / 2
  return [
    benchmark<number>({
      package: "actor",
      name: "tell throughput, 1 actor, trivial handler, mailbox 1024",
      unit: "message",
      opsPerRun: n,
      goal: "≥ 2× Queue.bounded fiber loop, ≥ 1× xstate send",
      check: (sum) => expect(sum === expectedSum, () => `sum ${sum}, expected ${expectedSum}`),
      contenders: [
        { name: "weft Actor.tell", role: "weft", run: () => weftTell(n) },
        { name: "effect Queue.bounded fiber loop", role: "peer", run: () => queueTell(n) },
        { name: "xstate v5 actor send", role: "peer", run: () => xstateTell(n) }
      ]
    }),
    benchmark<number>({
      package: "actor",
      name: "fan-out 1 → 8 plugins (broadcast), mailbox 1024",
      unit: "message",
      opsPerRun: m,
      goal: "≥ 2× 8 Effect Queues (issue: with arena refs; these are plain messages)",
      check: (sum) => expect(sum === fanOut * fanOutSum, () => `sum ${sum}, expected ${fanOut * fanOutSum}`),
      contenders: [
        { name: "weft Dispatcher.broadcast → 8 actors", role: "weft", run: () => weftFanOut(m) },
        { name: "8 effect Queue.bounded + 8 fibers", role: "peer", run: () => queueFanOut(m) }
      ]
    }),
    benchmark<number>({
      package: "actor",
      name: "ask round-trip with a deadline, sequential",
      unit: "ask",
      opsPerRun: k,
      goal: "≤ 10 µs per ask; faster than Deferred + Effect.timeout",
      check: (replies) => expect(replies === k, () => `${replies} replies, expected ${k}`),
      contenders: [
        { name: "weft Actor.ask (deadline)", role: "weft", run: () => weftAsk(k) },
        { name: "Queue + Deferred + Effect.timeout", role: "peer", run: () => deferredAsk(k) }
      ]
    })
  ]
}
