/**
 * @weft/channel: one producer fiber → one consumer fiber through a bounded(1024) channel, against
 * Effect's `Queue` and `Mailbox`, with a plain-JS promise channel as the limit; and Broadcast, Watch
 * and Oneshot against PubSub, SubscriptionRef and Deferred (channelPeers.ts); Semaphore against
 * Effect's own (channelSemaphore.ts).
 */
import { Mpsc } from "@weft/channel"
import { Chunk, Effect, Exit, Fiber, Mailbox, Queue } from "effect"
import { channelPeers } from "./channelPeers.js"
import { semaphoreRows } from "./channelSemaphore.js"
import { benchmark, type BenchmarkFile, expect } from "./harness.js"

// Module-level references, so the loops measure the channels and not namespace getters that the
// `export * as` re-exports resolve through on every access.
const { recv, recvUpTo, send, sendAll } = Mpsc
const { offer, take } = Queue

const capacity = 1024
const batch = 1024

interface Totals {
  readonly count: number
  readonly sum: number
}

/** Sends 0..n-1 one at a time. */
const produce = (n: number, send: (i: number) => Effect.Effect<unknown, unknown>) => {
  let i = 0
  return Effect.whileLoop({ while: () => i < n, body: () => send(i), step: () => i++ })
}

/** Sends 0..n-1 in batches of `batch`. */
const produceBatches = (n: number, sendBatch: (values: Array<number>) => Effect.Effect<unknown, unknown>) => {
  let next = 0
  return Effect.whileLoop({
    while: () => next < n,
    body: () => {
      const size = Math.min(batch, n - next)
      const values = new Array<number>(size)
      for (let i = 0; i < size; i++) values[i] = next + i
      return sendBatch(values)
    },
    step: () => {
      next += batch
    }
  })
}

/** Receives one at a time until n messages arrived. */
const consumeOne = (n: number, take: Effect.Effect<number, unknown>) =>
  Effect.suspend(() => {
    let count = 0
    let sum = 0
    return Effect.whileLoop({
      while: () => count < n,
      body: () => take,
      step: (value: number) => {
        count++
        sum += value
      }
    }).pipe(Effect.map((): Totals => ({ count, sum })))
  })

/** Receives batches until n messages arrived. */
const consumeBatches = (n: number, takeBatch: Effect.Effect<Chunk.Chunk<number>, unknown>) =>
  Effect.suspend(() => {
    let count = 0
    let sum = 0
    return Effect.whileLoop({
      while: () => count < n,
      body: () => takeBatch,
      step: (values: Chunk.Chunk<number>) => {
        count += values.length
        for (const value of values) sum += value
      }
    }).pipe(Effect.map((): Totals => ({ count, sum })))
  })

/** Producer and consumer as separate fibers; the result is the consumer's totals. */
const pipeline = (producer: Effect.Effect<unknown, unknown>, consumer: Effect.Effect<Totals, unknown>) =>
  Effect.gen(function*() {
    const consuming = yield* Effect.fork(consumer)
    const producing = yield* Effect.fork(producer)
    yield* Fiber.join(producing)
    return yield* Fiber.join(consuming)
  })

/** A bounded channel in plain JS: the least any promise-based channel must cost. */
class PromiseChannel<A> {
  private readonly items: Array<A> = []
  private head = 0
  private receiver: ((value: A) => void) | undefined = undefined
  private sender: (() => void) | undefined = undefined
  constructor(private readonly capacity: number) {}

  /** `undefined` when accepted at once, else a promise that settles once accepted. */
  send(value: A): Promise<void> | undefined {
    if (this.receiver !== undefined) {
      const receiver = this.receiver
      this.receiver = undefined
      receiver(value)
      return undefined
    }
    if (this.items.length - this.head < this.capacity) {
      this.items.push(value)
      return undefined
    }
    return new Promise<void>((resolve) => {
      this.sender = () => {
        this.items.push(value)
        resolve()
      }
    })
  }

