/**
 * @weft/channel's Broadcast, Watch and Oneshot against the Effect primitive a user would reach for
 * instead: `PubSub`, `SubscriptionRef` and `Deferred` (the "Why not Effect's …" rows of
 * docs/channel.md).
 */
import { Broadcast, Oneshot, Watch } from "@weft/channel"
import { Chunk, Deferred, Effect, Fiber, PubSub, Queue, Stream, SubscriptionRef } from "effect"
import { type Benchmark, benchmark, expect } from "./harness.js"

const capacity = 256
const subscribers = 4

/** Each subscriber's count and sum. */
type Received = ReadonlyArray<{ readonly count: number; readonly sum: number }>

/** `subscribers` consumer fibers, then the producer; every consumer's totals. */
const fanOut = <S>(
  n: number,
  subscriptions: ReadonlyArray<S>,
  take: (subscription: S) => Effect.Effect<number, unknown>,
  publish: (i: number) => Effect.Effect<unknown, unknown>
) =>
  Effect.gen(function*() {
    const consumers = yield* Effect.forEach(subscriptions, (subscription) =>
      Effect.fork(Effect.suspend(() => {
        let count = 0
        let sum = 0
        return Effect.whileLoop({
          while: () => count < n,
          body: () => take(subscription),
          step: (value: number) => {
            count++
            sum += value
          }
        }).pipe(Effect.map(() => ({ count, sum })))
      })))
    let i = 0
    yield* Effect.whileLoop({ while: () => i < n, body: () => publish(i), step: () => i++ })
    return yield* Fiber.joinAll(consumers)
  })

const weftBroadcast = (n: number) =>
  Effect.gen(function*() {
    const [tx, first] = yield* Broadcast.make<number>({ capacity })
    const rest = yield* Effect.forEach(Array.from({ length: subscribers - 1 }), () => Broadcast.subscribe(tx))
    return yield* fanOut(n, [first, ...rest], Broadcast.recv, (i) => Broadcast.send(tx, i))
  })

const effectPubSub = (n: number) =>
  Effect.scoped(Effect.gen(function*() {
    const pubsub = yield* PubSub.bounded<number>(capacity)
    const queues = yield* Effect.forEach(Array.from({ length: subscribers }), () => PubSub.subscribe(pubsub))
    return yield* fanOut(n, queues, Queue.take, (i) => PubSub.publish(pubsub, i))
  }))

/** A writer sets 1..n; a reader follows until it has seen n. How often it woke, and whether it ever went back. */
interface Followed {
  readonly seen: number
  readonly last: number
  readonly increasing: boolean
}

const follow = (n: number, next: Effect.Effect<number, unknown>) =>
  Effect.suspend(() => {
    let seen = 0
    let last = 0
    let increasing = true
    return Effect.whileLoop({
      while: () => last < n,
      body: () => next,
      step: (value: number) => {
        seen++
        if (value < last) increasing = false
        last = value
      }
    }).pipe(Effect.map((): Followed => ({ seen, last, increasing })))
  })

const writeAll = (n: number, set: (i: number) => Effect.Effect<unknown, unknown>) => {
  let i = 1
  return Effect.whileLoop({ while: () => i <= n, body: () => set(i), step: () => i++ })
}

const weftWatch = (n: number) =>
  Effect.gen(function*() {
    const [tx, rx] = yield* Watch.make(0)
    const reader = yield* Effect.fork(follow(n, Watch.changed(rx)))
    yield* writeAll(n, (i) => Watch.send(tx, i))
    return yield* Fiber.join(reader)
  })

const effectSubscriptionRef = (n: number) =>
  Effect.scoped(Effect.gen(function*() {
    const ref = yield* SubscriptionRef.make(0)
    // `changes` starts with the current value; each pull takes every change since the last one.
    const pull = yield* Stream.toPull(ref.changes)
    const reader = yield* Effect.fork(follow(n, Effect.map(pull, Chunk.unsafeLast)))
    yield* writeAll(n, (i) => SubscriptionRef.set(ref, i))
    return yield* Fiber.join(reader)
  }))

/** n one-shot replies, each from a forked responder to a waiting requester. Their sum. */
const replies = <R>(
  n: number,
  make: Effect.Effect<R>,
  respond: (pair: R, value: number) => Effect.Effect<unknown, unknown>,
  await_: (pair: R) => Effect.Effect<number, unknown>
) =>
  Effect.suspend(() => {
    let i = 0
    let sum = 0
    return Effect.whileLoop({
      while: () => i < n,
      body: () => Effect.flatMap(make, (pair) => Effect.zipRight(Effect.fork(respond(pair, i)), await_(pair))),
      step: (value: number) => {
        sum += value
        i++
      }
    }).pipe(Effect.map(() => sum))
  })

const weftOneshot = (n: number) =>
  replies(
    n,
    Oneshot.make<number>(),
    ([tx], value) => Oneshot.send(tx, value),
    ([, rx]) => Oneshot.recv(rx)
  )

const effectDeferred = (n: number) =>
  replies(n, Deferred.make<number>(), (deferred, value) => Deferred.succeed(deferred, value), Deferred.await)

export const channelPeers = (quick: boolean): ReadonlyArray<Benchmark<any>> => {
  const n = quick ? 500 : 100_000
  const run = <A>(effect: Effect.Effect<A, unknown>) => () => Effect.runPromise(effect)
  return [
    benchmark<Received>({
      package: "channel",
      name: `broadcast, 1 publisher → ${subscribers} subscribers, capacity ${capacity} (waits when full)`,
      unit: "message",
      opsPerRun: n,
      check: (received) =>
        received.forEach(({ count, sum }) =>
          expect(count === n && sum === (n * (n - 1)) / 2, () => `a subscriber got ${count} messages, sum ${sum}`)
        ),
      contenders: [
        { name: "weft Broadcast send/recv", role: "weft", run: run(weftBroadcast(n)) },
        { name: "effect PubSub.bounded publish / Queue.take", role: "peer", run: run(effectPubSub(n)) }
      ]
    }),
    benchmark<Followed>({
      package: "channel",
      name: "latest value: 1 writer sets 1..n, 1 reader follows to n",
      unit: "write",
      opsPerRun: n,
      check: (r) =>
        expect(r.last === n && r.increasing, () => `the reader ended at ${r.last}, increasing: ${r.increasing}`),
      contenders: [
        {
          name: "weft Watch send/changed (skips to the latest)",
          role: "weft",
          run: run(weftWatch(n)),
          report: (r) => `reader woke ${r.seen} times`
        },
        {
          name: "effect SubscriptionRef set / changes (every value, latest of each pull)",
          role: "peer",
          run: run(effectSubscriptionRef(n)),
          report: (r) => `reader woke ${r.seen} times`
        }
      ]
    }),
    benchmark<number>({
      package: "channel",
      name: "one-shot reply: make, a forked responder sends, the requester waits",
      unit: "reply",
      opsPerRun: n,
      check: (sum) => expect(sum === (n * (n - 1)) / 2, () => `sum ${sum}`),
      contenders: [
        { name: "weft Oneshot send/recv", role: "weft", run: run(weftOneshot(n)) },
        { name: "effect Deferred succeed/await", role: "peer", run: run(effectDeferred(n)) }
      ]
    })
  ]
}
