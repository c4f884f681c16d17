/**
 * @weft/actor: tell throughput into one actor with a trivial handler, against a fiber looping over
 * an Effect `Queue.bounded` and an xstate v5 actor; arena-backed fan-out to 8 plugins, against 8
 * `Queue.bounded`s carrying the same refs; and ask round-trips with a deadline, against a request
 * queue whose caller waits on a `Deferred` under `Effect.timeout` (with p50/p99 latencies).
 */
import { Actor, ActorSystem } from "@weft/actor"
import { Arena, type MessageRef } from "@weft/arena"
import { Dispatcher } from "@weft/dispatch"
import type { Chunk, Scope } from "effect"
import { Data, Deferred, Effect, Fiber, Queue, Schema } from "effect"
import { createActor, fromTransition } from "xstate"
import { benchmark, type BenchmarkFile, expect } from "./harness.js"

// Module-level references, so the loops measure the actors and not namespace getters that the
// `export * as` re-exports resolve through on every access.
const { ask, behavior, reply, spawn, tell, tellAll } = Actor
const { dispatchBatch, dispatchRef, dispatchRefAll } = Dispatcher
const { alloc, allocUpTo, get, getAll, release, releaseAll } = Arena
const { offer, take } = Queue

const capacity = 1024

class Add extends Data.TaggedClass("Add")<{ readonly n: number }> {}
class Sum extends Schema.TaggedRequest<Sum>()("Sum", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}

/** The summer's `Add` handler, which the floors that run a handler per message run too. */
const add = (message: Add, state: number) => Effect.succeed(state + message.n)

const summer = behavior<Add | Sum>()({
  initialState: 0,
  handlers: {
    Add: add,
    Sum: (_, state) => Effect.succeed(reply(state, state))
  }
})

/** Runs `body` with a fresh actor system. */
const withSystem = <A, E>(body: Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>) =>
  Effect.runPromise(body.pipe(Effect.scoped, Effect.provide(ActorSystem.layer())) as Effect.Effect<A, E>)

/** Tells 0..n-1 with `send`, then asks for the sum (which also waits for every tell to be handled). */
const weftTellWith = (send: (ref: Actor.ActorRef<Add | Sum>) => Effect.Effect<void, unknown>) =>
  withSystem(Effect.gen(function*() {
    const ref = yield* spawn(summer, { mailbox: { capacity } })
    yield* send(ref)
    return yield* ask(ref, new Sum(), { timeout: "1 minute" })
  }))

/** One `Actor.tell` per message. */
const weftTell = (n: number) =>
  weftTellWith((ref) => {
    let i = 0
    return Effect.whileLoop({ while: () => i < n, body: () => tell(ref, new Add({ n: i })), step: () => i++ })
  })

/**
 * The same workload as a consumer fiber looping over `Queue.bounded`: one `offer` and one `take`
 * per message, or with `batch`, `offerAll` per batch and `takeBetween(1, batch)`.
 */
const queueTell = (n: number, batch?: number) =>
  Effect.runPromise(Effect.gen(function*() {
    const queue = yield* Queue.bounded<Add>(capacity)
    let count = 0
    let sum = 0
    const consume = batch === undefined
      ? Effect.whileLoop({
        while: () => count < n,
        body: () => take(queue),
        step: (message: Add) => {
          count++
          sum += message.n
        }
      })
      : Effect.whileLoop({
        while: () => count < n,
        body: () => Queue.takeBetween(queue, 1, batch),
        step: (messages: Chunk.Chunk<Add>) => {
          for (const message of messages) sum += message.n
          count += messages.length
        }
      })
    const consumer = yield* Effect.fork(Effect.map(consume, () => sum))
    if (batch === undefined) {
      let i = 0
      yield* Effect.whileLoop({ while: () => i < n, body: () => offer(queue, new Add({ n: i })), step: () => i++ })
    } else {
      yield* inBatches(n, (messages) => Queue.offerAll(queue, messages))
    }
    return yield* Fiber.join(consumer)
  }))