  /** Takes up to `max` values, or a promise of at least one. */
  recv(max: number): Array<A> | Promise<Array<A>> {
    const available = this.items.length - this.head
    if (available === 0) {
      return new Promise<Array<A>>((resolve) => {
        this.receiver = (value) => resolve([value])
        this.wakeSender()
      })
    }
    const count = Math.min(max, available)
    const out = this.items.slice(this.head, this.head + count)
    this.head += count
    if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
    }
    this.wakeSender()
    return out
  }

  private wakeSender() {
    const sender = this.sender
    if (sender !== undefined) {
      this.sender = undefined
      sender()
    }
  }
}

const promisePipeline = async (n: number, max: number): Promise<Totals> => {
  const channel = new PromiseChannel<number>(capacity)
  const producer = (async () => {
    for (let i = 0; i < n; i++) {
      const pending = channel.send(i)
      if (pending !== undefined) await pending
    }
  })()
  let count = 0
  let sum = 0
  while (count < n) {
    const taken = channel.recv(max)
    const values = Array.isArray(taken) ? taken : await taken
    count += values.length
    for (const value of values) sum += value
  }
  await producer
  return { count, sum }
}

/**
 * The runtime's floor for any channel used one Effect per send: the same producer loop, one
 * `step` per message, through a plain array in rounds of `capacity`, and a consumer taking one
 * message (`batched` false) or the whole round (true) per `step` — no fiber switch, no
 * synchronisation, no waiting. No channel used that way can beat it. With `Effect.sync` as the
 * step it is the floor of any Effect; with `lazyStep` it is the floor of an operation that can
 * wait (a bounded send, a receive), which must decide when it runs whether to wait.
 */
const effectFloor = (n: number, batched: boolean, step: (f: () => void) => Effect.Effect<void>) =>
  Effect.suspend(() => {
    const ring = new Array<number>(capacity)
    let sent = 0
    let count = 0
    let sum = 0
    let roundEnd = 0
    const put = step(() => {
      ring[sent % capacity] = sent
    })
    const take = step(() => {
      do sum += ring[count++ % capacity]!
      while (batched && count < roundEnd)
    })
    const round = Effect.zipRight(
      Effect.whileLoop({ while: () => sent < roundEnd, body: () => put, step: () => sent++ }),
      Effect.whileLoop({ while: () => count < roundEnd, body: () => take, step: () => {} })
    )
    return Effect.whileLoop({
      while: () => count < n,
      body: () => {
        roundEnd = Math.min(n, count + capacity)
        return round
      },
      step: () => {}
    }).pipe(Effect.map((): Totals => ({ count, sum })))
  })

/**
 * A step that can wait: `Effect.suspend` deciding at run time, here always "no need", and
 * returning `Exit.void` — two run-loop steps, as `Mpsc.send` takes when there is room.
 */
const lazyStep = (f: () => void): Effect.Effect<void> =>
  Effect.suspend(() => {
    f()
    return Exit.void
  })

const weftOne = (n: number) =>
  Effect.flatMap(
    Mpsc.bounded<number>(capacity),
    ([tx, rx]) => (pipeline(produce(n, (i) => send(tx, i)), consumeOne(n, recv(rx))))
  )

const weftMany = (n: number) =>
  Effect.flatMap(
    Mpsc.bounded<number>(capacity),
    ([tx, rx]) => (pipeline(produce(n, (i) => send(tx, i)), consumeBatches(n, recvUpTo(rx, batch))))
  )

const queueOne = (n: number) =>
  Effect.flatMap(
    Queue.bounded<number>(capacity),
    (queue) => (pipeline(produce(n, (i) => offer(queue, i)), consumeOne(n, take(queue))))
  )

const mailboxMany = (n: number) =>
  Effect.flatMap(Mailbox.make<number>(capacity), (mailbox) =>
    pipeline(
      produce(n, (i) => mailbox.offer(i)),
      consumeBatches(n, Effect.map(mailbox.takeAll, ([values]) => values))
    ))

const weftBatches = (n: number) =>
  Effect.flatMap(
    Mpsc.bounded<number>(capacity),
    ([tx, rx]) => pipeline(produceBatches(n, (values) => sendAll(tx, values)), consumeBatches(n, recvUpTo(rx, batch)))
  )

const mailboxBatches = (n: number) =>
  Effect.flatMap(Mailbox.make<number>(capacity), (mailbox) =>
    pipeline(
      produceBatches(n, (values) => mailbox.offerAll(values)),
      consumeBatches(n, Effect.map(mailbox.takeAll, ([values]) => values))
    ))

