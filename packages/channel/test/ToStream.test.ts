import { assert, describe, it } from "@effect/vitest"
import { Broadcast, Mpsc, Watch } from "@weft/channel"
import { Chunk, Effect, Either, FastCheck, Fiber, Stream } from "effect"

const settle = Effect.gen(function*() {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
})

const upTo = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i)

/** Every chunk a stream emits, as arrays. */
const chunksOf = <A>(stream: Stream.Stream<A>) =>
  Effect.map(Stream.runCollect(Stream.chunks(stream)), (chunks) => Chunk.toArray(chunks).map(Chunk.toArray))

describe("Mpsc.toStream", () => {
  it.effect("each pull is one batch receive of what is buffered, up to maxChunkSize; the stream ends on close", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Mpsc.bounded<number>(16)
      yield* Mpsc.sendAll(tx, upTo(5))
      yield* Mpsc.close(tx)
      assert.deepStrictEqual(yield* chunksOf(Mpsc.toStream(rx, { maxChunkSize: 2 })), [[0, 1], [2, 3], [4]])
    }))

  it.effect("without maxChunkSize a chunk holds everything buffered", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Mpsc.bounded<number>(16)
      yield* Mpsc.sendAll(tx, upTo(7))
      yield* Mpsc.close(tx)
      assert.deepStrictEqual(yield* chunksOf(Mpsc.toStream(rx)), [upTo(7)])
    }))

  it.effect("interrupted while it waits, the stream has taken nothing", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Mpsc.bounded<number>(4)
      const consumer = yield* Effect.fork(Stream.runCollect(Mpsc.toStream(rx)))
      yield* settle
      yield* Fiber.interrupt(consumer)
      yield* Mpsc.send(tx, 1)
      assert.strictEqual(yield* Mpsc.recv(rx), 1)
    }))

  it.effect.prop(
    "conservation: every message once, in order, in chunks of at most maxChunkSize, while a producer waits for room",
    { count: FastCheck.integer({ min: 0, max: 60 }), maxChunkSize: FastCheck.integer({ min: 1, max: 8 }) },
    ({ count, maxChunkSize }) =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        const consumer = yield* Effect.fork(chunksOf(Mpsc.toStream(rx, { maxChunkSize })))
        yield* Mpsc.sendAll(tx, upTo(count))
        yield* Mpsc.close(tx)
        const chunks = yield* Fiber.join(consumer)
        assert.deepStrictEqual(chunks.flat(), upTo(count))
        for (const chunk of chunks) assert.isTrue(chunk.length >= 1 && chunk.length <= maxChunkSize)
      }),
    { fastCheck: { numRuns: 200 } }
  )

  it.effect.prop(
    "a consumer interrupted at random loses at most the chunk in hand: the rest stays in the channel, in order",
    {
      count: FastCheck.integer({ min: 0, max: 40 }),
      maxChunkSize: FastCheck.integer({ min: 1, max: 8 }),
      after: FastCheck.nat(30)
    },
    ({ after, count, maxChunkSize }) =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Mpsc.bounded<number>(4)
        const producer = yield* Effect.fork(Mpsc.sendAll(tx, upTo(count)))
        const seen: Array<number> = []
        const consumer = yield* Effect.fork(
          Stream.runForEach(Mpsc.toStream(rx, { maxChunkSize }), (n) => Effect.sync(() => seen.push(n)))
        )
        for (let i = 0; i < after; i++) yield* Effect.yieldNow()
        yield* Fiber.interrupt(consumer)
        const rest = yield* Effect.fork(Stream.runCollect(Mpsc.toStream(rx)))
        yield* Fiber.join(producer)
        yield* Mpsc.close(tx)
        const left = Chunk.toArray(yield* Fiber.join(rest))
        assert.deepStrictEqual(seen, upTo(seen.length))
        const lost = (left[0] ?? count) - seen.length
        assert.isTrue(lost >= 0 && lost <= maxChunkSize, `lost ${lost} of a chunk of at most ${maxChunkSize}`)
        assert.deepStrictEqual(left, upTo(count).slice(seen.length + lost))
      }),
    { fastCheck: { numRuns: 200 } }
  )
})

describe("Broadcast.recvUpTo", () => {
  it.effect("takes up to max unread messages at once; waits only while there is none", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 8 })
      const other = yield* Broadcast.subscribe(tx)
      const waiting = yield* Effect.fork(Broadcast.recvUpTo(rx, 3))
      yield* settle
      yield* Effect.forEach(upTo(5), (n) => Broadcast.send(tx, n))
      // The waiter woke at the first message and took what had arrived by the time it ran, up to 3.
      assert.deepStrictEqual(Chunk.toArray(yield* Fiber.join(waiting)), [0, 1, 2])
      assert.deepStrictEqual(Chunk.toArray(yield* rx.pipe(Broadcast.recvUpTo(3))), [3, 4])
      // Every subscriber has its own cursor.
      assert.deepStrictEqual(Chunk.toArray(yield* Broadcast.recvUpTo(other, 10)), upTo(5))
      assert.strictEqual(yield* Broadcast.pending(rx), 0)
    }))

  it.effect("frees the slots it read, so a suspended sender goes on", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 2 })
      yield* Broadcast.send(tx, 0)
      yield* Broadcast.send(tx, 1)
      const sender = yield* Effect.fork(Broadcast.send(tx, 2))
      yield* settle
      assert.isNull(sender.unsafePoll())
      assert.deepStrictEqual(Chunk.toArray(yield* Broadcast.recvUpTo(rx, 2)), [0, 1])
      yield* Fiber.join(sender)
      assert.deepStrictEqual(Chunk.toArray(yield* Broadcast.recvUpTo(rx, 2)), [2])
    }))

  it.effect("fails with Lagged once, then goes on from the oldest retained message; ChannelClosed at the end", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 2, lag: "dropOldest" })
      yield* Effect.forEach(upTo(5), (n) => Broadcast.send(tx, n))
      yield* Broadcast.close(tx)
      const lagged = yield* Effect.flip(Broadcast.recvUpTo(rx, 8))
      assert.deepStrictEqual(lagged._tag === "Lagged" ? lagged.skipped : undefined, 3)
      assert.deepStrictEqual(Chunk.toArray(yield* Broadcast.recvUpTo(rx, 8)), [3, 4])
      assert.strictEqual((yield* Effect.flip(Broadcast.recvUpTo(rx, 8)))._tag, "ChannelClosed")
    }))

  it.effect("interrupted while it waits, it has consumed nothing", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 4 })
      const waiting = yield* Effect.fork(Broadcast.recvUpTo(rx, 4))
      yield* settle
      yield* Fiber.interrupt(waiting)
      yield* Broadcast.send(tx, 7)
      assert.strictEqual(yield* Broadcast.recv(rx), 7)
    }))
})