/** `Effect.suspend` of `enqueue` returning `Effect.void`: two run-loop steps. */
const lazily = (enqueue: () => void) =>
  Effect.suspend(() => {
    enqueue()
    return Effect.void
  })

/**
 * The runtime's floor for a tell that is a lazy effect able to wait (as a tell to a bounded
 * mailbox must be): `Effect.suspend` per tell, which queues and returns `Effect.void` — two
 * run-loop steps, as `Actor.tell` takes when its lane has room — and the handler run over each
 * round of `capacity` in a plain loop: no mailbox, no fiber switch, no waiting. One effect value is
 * built once and run for every tell.
 */
const lazyFloorTell = (n: number) =>
  floorTell(n, {
    tellOf: (enqueue) => {
      const tell = lazily(enqueue)
      return () => tell
    }
  })

/**
 * The same floor with the effect built per tell, as a tell API must (`tell(ref, message)` returns a
 * new effect holding its arguments): what is left of the lazy floor once the allocation is paid.
 */
const lazyFloorTellBuiltPerCall = (n: number) => floorTell(n, { tellOf: (enqueue) => () => lazily(enqueue) })

/**
 * The lazy floor built per tell, with the handler's effect run for each message in one fiber, as an
 * actor whose handlers return effects must: the least any Effect actor can do per tell here.
 */
const lazyFloorTellWithHandler = (n: number) =>
  floorTell(n, { tellOf: (enqueue) => () => lazily(enqueue), runHandler: true })

/**
 * The runtime's floor for any Effect actor: one `Effect.sync` per tell (each builds the message and
 * queues it in a plain array), and the handler run over each round of `capacity` in a plain loop —
 * no mailbox, no fiber switch, no waiting.
 */
const effectFloorTell = (n: number) =>
  floorTell(n, {
    tellOf: (enqueue) => {
      const tell = Effect.sync(enqueue)
      return () => tell
    }
  })

/**
 * The batched floor: each batch of `tellBatch` built as `inBatches` builds it and queued by one
 * lazy effect (built per batch, as `tellAll(ref, batch)` must), the handler's effect run for each
 * message in one fiber.
 */
const lazyFloorTellAllWithHandler = (n: number) => floorTell(n, { batched: true, runHandler: true })

interface FloorOptions {
  /** One effect per tell, from the function that queues the next message. */
  readonly tellOf?: (enqueue: () => void) => () => Effect.Effect<void>
  /** Queue each round in batches of `tellBatch`, one lazy effect per batch (instead of `tellOf`). */
  readonly batched?: boolean
  /** Run `add`'s effect per message (instead of summing in a plain loop). */
  readonly runHandler?: boolean
}

/**
 * The floor loop: each round of `capacity` messages is queued into a plain array (by an effect per
 * tell from `tellOf`, or one per batch), then handled.
 */
const floorTell = (n: number, { batched = false, runHandler = false, tellOf }: FloorOptions) =>
  Effect.runPromise(Effect.suspend(() => {
    const queued = new Array<Add>(capacity)
    let sent = 0
    let handled = 0
    let sum = 0
    let roundEnd = 0
    const sendRound = batched
      ? Effect.whileLoop({
        while: () => sent < roundEnd,
        body: () => {
          const end = Math.min(roundEnd, sent + tellBatch)
          const batch = new Array<Add>(end - sent)
          for (let i = sent; i < end; i++) batch[i - sent] = new Add({ n: i })
          return lazily(() => {
            for (const message of batch) queued[sent++ % capacity] = message
          })
        },
        step: () => {}
      })
      : Effect.whileLoop({
        while: () => sent < roundEnd,
        body: tellOf!(() => {
          queued[sent % capacity] = new Add({ n: sent })
        }),
        step: () => sent++
      })
    const handleRound = runHandler
      ? Effect.whileLoop({
        while: () => handled < roundEnd,
        body: () => add(queued[handled++ % capacity]!, sum),
        step: (state: number) => {
          sum = state
        }
      })
      : Effect.sync(() => {
        while (handled < roundEnd) sum += queued[handled++ % capacity]!.n
      })
    const round = Effect.zipRight(sendRound, handleRound)
    return Effect.whileLoop({
      while: () => handled < n,
      body: () => {
        roundEnd = Math.min(n, handled + capacity)
        return round
      },
      step: () => {}
    }).pipe(Effect.map(() => sum))
  }))

