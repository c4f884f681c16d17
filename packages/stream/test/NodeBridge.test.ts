import { assert, describe, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import { Chunk, Deferred, Effect, Exit, Fiber, Stream } from "effect"
import { Readable, Writable } from "node:stream"
import { nextTurn, socketPair, turns } from "./nodeFixtures.js"

// A readable that produces `total` bytes in `chunk`-sized pushes, counting what Node asked for.
const countingReadable = (options: { total: number; chunk: number; highWaterMark: number }) => {
  const stats = { produced: 0, reads: 0, refused: 0 }
  const readable = new Readable({
    highWaterMark: options.highWaterMark,
    read() {
      stats.reads++
      while (stats.produced < options.total) {
        const size = Math.min(options.chunk, options.total - stats.produced)
        const buffer = Buffer.alloc(size, stats.produced / options.chunk)
        stats.produced += size
        if (!this.push(buffer)) {
          stats.refused++
          return
        }
      }
      this.push(null)
    }
  })
  return { readable, stats }
}

describe("NodeBridge.fromReadable", () => {
  it.live("wraps every Buffer as a Bytes view over the same memory", () =>
    Effect.gen(function*() {
      const buffers = [Buffer.from("hello "), Buffer.from("world")]
      const out = yield* Stream.runCollect(NodeBridge.fromReadable(() => Readable.from(buffers)))
      const bytes = Chunk.toReadonlyArray(out)
      assert.strictEqual(bytes.length, 2)
      assert.isTrue(Bytes.sharesBuffer(bytes[0]!, buffers[0]!))
      assert.isTrue(Bytes.sharesBuffer(bytes[1]!, buffers[1]!))
      assert.strictEqual(bytes.map(Bytes.decodeUtf8).join(""), "hello world")
    }))

  it.live("a consumer that stops pulling makes the readable stop asking its source", () =>
    Effect.gen(function*() {
      const total = 1024 * 1024
      const { readable, stats } = countingReadable({ total, chunk: 4096, highWaterMark: 16 * 1024 })
      const gate = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      let received = 0
      const fiber = yield* NodeBridge.fromReadable(() => readable).pipe(
        Stream.runForEach((bytes) =>
          Effect.gen(function*() {
            received += Bytes.size(bytes)
            yield* Deferred.succeed(started, undefined)
            yield* Deferred.await(gate)
          })
        ),
        Effect.fork
      )
      yield* Deferred.await(started)
      yield* turns(50)
      const producedWhilePaused = stats.produced
      const readsWhilePaused = stats.reads
      yield* turns(50)
      // Paused: the source is not asked again. What it produced is bounded by the chunk the
      // consumer holds, what waits for the consumer and Node's own buffer: a highWaterMark each
      // (plus a chunk of slack), however large the source.
      assert.strictEqual(stats.reads, readsWhilePaused)
      assert.strictEqual(stats.produced, producedWhilePaused)
      assert.isAtMost(stats.produced, 3 * 16 * 1024 + 2 * 4096)
      assert.isAbove(stats.refused, 0)
      assert.isBelow(received, total)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fiber)
      assert.strictEqual(received, total)
      assert.strictEqual(stats.produced, total)
    }))

  it.live("an error becomes a typed ReadError carrying Node's code", () =>
    Effect.gen(function*() {
      const readable = new Readable({
        read() {
          this.destroy(Object.assign(new Error("connection reset"), { code: "ECONNRESET" }))
        }
      })
      const exit = yield* Effect.exit(Stream.runDrain(NodeBridge.fromReadable(() => readable)))
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(Stream.runDrain(NodeBridge.fromReadable(() =>
        new Readable({
          read() {
            this.destroy(Object.assign(new Error("boom"), { code: "EPIPE" }))
          }
        })
      )))
      assert.instanceOf(error, NodeBridge.ReadError)
      assert.strictEqual(error._tag, "ReadError")
      assert.strictEqual(error.code, "EPIPE")
      assert.include(error.message, "boom")
    }))

  it.live("interrupting the stream destroys the readable and removes its listeners", () =>
    Effect.gen(function*() {
      const readable = new Readable({ read() {} }) // never produces anything
      const fiber = yield* Effect.fork(Stream.runDrain(NodeBridge.fromReadable(() => readable)))
      yield* turns(3)
      assert.isFalse(readable.destroyed)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(readable.destroyed)
      assert.strictEqual(readable.listenerCount("readable"), 0)
    }))
})

// A writable whose writes complete one event-loop turn later, measuring its own buffer.
const slowWritable = (highWaterMark: number) => {
  const stats = { maxBuffered: 0, written: 0 }
  const writable = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, done) {
      stats.maxBuffered = Math.max(stats.maxBuffered, this.writableLength)
      stats.written += chunk.length
      setImmediate(done)
    }
  })
  return { writable, stats }
}

