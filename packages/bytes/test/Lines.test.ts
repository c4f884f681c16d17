import { assert, describe, it } from "@effect/vitest"
import { Bytes, Lines } from "@weft/bytes"
import { Chunk, Deferred, Effect, Exit, FastCheck as fc, Fiber, Queue, Ref, Stream } from "effect"

const encoder = new TextEncoder()
const decodeLines = (chunks: ReadonlyArray<string | Uint8Array>, options?: Lines.Options) =>
  Stream.fromIterable(chunks.map((c) => typeof c === "string" ? encoder.encode(c) : c)).pipe(
    Lines.decode(options),
    Stream.map(Bytes.decodeUtf8),
    Stream.runCollect,
    Effect.map(Chunk.toArray)
  )

describe("Lines", () => {
  it.effect("splits on \\n, strips \\r\\n, and emits a last line without terminator", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* decodeLines(["a\nb\r\n\nlast"]), ["a", "b", "", "last"])
      assert.deepStrictEqual(yield* decodeLines(["x\n"]), ["x"])
      assert.deepStrictEqual(yield* decodeLines([]), [])
    }))

  it.effect("a line inside one chunk is a view of it; a line across chunks is joined", () =>
    Effect.gen(function*() {
      const chunk = encoder.encode("one\ntw")
      const lines = yield* Stream.make(chunk, encoder.encode("o\r"), encoder.encode("\n")).pipe(
        Lines.decode(),
        Stream.runCollect
      )
      assert.deepStrictEqual(Chunk.toArray(Chunk.map(lines, Bytes.decodeUtf8)), ["one", "two"])
      assert.isTrue(Bytes.sharesBuffer(Chunk.unsafeGet(lines, 0), chunk))
    }))

  it.effect.prop("any re-chunking gives the same lines", [
    fc.array(fc.stringMatching(/^[a-z\r]{0,12}$/), { maxLength: 12 }),
    fc.array(fc.nat(), { maxLength: 10 })
  ], ([lines, points]) =>
    Effect.gen(function*() {
      const wire = encoder.encode(lines.map((l) => `${l}\n`).join(""))
      const cuts = [...new Set(points.map((p) => p % (wire.length + 1)))].sort((a, b) => a - b)
      const chunks = [0, ...cuts].map((start, i) => wire.slice(start, [...cuts, wire.length][i]))
      const expected = lines.map((l) => l.endsWith("\r") ? l.slice(0, -1) : l)
      assert.deepStrictEqual(yield* decodeLines(chunks), expected)
    }))

  it.effect("a line longer than maxLength fails with LineTooLong", () =>
    Effect.gen(function*() {
      const error = yield* decodeLines(["ok\n12345\n"], { maxLength: 4 }).pipe(Effect.flip)
      assert.deepStrictEqual(error, new Lines.LineTooLong({ length: 5, max: 4 }))
      assert.deepStrictEqual(yield* decodeLines(["1234\r\n"], { maxLength: 4 }), ["1234"])
    }))

  it.effect("a line that never ends fails as soon as it passes the limit, without reading on", () =>
    Effect.gen(function*() {
      const pulled = yield* Ref.make(0)
      const error = yield* Stream.repeatValue(encoder.encode("aaaaaaaaaa")).pipe(
        Stream.tap(() => Ref.update(pulled, (n) => n + 1)),
        Lines.decode({ maxLength: 25 }),
        Stream.runDrain,
        Effect.flip
      )
      assert.strictEqual(error._tag, "LineTooLong")
      assert.strictEqual(yield* Ref.get(pulled), 3)
    }))

  it.effect("an invalid maxLength fails with InvalidOptions", () =>
    Effect.gen(function*() {
      const error = yield* decodeLines(["a\n"], { maxLength: -1 }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidOptions")
      assert.include(error.message, "maxLength")
    }))

  it.effect("interrupting mid-line emits only complete lines", () =>
    Effect.gen(function*() {
      const queue = yield* Queue.unbounded<Uint8Array>()
      const received: Array<string> = []
      const gotFirst = yield* Deferred.make<void>()
      const fiber = yield* Stream.fromQueue(queue).pipe(
        Lines.decode(),
        Stream.runForEach((line) =>
          Effect.sync(() => received.push(Bytes.decodeUtf8(line))).pipe(
            Effect.zipRight(Deferred.succeed(gotFirst, void 0))
          )
        ),
        Effect.fork
      )
      yield* Queue.offer(queue, encoder.encode("complete\nhalf a li"))
      yield* Deferred.await(gotFirst)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.deepStrictEqual(received, ["complete"])
    }))
})
