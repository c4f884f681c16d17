/**
 * @weft/select: a consumer that selects over 3 channels, against the same consumer receiving from
 * one channel (what the select costs on top of a receive), against `Stream.mergeAll` of three
 * `Stream.fromQueue`s (how an Effect user merges queues for throughput), and against
 * `Effect.raceAll` of `Queue.take`s (which loses messages: its losses are reported next to weft's 0).
 */
import { Mpsc } from "@weft/channel"
import { Select } from "@weft/select"
import { Effect, Fiber, Queue, Stream } from "effect"
import { benchmark, type BenchmarkFile, expect } from "./harness.js"

// Module-level references, so the loops measure the operations and not namespace getters that the
// `export * as` re-exports resolve through on every access.
const { recv, send } = Mpsc
const { select } = Select

interface Totals {
  readonly count: number
  readonly sum: number
  /** Messages taken from a queue and never returned to the consumer. */
  readonly lost: number
}

const channels = 3
const capacity = 1024

/** Sends 0..n-1, message i to target i mod 3 (or all to one target). */
const produce = <T>(
  n: number,
  targets: ReadonlyArray<T>,
  offer: (target: T, value: number) => Effect.Effect<unknown, unknown>
) => {
  let i = 0
  return Effect.whileLoop({
    while: () => i < n,
    body: () => offer(targets[i % targets.length]!, i),
    step: () => i++
  })
}

/** Takes n values, one per run of `next`; `read` gets the number out of what `next` gives. */
const consume = <X>(n: number, next: Effect.Effect<X, unknown>, read: (x: X) => number) =>
  Effect.suspend(() => {
    let count = 0
    let sum = 0
    return Effect.whileLoop({
      while: () => count < n,
      body: () => next,
      step: (x: X) => {
        count++
        sum += read(x)
      }
    }).pipe(Effect.map((): Totals => ({ count, sum, lost: 0 })))
  })

const pipeline = <X>(
  n: number,
  width: number,
  next: (receivers: Array<Mpsc.Receiver<number>>) => Effect.Effect<X, unknown>,
  read: (x: X) => number
) =>
  Effect.gen(function*() {
    const ends = yield* Effect.forEach(Array.from({ length: width }), () => Mpsc.bounded<number>(capacity))
    const consuming = yield* Effect.fork(consume(n, next(ends.map(([, rx]) => rx)), read))
    const producing = yield* Effect.fork(produce(n, ends.map(([tx]) => tx), (tx, value: number) => send(tx, value)))
    yield* Fiber.join(producing)
    return yield* Fiber.join(consuming)
  })

// The consumer reads the winner's value off the tagged result, as a `switch` on `_tag` would.
const weftSelect = (n: number) =>
  pipeline(n, channels, ([a, b, c]) => select({ a: a!, b: b!, c: c! }), (selected) => selected.value)

const weftRecvAlone = (n: number) => pipeline(n, 1, ([rx]) => recv(rx!), (value) => value)

/**
 * What a competent Effect user writes to consume three queues as one: `Stream.mergeAll` of
 * `Stream.fromQueue`s (each pull takes a whole chunk of what is buffered).
 */
const streamMergeAll = (n: number) =>
  Effect.gen(function*() {
    const queues = yield* Effect.forEach(Array.from({ length: channels }), () => Queue.bounded<number>(capacity))
    const producing = yield* Effect.fork(produce(n, queues, (queue, value: number) => Queue.offer(queue, value)))
    const totals = yield* Stream.mergeAll(queues.map((queue) => Stream.fromQueue(queue)), { concurrency: channels })
      .pipe(
        Stream.take(n),
        Stream.runFold({ count: 0, sum: 0, lost: 0 }, (totals: Totals, value) => ({
          count: totals.count + 1,
          sum: totals.sum + value,
          lost: 0
        }))
      )
    yield* Fiber.join(producing)
    return totals
  })

/**
 * A consumer that is already waiting while a producer sends bursts of 3 messages (one per
 * channel) and yields between bursts — the case where a race wakes several takers at once. The
 * consumer runs until every channel is empty; what it did not get was lost.
 */