describe("NodeBridge.toWritable", () => {
  it.live("waits for drain: the writable never buffers more than highWaterMark plus one element", () =>
    Effect.gen(function*() {
      const { writable, stats } = slowWritable(1024)
      // Single-element chunks: the case where waiting only between chunks would not bound anything.
      yield* Stream.range(1, 200).pipe(
        Stream.rechunk(1),
        Stream.map(() => Bytes.fromUint8Array(new Uint8Array(512))),
        Stream.run(NodeBridge.toWritable(() => writable))
      )
      assert.strictEqual(stats.written, 200 * 512)
      assert.isAtMost(stats.maxBuffered, 1024 + 512)
      assert.isTrue(writable.writableFinished)
    }))

  it.live("endOnDone: false leaves the writable open", () =>
    Effect.gen(function*() {
      const { writable, stats } = slowWritable(1024)
      yield* Stream.make(Bytes.fromString("abc")).pipe(
        Stream.run(NodeBridge.toWritable(() => writable, { endOnDone: false }))
      )
      assert.strictEqual(stats.written, 3)
      assert.isFalse(writable.writableEnded)
    }))

  it.live("a write error fails the sink with a typed WriteError", () =>
    Effect.gen(function*() {
      const writable = new Writable({
        write(_chunk, _encoding, done) {
          done(Object.assign(new Error("disk full"), { code: "ENOSPC" }))
        }
      })
      const error = yield* Stream.make(Bytes.fromString("a"), Bytes.fromString("b")).pipe(
        Stream.rechunk(1),
        Stream.run(NodeBridge.toWritable(() => writable)),
        Effect.flip
      )
      assert.instanceOf(error, NodeBridge.WriteError)
      assert.strictEqual(error.code, "ENOSPC")
    }))

  it.live("a writable destroyed before the stream ends fails the sink with WriteError", () =>
    Effect.gen(function*() {
      const { writable } = slowWritable(4)
      const error = yield* Stream.range(1, 100).pipe(
        Stream.rechunk(1),
        Stream.map(() => Bytes.fromString("0123456789")),
        Stream.tap(() => Effect.sync(() => writable.destroy())),
        Stream.run(NodeBridge.toWritable(() => writable)),
        Effect.flip
      )
      assert.instanceOf(error, NodeBridge.WriteError)
      assert.strictEqual(error.target, "writable")
    }))

  it.live("interrupting a sink that waits for drain destroys the writable", () =>
    Effect.gen(function*() {
      const stuck = new Writable({ highWaterMark: 4, write() {} }) // never completes a write
      const fiber = yield* Stream.make(Bytes.fromString("0123456789")).pipe(
        Stream.run(NodeBridge.toWritable(() => stuck)),
        Effect.fork
      )
      yield* turns(3)
      assert.isFalse(stuck.destroyed)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(stuck.destroyed)
      assert.strictEqual(stuck.listenerCount("drain"), 0)
    }))
})

describe("NodeBridge sockets", () => {
  it.live("a slow reader pushes back through TCP to the writing sink", () =>
    Effect.scoped(Effect.gen(function*() {
      const { accepted, client } = yield* socketPair
      const chunk = 64 * 1024
      const count = 1024 // 64 MiB: far more than loopback's kernel buffers hold
      let produced = 0
      const writer = yield* Stream.range(0, count - 1).pipe(
        Stream.rechunk(1),
        Stream.map((i) => {
          produced++
          return Bytes.fromUint8Array(new Uint8Array(chunk).fill(i % 251))
        }),
        Stream.run(NodeBridge.toSocket(accepted)),
        Effect.fork
      )
      const gate = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      let received = 0
      let checksum = 0
      const reader = yield* NodeBridge.fromSocket(client).pipe(
        Stream.runForEach((bytes) =>
          Effect.gen(function*() {
            const view = Bytes.toUint8Array(bytes)
            for (let i = 0; i < view.length; i++) checksum += view[i]!
            received += view.length
            yield* Deferred.succeed(started, undefined)
            yield* Deferred.await(gate)
          })
        ),
        Effect.fork
      )
      yield* Deferred.await(started)
      // Let the writer run until the kernel buffers are full and it waits for drain.
      let stable = 0
      for (let turn = 0; turn < 5000 && stable < 100; turn++) {
        const before = produced
        yield* nextTurn
        stable = produced === before ? stable + 1 : 0
      }
      assert.strictEqual(stable, 100)
      assert.isBelow(produced, count / 2)
      assert.isBelow(received, count * chunk / 2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(writer)
      yield* Fiber.join(reader)
      assert.strictEqual(produced, count)
      assert.strictEqual(received, count * chunk)
      let expected = 0
      for (let i = 0; i < count; i++) expected += (i % 251) * chunk
      assert.strictEqual(checksum, expected)
    })))

  it.live("interrupting the reading stream destroys the socket", () =>
    Effect.scoped(Effect.gen(function*() {
      const { client } = yield* socketPair
      const fiber = yield* Effect.fork(Stream.runDrain(NodeBridge.fromSocket(client)))
      yield* turns(3)
      assert.isFalse(client.destroyed)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(client.destroyed)
    })))

  it.live("the peer's half-close ends the stream but leaves the socket writable", () =>
    Effect.scoped(Effect.gen(function*() {
      const { accepted, client } = yield* socketPair
      client.allowHalfOpen = true
      yield* Stream.make(Bytes.fromString("ping")).pipe(Stream.run(NodeBridge.toSocket(accepted)))
      const got = yield* Stream.runCollect(NodeBridge.fromSocket(client))
      assert.strictEqual(Chunk.toReadonlyArray(got).map(Bytes.decodeUtf8).join(""), "ping")
      assert.isFalse(client.destroyed)
      assert.isTrue(client.writable)
    })))
})