/**
 * The floor of the batch rows: the same producer and consumer loops, each batch handed over in
 * one `Effect.sync` each way through a variable (as a Chunk, as `recvUpTo` and `takeAll` give it)
 * with no channel, fiber switch or waiting: what the loops themselves cost.
 */
const batchFloor = (n: number) =>
  Effect.suspend(() => {
    let handed: Chunk.Chunk<number> = Chunk.empty()
    let count = 0
    let sum = 0
    const take = Effect.sync(() => handed)
    const received = (values: Chunk.Chunk<number>) => {
      count += values.length
      for (const value of values) sum += value
    }
    return Effect.zipRight(
      produceBatches(n, (values) =>
        Effect.zipRight(
          Effect.sync(() => {
            handed = Chunk.unsafeFromArray(values)
          }),
          Effect.map(take, received)
        )),
      Effect.sync((): Totals => ({ count, sum }))
    )
  })

export const benchmarks: BenchmarkFile = ({ quick }) => {
  const n = quick ? 3_000 : 1_000_000
  const check = (result: Totals) => {
    expect(result.count === n, () => `received ${result.count} messages, expected ${n}`)
    expect(result.sum === (n * (n - 1)) / 2, () => `sum ${result.sum}, expected ${(n * (n - 1)) / 2}`)
  }
  const run = (effect: Effect.Effect<Totals, unknown>) => () => Effect.runPromise(effect)
  return [
    benchmark<Totals>({
      package: "channel",
      name: "mpsc bounded(1024) send/recv, 1 producer → 1 consumer",
      unit: "message",
      opsPerRun: n,
      goal: "≥ 0.9× the Effect floor (one Effect.sync per message each way); ≥ 4× Queue.bounded",
      check,
      contenders: [
        { name: "weft Mpsc send/recv", role: "weft", run: run(weftOne(n)) },
        { name: "effect Queue.bounded offer/take", role: "peer", run: run(queueOne(n)) },
        { name: "plain-JS promise channel", role: "limit", run: () => promisePipeline(n, 1) },
        {
          name: "Effect floor: one Effect.sync per message each way, no channel",
          role: "limit",
          run: run(effectFloor(n, false, Effect.sync))
        },
        {
          name: "Effect floor of waitable steps: one Effect.suspend per message each way, no channel",
          role: "limit",
          run: run(effectFloor(n, false, lazyStep))
        }
      ]
    }),
    benchmark<Totals>({
      package: "channel",
      name: "mpsc bounded(1024) send/recvUpTo(1024), 1 producer → 1 consumer",
      unit: "message",
      opsPerRun: n,
      goal: "≥ 1.5× Mailbox offer/takeAll",
      check,
      contenders: [
        { name: "weft Mpsc send/recvUpTo", role: "weft", run: run(weftMany(n)) },
        { name: "effect Mailbox offer/takeAll", role: "peer", run: run(mailboxMany(n)) },
        { name: "plain-JS promise channel, batched", role: "limit", run: () => promisePipeline(n, batch) },
        {
          name: "Effect floor: one Effect.sync per send, one per batch received, no channel",
          role: "limit",
          run: run(effectFloor(n, true, Effect.sync))
        },
        {
          name: "Effect floor of waitable steps: one Effect.suspend per send, one per batch received",
          role: "limit",
          run: run(effectFloor(n, true, lazyStep))
        }
      ]
    }),
    benchmark<Totals>({
      package: "channel",
      name: "mpsc bounded(1024) sendAll/recvUpTo in batches of 1024, 1 producer → 1 consumer",
      unit: "message",
      opsPerRun: n,
      goal: "≥ 2× Mailbox offerAll/takeAll",
      check,
      contenders: [
        { name: "weft Mpsc sendAll/recvUpTo", role: "weft", run: run(weftBatches(n)) },
        { name: "effect Mailbox offerAll/takeAll", role: "peer", run: run(mailboxBatches(n)) },
        {
          name: "floor: the same loops, each batch handed over in one Effect.sync each way, no channel",
          role: "limit",
          run: run(batchFloor(n))
        }
      ]
    }),
    ...channelPeers(quick),
    ...semaphoreRows(quick)
  ]
}