const bursts = <Q>(
  n: number,
  make: () => Effect.Effect<Q>,
  offer: (queue: Q, value: number) => Effect.Effect<unknown, unknown>,
  size: (queue: Q) => Effect.Effect<number>,
  next: (queues: ReadonlyArray<Q>) => Effect.Effect<number, unknown>
) =>
  Effect.gen(function*() {
    const queues = yield* Effect.forEach(Array.from({ length: channels }), make)
    let count = 0
    let sum = 0
    const consumer = yield* Effect.fork(Effect.forever(Effect.map(next(queues), (value) => {
      count++
      sum += value
    })))
    yield* Effect.yieldNow()
    for (let i = 0; i < n; i++) {
      yield* offer(queues[i % channels]!, i)
      if (i % channels === channels - 1) yield* Effect.yieldNow()
    }
    while (true) {
      let left = 0
      for (const queue of queues) left += yield* size(queue)
      if (left === 0) break
      yield* Effect.yieldNow()
    }
    yield* Effect.yieldNow()
    yield* Fiber.interrupt(consumer)
    return { count, sum, lost: n - count }
  })

const weftBursts = (n: number) =>
  bursts(
    n,
    () => Effect.map(Mpsc.unbounded<number>(), ([tx, rx]) => ({ tx, rx })),
    (channel, value) => send(channel.tx, value),
    (channel) => Mpsc.size(channel.rx),
    ([a, b, c]) => Effect.map(select({ a: a!.rx, b: b!.rx, c: c!.rx }), (selected) => selected.value)
  )

const raceAllBursts = (n: number) =>
  bursts(
    n,
    () => Queue.unbounded<number>(),
    (queue, value) => Queue.offer(queue, value),
    // Queue.size counts waiting takers as negative: only the messages matter here.
    (queue) => Effect.map(Queue.size(queue), (size) => Math.max(0, size)),
    (queues) => Effect.raceAll(queues.map((queue) => Queue.take(queue)))
  )

export const benchmarks: BenchmarkFile = ({ quick }) => {
  const n = quick ? 3_000 : 300_000
  // The burst workload yields after every 3 messages: far slower per message, so fewer of them.
  const burstN = quick ? 3_000 : 30_000
  const expectAll = (n: number) => (result: Totals) => {
    expect(result.count === n, () => `received ${result.count} messages, expected ${n}`)
    expect(result.sum === (n * (n - 1)) / 2, () => `sum ${result.sum}, expected ${(n * (n - 1)) / 2}`)
    expect(result.lost === 0, () => `lost ${result.lost} messages`)
  }
  const run = (effect: Effect.Effect<Totals, unknown>) => () => Effect.runPromise(effect)
  const losses = (result: Totals) => `lost ${result.lost} of ${burstN} messages`
  return [
    benchmark<Totals>({
      package: "select",
      name: "select over 3 bounded(1024) channels, messages spread across them, 1 producer → 1 consumer",
      unit: "message",
      opsPerRun: n,
      goal: "≤ 2× the cost of one-channel recv (ratio ≥ 0.5)",
      check: expectAll(n),
      contenders: [
        { name: "weft select over 3 channels", role: "weft", run: run(weftSelect(n)) },
        { name: "weft Mpsc recv from 1 channel", role: "peer", run: run(weftRecvAlone(n)) },
        {
          name: "Stream.mergeAll of 3 Stream.fromQueue (Queue.bounded(1024))",
          role: "peer",
          run: run(streamMergeAll(n))
        }
      ]
    }),
    benchmark<Totals>({
      package: "select",
      name: "waiting consumer over 3 channels, bursts of 3: select vs Effect.raceAll of Queue.take",
      unit: "message",
      opsPerRun: burstN,
      goal: "0 lost (raceAll's losses reported)",
      check: (result, contender) => {
        if (contender.role === "weft") return expectAll(burstN)(result)
        // raceAll is expected to lose messages: what it returned plus what it lost is everything.
        expect(result.count + result.lost === burstN, () => `${result.count} + ${result.lost} lost ≠ ${burstN}`)
      },
      contenders: [
        { name: "weft select", role: "weft", run: run(weftBursts(burstN)), report: losses },
        { name: "effect raceAll(Queue.take × 3)", role: "peer", run: run(raceAllBursts(burstN)), report: losses }
      ]
    })
  ]
}