describe("Broadcast.toStream", () => {
  it.effect("emits every message and ends when the channel is closed and read", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 8 })
      yield* Effect.forEach(upTo(5), (n) => Broadcast.send(tx, n))
      yield* Broadcast.close(tx)
      assert.deepStrictEqual(
        yield* chunksOf(Broadcast.toStream(rx, { maxChunkSize: 2 })),
        [[0, 1], [2, 3], [4]].map((chunk) => chunk.map(Either.right))
      )
    }))

  it.effect("a lag is an element: Lagged with the exact count, just before the oldest retained message", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 2, lag: "dropOldest" })
      yield* Effect.forEach(upTo(5), (n) => Broadcast.send(tx, n))
      yield* Broadcast.close(tx)
      const elements = Chunk.toArray(yield* Stream.runCollect(Broadcast.toStream(rx)))
      assert.deepStrictEqual(elements, [
        Either.left(new Broadcast.Lagged({ skipped: 3 })),
        Either.right(3),
        Either.right(4)
      ])
    }))

  it.effect("interrupted while it waits, the stream has taken nothing", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Broadcast.make<number>({ capacity: 4 })
      const consumer = yield* Effect.fork(Stream.runCollect(Broadcast.toStream(rx)))
      yield* settle
      yield* Fiber.interrupt(consumer)
      yield* Broadcast.send(tx, 1)
      assert.strictEqual(yield* Broadcast.recv(rx), 1)
    }))

  it.effect.prop(
    "conservation: each message is emitted or counted in a Lagged notice, once, in order",
    {
      capacity: FastCheck.integer({ min: 1, max: 5 }),
      lag: FastCheck.constantFrom("suspend" as const, "dropOldest" as const),
      count: FastCheck.integer({ min: 0, max: 40 }),
      maxChunkSize: FastCheck.integer({ min: 1, max: 6 }),
      pause: FastCheck.nat(3)
    },
    ({ capacity, count, lag, maxChunkSize, pause }) =>
      Effect.gen(function*() {
        const [tx, rx] = yield* Broadcast.make<number>({ capacity, lag })
        const consumer = yield* Effect.fork(
          Broadcast.toStream(rx, { maxChunkSize }).pipe(
            Stream.tap(() => Effect.forEach(upTo(pause), () => Effect.yieldNow())),
            Stream.runCollect
          )
        )
        for (const n of upTo(count)) yield* Broadcast.send(tx, n)
        yield* Broadcast.close(tx)
        let expected = 0
        for (const element of yield* Fiber.join(consumer)) {
          if (Either.isLeft(element)) {
            assert.isAbove(element.left.skipped, 0)
            expected += element.left.skipped
          } else {
            assert.strictEqual(element.right, expected, "no gap without a Lagged notice")
            expected++
          }
        }
        assert.strictEqual(expected, count)
      }),
    { fastCheck: { numRuns: 200 } }
  )
})

describe("Watch.toStream", () => {
  it.effect("the current value first, then each change, conflated; it ends after the last value once closed", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Watch.make(0)
      const values: Array<number> = []
      const consumer = yield* Effect.fork(
        Stream.runForEach(Watch.toStream(rx), (n) => Effect.sync(() => values.push(n)))
      )
      yield* settle
      yield* Watch.send(tx, 1)
      yield* settle
      // Two changes before the stream pulls again: it sees the latest only.
      yield* Watch.send(tx, 2)
      yield* Watch.send(tx, 3)
      yield* Watch.close(tx)
      yield* Fiber.join(consumer)
      assert.deepStrictEqual(values, [0, 1, 3])
      assert.isFalse(yield* Watch.hasChanged(rx))
    }))

  it.effect("interrupted while it waits, the stream has marked nothing seen", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Watch.make("a")
      const consumer = yield* Effect.fork(Stream.runCollect(Watch.toStream(rx)))
      yield* settle
      yield* Fiber.interrupt(consumer)
      yield* Watch.send(tx, "b")
      assert.isTrue(yield* Watch.hasChanged(rx))
      assert.strictEqual(yield* Watch.changed(rx), "b")
    }))

  it.effect("a closed channel gives its value, then the end", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Watch.make("last")
      yield* Watch.close(tx)
      assert.deepStrictEqual(Chunk.toArray(yield* Stream.runCollect(Watch.toStream(rx))), ["last"])
    }))
})