/** Messages per batch in the batched tell rows (a decoded chunk's worth). */
const tellBatch = 256

/** Runs `sendBatch` over 0..n-1 in batches of `tellBatch` messages, built as the batch is sent. */
const inBatches = <E, R>(n: number, sendBatch: (batch: Array<Add>) => Effect.Effect<unknown, E, R>) =>
  Effect.suspend(() => {
    let next = 0
    return Effect.whileLoop({
      while: () => next < n,
      body: () => {
        const end = Math.min(n, next + tellBatch)
        const batch = new Array<Add>(end - next)
        for (let i = next; i < end; i++) batch[i - next] = new Add({ n: i })
        next = end
        return sendBatch(batch)
      },
      step: () => {}
    })
  })

/** The tell workload in batches: `Actor.tellAll` per batch. */
const weftTellAll = (n: number) => weftTellWith((ref) => inBatches(n, (batch) => tellAll(ref, batch)))

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
/** Room for every ref in flight: 8 lanes of `capacity` never hold more than `capacity` messages each. */
const arenaCapacity = 4 * capacity
/** Refs per batch in the batched rows (the size of a decoded socket chunk of small frames). */
const fanOutBatch = 256

interface FanOutResult {
  /** The sum of every payload every plugin read. */
  readonly sum: number
  /** Arena slots still live at the end: 0 when every plugin settled every message. */
  readonly live: number
}

/** A plugin that reads each delivery's payload from the arena, adds it up and settles it. */
const reader = (arena: Arena.Arena<number>) =>
  behavior<Dispatcher.Delivery | Sum>()({
    initialState: 0,
    handlers: {
      Delivery: (delivery, state) =>
        Effect.flatMap(Effect.orDie(get(arena, delivery.ref)), (n) => Effect.as(delivery.settle, state + n)),
      Sum: (_, state) => Effect.succeed(reply(state, state))
    }
  })

/** Allocates 0..n-1 in the arena and broadcasts each ref to 8 plugins; every plugin settles it. */
const weftFanOut = (n: number) =>
  withSystem(Effect.gen(function*() {
    const arena = yield* Arena.make<number>({ capacity: arenaCapacity })
    const dispatcher = yield* Dispatcher.make<Dispatcher.Delivery | Sum>(Dispatcher.broadcast)
    const plugins = yield* Effect.forEach(
      Array.from({ length: fanOut }),
      () => spawn(reader(arena), { mailbox: { capacity } })
    )
    for (const plugin of plugins) yield* Dispatcher.add(dispatcher, plugin)
    let i = 0
    yield* Effect.whileLoop({
      while: () => i < n,
      body: () => Effect.flatMap(alloc(arena, i), (ref) => dispatchRef(dispatcher, arena, ref)),
      step: () => i++
    })
    const sums = yield* Effect.forEach(plugins, (plugin) => ask(plugin, new Sum(), { timeout: "1 minute" }))
    const stats = yield* Arena.stats(arena)
    return { sum: sums.reduce((a, b) => a + b, 0), live: stats.live } satisfies FanOutResult
  }))

/** Values 0..n-1 in batches of `batch`: each stored with `Arena.allocUpTo` and handed to `dispatch`. */
const batchedProducer = <E, R>(
  arena: Arena.Arena<number>,
  n: number,
  dispatch: (refs: ReadonlyArray<MessageRef.MessageRef>) => Effect.Effect<void, E, R>
) =>
  Effect.suspend(() => {
    const values = Array.from({ length: n }, (_, i) => i)
    let next = 0
    return Effect.whileLoop({
      while: () => next < n,
      body: () =>
        Effect.flatMap(allocUpTo(arena, values.slice(next, Math.min(n, next + fanOutBatch))), (refs) => {
          next += refs.length
          return dispatch(refs)
        }),
      step: () => {}
    })
  })

