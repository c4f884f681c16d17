/**
 * @weft/stream against Effect's own operators and Node streams: on trivial work, so that what is
 * measured is the machinery, and on asynchronous work (a `setImmediate` turn; a 1 ms timer), where
 * weft cannot run the work inline and every contender waits on the event loop.
 */
import { Backpressure, SnapshotStream } from "@weft/stream"
import { Chunk, Effect, Stream } from "effect"
import { Readable, Transform, Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { benchmark, type BenchmarkFile, expect } from "./harness.js"

const double = (n: number) => Effect.sync(() => n * 2)

// Sum of 2n for n in [0, count).
const expectedSum = (count: number) => count * (count - 1)

/**
 * An ordered Node Transform running up to `concurrency` promises at once: each chunk starts its
 * work at once, and the callback is held back only while `concurrency` results are pending.
 */
const concurrentTransform = (concurrency: number, f: (n: number) => Promise<number>) => {
  const pending: Array<Promise<number>> = []
  const pushOldest = async (stream: Transform) => {
    stream.push(await pending.shift()!)
  }
  return new Transform({
    objectMode: true,
    transform(n: number, _encoding, done) {
      pending.push(f(n))
      if (pending.length < concurrency) return done()
      pushOldest(this).then(() => done(), done)
    },
    flush(done) {
      const drainAll = async () => {
        while (pending.length > 0) await pushOldest(this)
      }
      drainAll().then(() => done(), done)
    }
  })
}

const nodeTransformSum = async (count: number): Promise<number> => {
  let sum = 0
  await pipeline(
    Readable.from((function*() {
      for (let n = 0; n < count; n++) yield n
    })()),
    concurrentTransform(8, (n) => Promise.resolve(n * 2)),
    new Writable({
      objectMode: true,
      write(n: number, _encoding, done) {
        sum += n
        done()
      }
    })
  )
  return sum
}

const sum = (acc: number, n: number) => acc + n

/** Work that completes on the next event-loop turn. */
const nextTurn = (n: number) => Effect.async<number>((resume) => void setImmediate(() => resume(Effect.succeed(n * 2))))

/** Work that waits 1 ms on a real timer. */
const oneMillisecond = (n: number) => Effect.as(Effect.sleep("1 millis"), n * 2)

/** The same 1 ms timers with plain promises, 8 in flight: the floor the Effect rows approach. */
const promisePoolSum = async (count: number, concurrency: number): Promise<number> => {
  let next = 0
  let total = 0
  const worker = async () => {
    while (next < count) {
      const n = next++
      await new Promise((resolve) => setTimeout(resolve, 1))
      total += n * 2
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return total
}

/** `mapConcurrent(8)` and `Stream.mapEffect({ concurrency: 8 })` over `count` elements of `work`. */
const mapRows = (count: number, work: (n: number) => Effect.Effect<number>) => [
  {
    name: "Backpressure.mapConcurrent(8)",
    role: "weft" as const,
    run: () =>
      Effect.runPromise(Stream.range(0, count - 1).pipe(Backpressure.mapConcurrent(8, work), Stream.runFold(0, sum)))
  },
  {
    name: "Stream.mapEffect({ concurrency: 8 })",
    role: "peer" as const,
    run: () =>
      Effect.runPromise(
        Stream.range(0, count - 1).pipe(Stream.mapEffect(work, { concurrency: 8 }), Stream.runFold(0, sum))
      )
  }
]

export const benchmarks: BenchmarkFile = ({ quick }) => {
  const elements = quick ? 200 : 100_000
  // Effect's unordered mapEffect runs at a few thousand elements/s: 10^4 keeps a run near seconds.
  const unorderedElements = quick ? 200 : 10_000
  const turnElements = quick ? 64 : 20_000
  const timerElements = quick ? 16 : 800
  const events = quick ? 200 : 100_000
  const eventArray = Array.from({ length: events }, (_, i) => i)
  // Running sums, the snapshot after each event: sum of k(k+1)/2 for k in [0, events).
  const expectedSnapshots = eventArray.reduce((acc, k) => acc + (k * (k + 1)) / 2, 0)
  const batched = (batch: (stream: Stream.Stream<number>) => Stream.Stream<Chunk.Chunk<number>, unknown>) => () =>
    Effect.runPromise(
      batch(Stream.range(0, elements - 1)).pipe(
        Stream.runFold({ batches: 0, sum: 0 }, (acc, chunk) => ({
          batches: acc.batches + 1,
          sum: Chunk.reduce(chunk, acc.sum, (a, b) => a + b)
        }))
      )
    )
  return [
    benchmark<{ readonly batches: number; readonly sum: number }>({
      package: "stream",
      name: "batches of 256 or 1 s, whichever first (a bulk insert's batching)",
      unit: "element",
      opsPerRun: elements,
      contenders: [
        {
          name: "Backpressure.chunksTimeout(256, \"1 second\")",
          role: "weft",
          run: batched(Backpressure.chunksTimeout(256, "1 second"))
        },
        {
          name: "Stream.groupedWithin(256, \"1 second\")",
          role: "peer",
          run: batched(Stream.groupedWithin(256, "1 second"))
        }
      ],
      check: ({ batches, sum }) =>
        expect(
          batches === Math.ceil(elements / 256) && sum === (elements * (elements - 1)) / 2,
          () => `${batches} batches, sum ${sum}`
        )
    }),
    benchmark<number>({
      package: "stream",
      name: "mapConcurrent(8), trivial effect",
      unit: "element",
      opsPerRun: elements,
      goal: "≥ 50× Stream.mapEffect({ concurrency: 8 })",
      contenders: [
        ...mapRows(elements, double),
        {
          name: "node stream.Transform, 8 in flight",
          role: "peer",
          run: () => nodeTransformSum(elements)
        }
      ],
      check: (result) => expect(result === expectedSum(elements), () => `sum ${result} ≠ ${expectedSum(elements)}`)
    }),
    benchmark<number>({
      package: "stream",
      name: "mapConcurrent(8), work that completes on the next event-loop turn (setImmediate)",
      unit: "element",
      opsPerRun: turnElements,
      goal: "≥ 5× Stream.mapEffect({ concurrency: 8 })",
      contenders: mapRows(turnElements, nextTurn),
      check: (result) =>
        expect(result === expectedSum(turnElements), () => `sum ${result} ≠ ${expectedSum(turnElements)}`)
    }),
    benchmark<number>({
      package: "stream",
      name: "mapConcurrent(8), 1 ms timer per element (ideal: 8 per ms)",
      unit: "element",
      opsPerRun: timerElements,
      // Each run waits on timers for about timerElements / 8 ms: a fixed count keeps the run short.
      samples: 8,
      contenders: [
        ...mapRows(timerElements, oneMillisecond),
        {
          name: "plain promises, 8 in flight, setTimeout(1)",
          role: "limit",
          run: () => promisePoolSum(timerElements, 8)
        }
      ],
      check: (result) =>
        expect(result === expectedSum(timerElements), () => `sum ${result} ≠ ${expectedSum(timerElements)}`)
    }),
    benchmark<number>({
      package: "stream",
      name: "mapConcurrentUnordered(8), trivial effect",
      unit: "element",
      opsPerRun: unorderedElements,
      contenders: [
        {
          name: "Backpressure.mapConcurrentUnordered(8)",
          role: "weft",
          run: () =>
            Effect.runPromise(
              Stream.range(0, unorderedElements - 1).pipe(
                Backpressure.mapConcurrentUnordered(8, double),
                Stream.runFold(0, sum)
              )
            )
        },
        {
          name: "Stream.mapEffect({ concurrency: 8, unordered })",
          role: "peer",
          run: () =>
            Effect.runPromise(
              Stream.range(0, unorderedElements - 1).pipe(
                Stream.mapEffect(double, { concurrency: 8, unordered: true }),
                Stream.runFold(0, sum)
              )
            )
        }
      ],
      check: (result) =>
        expect(result === expectedSum(unorderedElements), () => `sum ${result} ≠ ${expectedSum(unorderedElements)}`)
    }),
    benchmark<number>({
      package: "stream",
      name: "snapshot stream: running sum, one snapshot per event",
      unit: "event",
      opsPerRun: events,
      contenders: [
        {
          name: "SnapshotStream (suspend, capacity 1024)",
          role: "weft",
          run: () =>
            Effect.runPromise(Effect.scoped(Effect.gen(function*() {
              const snapshots = yield* SnapshotStream.make({
                initial: 0,
                step: (total: number, n: number) => [total + n, total + n] as const,
                capacity: 1024,
                strategy: "suspend"
              })
              yield* Effect.fork(Effect.zipRight(snapshots.sendAll(eventArray), snapshots.close))
              return yield* Stream.runFold(snapshots.stream, 0, sum)
            })))
        },
        {
          // The state is folded where the events arrive, and whole chunks cross the buffer, as a
          // competent user keeps them (Stream.buffer would re-chunk into single elements).
          name: "Stream.mapAccum + Stream.bufferChunks(4 chunks)",
          role: "peer",
          run: () =>
            Effect.runPromise(
              Stream.fromIterable(eventArray).pipe(
                Stream.mapAccum(0, (total, n) => [total + n, total + n] as const),
                Stream.bufferChunks({ capacity: 4 }),
                Stream.runFold(0, sum)
              )
            )
        }
      ],
      check: (result) => expect(result === expectedSnapshots, () => `sum ${result} ≠ ${expectedSnapshots}`)
    })
  ]
}