/** A plugin that reads a whole batch's payloads in one step, adds them up and settles the batch. */
const batchReader = (arena: Arena.Arena<number>) =>
  behavior<Dispatcher.Deliveries | Sum>()({
    initialState: 0,
    handlers: {
      Deliveries: (batch, state) =>
        Effect.flatMap(Effect.orDie(getAll(arena, batch.refs)), (values) => {
          let sum = state
          for (let i = 0; i < values.length; i++) sum += values[i]!
          return Effect.as(batch.settle, sum)
        }),
      Sum: (_, state) => Effect.succeed(reply(state, state))
    }
  })

/** Asks every plugin for its sum, then reads how many arena slots are still live. */
const collectSums = (arena: Arena.Arena<number>, plugins: ReadonlyArray<Actor.ActorRef<Sum>>) =>
  Effect.gen(function*() {
    const sums = yield* Effect.forEach(plugins, (plugin) => ask(plugin, new Sum(), { timeout: "1 minute" }))
    const stats = yield* Arena.stats(arena)
    return { sum: sums.reduce((a, b) => a + b, 0), live: stats.live } satisfies FanOutResult
  })

/** Batches of refs in through 8 plugins of `behavior`, each batch fanned out by `dispatch`. */
const batchedFanOut = <M extends Dispatcher.Delivery | Dispatcher.Deliveries>(
  behavior: (arena: Arena.Arena<number>) => Actor.Behavior<M | Sum, number, never>,
  dispatch: (
    dispatcher: Dispatcher.Dispatcher<M | Sum>,
    arena: Arena.Arena<number>,
    refs: ReadonlyArray<MessageRef.MessageRef>
  ) => Effect.Effect<void, unknown>
) =>
(n: number) =>
  withSystem(Effect.gen(function*() {
    const arena = yield* Arena.make<number>({ capacity: arenaCapacity })
    const dispatcher = yield* Dispatcher.make<M | Sum>(Dispatcher.broadcast)
    const plugins = yield* Effect.forEach(
      Array.from({ length: fanOut }),
      () => spawn(behavior(arena), { mailbox: { capacity } })
    )
    for (const plugin of plugins) yield* Dispatcher.add(dispatcher, plugin)
    yield* batchedProducer(arena, n, (refs) => dispatch(dispatcher, arena, refs))
    return yield* collectSums(arena, plugins)
  }))

/** Batches of refs in, one `Deliveries` message per plugin per batch (`dispatchBatch`). */
const weftBatchFanOut = batchedFanOut(batchReader, dispatchBatch)

/** Batches of refs in, one `Delivery` per ref per plugin, sent a lane at a time (`dispatchRefAll`). */
const weftRefsFanOut = batchedFanOut(reader, dispatchRefAll)

/** A consumer's running totals. */
interface Totals {
  count: number
  sum: number
}

/**
 * 8 `Queue.bounded<Q>`s, each drained by its own fiber: `take` reads what one step of the consumer
 * gets (reading and releasing the refs), `add` counts it, `produce` fills the queues.
 */
const queuesFanOut = <Q, V>(
  n: number,
  take: (queue: Queue.Queue<Q>, arena: Arena.Arena<number>) => Effect.Effect<V, unknown>,
  add: (totals: Totals, taken: V) => void,
  produce: (arena: Arena.Arena<number>, queues: ReadonlyArray<Queue.Queue<Q>>) => Effect.Effect<unknown, unknown>
) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const arena = yield* Arena.make<number>({ capacity: arenaCapacity })
    const queues = yield* Effect.forEach(Array.from({ length: fanOut }), () => Queue.bounded<Q>(capacity))
    const consumers = yield* Effect.forEach(queues, (queue) =>
      Effect.fork(Effect.suspend(() => {
        const totals: Totals = { count: 0, sum: 0 }
        return Effect.whileLoop({
          while: () => totals.count < n,
          body: () => take(queue, arena),
          step: (taken: V) => add(totals, taken)
        }).pipe(Effect.map(() => totals.sum))
      })))
    yield* produce(arena, queues)
    const sums = yield* Effect.forEach(consumers, Fiber.join)
    const stats = yield* Arena.stats(arena)
    return { sum: sums.reduce((a, b) => a + b, 0), live: stats.live } satisfies FanOutResult
  })))

/**
 * The batched peer, doing what `dispatchBatch` does: one `retainAll` per batch, then the batch's
 * refs as one array on each of the 8 `Queue.bounded`s (a queue element per batch, as a
 * `Deliveries` is one mailbox message per batch); each consumer takes a batch, reads it with
 * `getAll` and releases it with `releaseAll`.
 */
const queueBatchedFanOut = (n: number) =>
  queuesFanOut<ReadonlyArray<MessageRef.MessageRef>, ReadonlyArray<number>>(
    n,
    (queue, arena) =>
      Effect.flatMap(
        take(queue),
        (refs) => Effect.flatMap(getAll(arena, refs), (values) => Effect.as(releaseAll(arena, refs), values))
      ),
    (totals, values) => {
      totals.count += values.length
      for (let i = 0; i < values.length; i++) totals.sum += values[i]!
    },
    (arena, queues) =>
      batchedProducer(arena, n, (refs) =>
        Effect.zipRight(
          Arena.retainAll(arena, refs, fanOut - 1),
          Effect.forEach(queues, (queue) => offer(queue, refs), { discard: true })
        ))
  )

/**
 * The floor of the batched rows: the arena work alone, in one fiber — each batch allocated, one
 * `retainAll` for the 8 readers, then 8 times `getAll` + `releaseAll` in a row — with no queue,
 * mailbox, fiber switch or waiting between them.
 */
const arenaWorkAlone = (n: number) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const arena = yield* Arena.make<number>({ capacity: arenaCapacity })
    let sum = 0
    const readAndRelease = (refs: ReadonlyArray<MessageRef.MessageRef>) =>
      Effect.flatMap(getAll(arena, refs), (values) => {
        for (let i = 0; i < values.length; i++) sum += values[i]!
        return releaseAll(arena, refs)
      })
    yield* batchedProducer(arena, n, (refs) =>
      Effect.zipRight(
        Arena.retainAll(arena, refs, fanOut - 1),
        Effect.forEach(Array.from({ length: fanOut }), () => readAndRelease(refs), { discard: true })
      ))
    const stats = yield* Arena.stats(arena)
    return { sum, live: stats.live } satisfies FanOutResult
  })))

/**
 * The floor of the per-message rows: the plugins' own work alone — each allocated ref retained for
 * 8 readers, then 8 times what a `reader` plugin's handler does with a delivery (`get`, then a
 * release that ignores its failure, as `settle` does) — in one fiber, with no mailbox, actor, tell
 * or fiber switch. No dispatcher running this handler per delivery can beat it.
 */
const handlerWorkAlone = (n: number) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const arena = yield* Arena.make<number>({ capacity: arenaCapacity })
    let sum = 0
    const readAndSettle = (ref: MessageRef.MessageRef) =>
      Effect.flatMap(
        Effect.orDie(get(arena, ref)),
        (value) => Effect.as(Effect.catchAll(release(arena, ref), () => Effect.void), value)
      )
    const readers = (ref: MessageRef.MessageRef) =>
      Effect.suspend(() => {
        let read = 0
        return Effect.whileLoop({
          while: () => read < fanOut,
          body: () => readAndSettle(ref),
          step: (value: number) => {
            read++
            sum += value
          }
        })
      })
    let i = 0
    yield* Effect.whileLoop({
      while: () => i < n,
      body: () =>
        Effect.flatMap(alloc(arena, i), (ref) =>
          Effect.zipRight(Arena.retainAll(arena, [ref], fanOut - 1), readers(ref))),
      step: () =>
        i++
    })
    const stats = yield* Arena.stats(arena)
    return { sum, live: stats.live } satisfies FanOutResult
  })))

/**
 * The per-message peer, doing what `dispatchRef` does: one shared retain of the ref for the 8
 * queues beyond the allocation's own, then the ref on each queue; each consumer reads and releases.
 */
const queueFanOut = (n: number) =>
  queuesFanOut<MessageRef.MessageRef, number>(
    n,
    (queue, arena) =>
      Effect.flatMap(
        take(queue),
        (ref) => Effect.flatMap(get(arena, ref), (value) => Effect.as(release(arena, ref), value))
      ),
    (totals, value) => {
      totals.count++
      totals.sum += value
    },
    (arena, queues) => {
      let i = 0
      return Effect.whileLoop({
        while: () => i < n,
        body: () =>
          Effect.flatMap(alloc(arena, i), (ref) =>
            Effect.zipRight(
              Arena.retainAll(arena, [ref], fanOut - 1),
              Effect.forEach(queues, (queue) => offer(queue, ref), { discard: true })
            )),
        step: () => i++
      })
    }
  )

interface AskResult {
  readonly replies: number
  /** Each ask's round-trip in milliseconds, measured inside the run. */
  readonly latencies: Float64Array
}

/** Runs `k` asks one after another, timing each round-trip. */
const timedAsks = <E, R>(k: number, askOnce: () => Effect.Effect<unknown, E, R>): Effect.Effect<AskResult, E, R> =>
  Effect.suspend(() => {
    const latencies = new Float64Array(k)
    let started = 0
    let i = 0
    return Effect.whileLoop({
      while: () => i < k,
      body: () => {
        started = performance.now()
        return askOnce()
      },
      step: () => {
        latencies[i++] = performance.now() - started
      }
    }).pipe(Effect.map((): AskResult => ({ replies: i, latencies })))
  })

/** p50 and p99 of one run's ask latencies, in µs. */
const latencyReport = (result: AskResult): string => {
  const sorted = Float64Array.from(result.latencies).sort()
  const at = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 1000).toFixed(1)
  return `p50 ${at(0.5)} µs, p99 ${at(0.99)} µs (one run of ${sorted.length} asks)`
}

/** `k` sequential asks, each with a deadline. */
const weftAsk = (k: number) =>
  withSystem(Effect.gen(function*() {
    const ref = yield* spawn(summer)
    return yield* timedAsks(k, () => ask(ref, new Sum(), { timeout: "1 second" }))
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
    return yield* timedAsks(k, () =>
      Effect.flatMap(
        Deferred.make<number>(),
        (reply) => Effect.zipRight(offer(queue, { reply }), Effect.timeout(Deferred.await(reply), "1 second"))
      ))
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
      goal: "≥ 0.85× the lazy-tell floor (Effect.suspend per tell)",
      check: (sum) => expect(sum === expectedSum, () => `sum ${sum}, expected ${expectedSum}`),
      contenders: [
        { name: "weft Actor.tell", role: "weft", run: () => weftTell(n) },
        { name: "effect Queue.bounded fiber loop", role: "peer", run: () => queueTell(n) },
        { name: "xstate v5 actor send", role: "peer", run: () => xstateTell(n) },
        {
          name: "Effect floor: one Effect.sync per tell, handler in a plain loop",
          role: "limit",
          run: () => effectFloorTell(n)
        },
        {
          name: "Effect floor for a lazy tell: Effect.suspend per tell (2 steps), handler in a plain loop",
          role: "limit",
          run: () => lazyFloorTell(n)
        },
        {
          name: "Effect floor for a lazy tell, its Effect.suspend built per tell (as a tell API must)",
          role: "limit",
          run: () => lazyFloorTellBuiltPerCall(n)
        },
        {
          name: "the same, and the handler's effect run per message (as an actor with effectful handlers must)",
          role: "limit",
          run: () => lazyFloorTellWithHandler(n)
        }
      ]
    }),
    benchmark<number>({
      package: "actor",
      name: `tell throughput in batches of ${tellBatch}, 1 actor, trivial handler, mailbox 1024`,
      unit: "message",
      opsPerRun: n,
      goal: "≥ 3× the Queue.bounded fiber loop, ≥ 1.5× xstate send",
      check: (sum) => expect(sum === expectedSum, () => `sum ${sum}, expected ${expectedSum}`),
      contenders: [
        { name: `weft Actor.tellAll (${tellBatch})`, role: "weft", run: () => weftTellAll(n) },
        { name: "effect Queue.bounded fiber loop (one offer/take per message)", role: "peer", run: () => queueTell(n) },
        {
          name: `effect Queue.bounded, offerAll/takeBetween (${tellBatch})`,
          role: "peer",
          run: () => queueTell(n, tellBatch)
        },
        { name: "xstate v5 actor send", role: "peer", run: () => xstateTell(n) },
        {
          name:
            `Effect floor: one lazy effect per batch of ${tellBatch}, built per batch, and the handler's effect run per message`,
          role: "limit",
          run: () => lazyFloorTellAllWithHandler(n)
        }
      ]
    }),
    benchmark<FanOutResult>({
      package: "actor",
      name: "fan-out 1 → 8 plugins with arena refs (broadcast), mailbox 1024",
      unit: "message",
      opsPerRun: m,
      goal: "dispatchBatch ≥ 2× the batched Queues; dispatchRef ≥ 1.5× and dispatchRefAll ≥ 2× the per-message Queues",
      check: (result) => {
        expect(result.sum === fanOut * fanOutSum, () => `sum ${result.sum}, expected ${fanOut * fanOutSum}`)
        expect(result.live === 0, () => `${result.live} arena slots still live, expected 0`)
      },
      contenders: [
        {
          name: "weft Arena.allocUpTo + Dispatcher.dispatchBatch (256) → 8 actors",
          role: "weft",
          run: () => weftBatchFanOut(m)
        },
        {
          name: "weft Arena.allocUpTo + Dispatcher.dispatchRefAll (256) → 8 actors",
          role: "variant",
          run: () => weftRefsFanOut(m)
        },
        { name: "weft Dispatcher.dispatchRef per message → 8 actors", role: "variant", run: () => weftFanOut(m) },
        {
          name: "8 effect Queue.bounded of 256-ref arrays + 8 fibers",
          role: "peer",
          run: () => queueBatchedFanOut(m)
        },
        { name: "8 effect Queue.bounded of refs + 8 fibers", role: "peer", run: () => queueFanOut(m) },
        {
          name: "floor of the batched rows: the arena work alone, one fiber, no queues",
          role: "limit",
          run: () => arenaWorkAlone(m)
        },
        {
          name:
            "floor of the per-message rows: the plugins' handler work alone (get + settle, 8 per message), one fiber",
          role: "limit",
          run: () => handlerWorkAlone(m)
        }
      ]
    }),
    benchmark<AskResult>({
      package: "actor",
      name: "ask round-trip with a deadline, sequential",
      unit: "ask",
      opsPerRun: k,
      goal: "p50 ≤ 10 µs; faster than Deferred + Effect.timeout",
      check: (result) => expect(result.replies === k, () => `${result.replies} replies, expected ${k}`),
      contenders: [
        { name: "weft Actor.ask (deadline)", role: "weft", run: () => weftAsk(k), report: latencyReport },
        {
          name: "Queue + Deferred + Effect.timeout",
          role: "peer",
          run: () => deferredAsk(k),
          report: latencyReport
        }
      ]
    })
  ]
}
