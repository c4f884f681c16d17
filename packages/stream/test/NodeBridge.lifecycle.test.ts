import { assert, describe, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import { Cause, Chunk, Effect, Exit, Fiber, Option, Stream } from "effect"
import { execFile } from "node:child_process"
import * as Path from "node:path"
import { Readable, Writable } from "node:stream"
import { fileURLToPath } from "node:url"
import { socketPair, turns } from "./nodeFixtures.js"

// Runs `effect` for at most `n` event-loop turns: a bridge that never ends fails the test
// instead of hanging it.
const withinTurns = <A, E>(n: number, effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (let turn = 0; turn < n && fiber.unsafePoll() === null; turn++) yield* turns(1)
    const exit = fiber.unsafePoll()
    yield* Fiber.interrupt(fiber)
    if (exit === null) return assert.fail(`still running after ${n} event-loop turns`)
    return exit
  })

const failureOf = <A>(exit: Exit.Exit<A, NodeBridge.ReadError>): NodeBridge.ReadError =>
  Exit.isSuccess(exit)
    ? assert.fail(`succeeded with ${String(exit.value)}`)
    : Option.getOrElse(
      Cause.failureOption(exit.cause),
      () => assert.fail(`no ReadError in ${Cause.pretty(exit.cause)}`)
    )

const collect = (stream: Stream.Stream<Bytes.Bytes, NodeBridge.ReadError>) =>
  Effect.map(Stream.runCollect(stream), (chunk) => Chunk.toReadonlyArray(chunk).map(Bytes.decodeUtf8).join(""))

const onceEvent = (emitter: NodeJS.EventEmitter, event: string) =>
  Effect.async<void>((resume) => void emitter.once(event, () => resume(Effect.void)))

describe("NodeBridge: sources that finished before the bridge attached", () => {
  it.live("a readable that ended and closed gives an empty stream", () =>
    Effect.gen(function*() {
      const readable = Readable.from([Buffer.from("gone")])
      readable.resume()
      yield* onceEvent(readable, "close")
      const exit = yield* withinTurns(20, collect(NodeBridge.fromReadable(() => readable)))
      assert.deepStrictEqual(exit, Exit.succeed(""))
    }))

  it.live("a readable that ended but has not emitted close yet gives an empty stream", () =>
    Effect.gen(function*() {
      const readable = Readable.from([Buffer.from("gone")])
      // Started inside the `end` listener: `close` is still a tick away.
      const fiber = yield* Effect.async<Fiber.RuntimeFiber<string, NodeBridge.ReadError>>((resume) => {
        readable.once("end", () => {
          assert.isFalse(readable.closed)
          resume(Effect.succeed(Effect.runFork(collect(NodeBridge.fromReadable(() => readable)))))
        })
        readable.resume()
      })
      const exit = yield* withinTurns(20, Fiber.join(fiber))
      assert.deepStrictEqual(exit, Exit.succeed(""))
    }))

  it.live("a readable that ended without autoDestroy (never closes) gives an empty stream", () =>
    Effect.gen(function*() {
      const readable = new Readable({ read() {}, autoDestroy: false })
      readable.push(null)
      readable.resume()
      yield* onceEvent(readable, "end")
      const exit = yield* withinTurns(20, collect(NodeBridge.fromReadable(() => readable)))
      assert.deepStrictEqual(exit, Exit.succeed(""))
    }))

  it.live("a destroyed readable fails at once with ERR_STREAM_PREMATURE_CLOSE", () =>
    Effect.gen(function*() {
      const readable = new Readable({ read() {} })
      readable.destroy()
      yield* onceEvent(readable, "close")
      const error = failureOf(yield* withinTurns(20, collect(NodeBridge.fromReadable(() => readable))))
      assert.strictEqual(error.code, "ERR_STREAM_PREMATURE_CLOSE")
    }))

  it.live("an errored readable fails at once with its error", () =>
    Effect.gen(function*() {
      const readable = new Readable({ read() {} })
      readable.on("error", () => {})
      readable.destroy(Object.assign(new Error("reset"), { code: "ECONNRESET" }))
      yield* onceEvent(readable, "close")
      const error = failureOf(yield* withinTurns(20, collect(NodeBridge.fromReadable(() => readable))))
      assert.strictEqual(error.code, "ECONNRESET")
      assert.include(error.message, "reset")
    }))

  it.live("a socket destroyed before fromSocket fails at once", () =>
    Effect.scoped(Effect.gen(function*() {
      const { client } = yield* socketPair
      client.destroy()
      yield* onceEvent(client, "close")
      const error = failureOf(yield* withinTurns(20, collect(NodeBridge.fromSocket(client))))
      assert.strictEqual(error.source, "socket")
      assert.strictEqual(error.code, "ERR_STREAM_PREMATURE_CLOSE")
    })))
})

// 64 chunks of 1 KiB; chunk i is filled with the byte i.
const numberedReadable = () =>
  Readable.from(Array.from({ length: 64 }, (_, i) => Buffer.alloc(1024, i)), { objectMode: false })

const chunkNumbers = (bytes: ReadonlyArray<Bytes.Bytes>): Array<number> =>
  bytes.flatMap((b) => {
    const view = Bytes.toUint8Array(b)
    return Array.from({ length: view.length / 1024 }, (_, k) => view[k * 1024]!)
  })

describe("NodeBridge: closeOnDone: false hands the readable back", () => {
  it.live("a consumer that stops early leaves every byte it was not given to the next reader", () =>
    Effect.gen(function*() {
      const readable = numberedReadable()
      const first = yield* NodeBridge.fromReadable(() => readable, { closeOnDone: false }).pipe(
        Stream.take(1),
        Stream.runCollect
      )
      assert.isFalse(readable.destroyed)
      assert.isTrue(readable.isPaused())
      const rest = yield* withinTurns(500, Stream.runCollect(NodeBridge.fromReadable(() => readable)))
      assert.isTrue(Exit.isSuccess(rest))
      const seen = chunkNumbers([...first, ...(Exit.isSuccess(rest) ? rest.value : [])])
      assert.deepStrictEqual(seen, Array.from({ length: 64 }, (_, i) => i))
    }))

  it.live("fromSocket takes the same options: closeOnDone: true destroys the socket at its end", () =>
    Effect.scoped(Effect.gen(function*() {
      const { accepted, client } = yield* socketPair
      accepted.end("bye")
      const text = yield* collect(NodeBridge.fromSocket(client, { closeOnDone: true }))
      assert.strictEqual(text, "bye")
      assert.isTrue(client.destroyed)
    })))
})

describe("NodeBridge: toWritable with endOnDone: false", () => {
  it.live("waits for its writes: a write that fails late fails the sink", () =>
    Effect.gen(function*() {
      const writable = new Writable({
        write(_chunk, _encoding, done) {
          setImmediate(() => done(Object.assign(new Error("disk full"), { code: "ENOSPC" })))
        }
      })
      writable.on("error", () => {}) // this test checks the sink's result; lateErrors checks the crash
      const error = yield* Stream.make(Bytes.fromString("abc")).pipe(
        Stream.run(NodeBridge.toWritable(() => writable, { endOnDone: false })),
        Effect.flip
      )
      assert.instanceOf(error, NodeBridge.WriteError)
      assert.strictEqual(error.code, "ENOSPC")
    }))

  it.live("succeeds once every write was flushed, leaving the writable open", () =>
    Effect.gen(function*() {
      let flushed = 0
      const writable = new Writable({
        write(chunk: Buffer, _encoding, done) {
          setImmediate(() => {
            flushed += chunk.length
            done()
          })
        }
      })
      yield* Stream.make(Bytes.fromString("abc"), Bytes.fromString("de")).pipe(
        Stream.run(NodeBridge.toWritable(() => writable, { endOnDone: false }))
      )
      assert.strictEqual(flushed, 5)
      assert.isFalse(writable.writableEnded)
      assert.strictEqual(writable.listenerCount("error"), 0)
    }))
})

const fixture = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "fixtures", "lateErrors.ts")

describe("NodeBridge: errors reported after the bridge let go never crash the process", () => {
  // The scenarios run in a child process: an uncaught `error` event there exits with code 1
  // without disturbing this test run.
  it.live("a destroy that fails, a write that fails late: no uncaught exception", () =>
    Effect.gen(function*() {
      const result = yield* Effect.async<{ code: number; stdout: string; stderr: string }>((resume) => {
        const child = execFile(
          process.execPath,
          ["--import", "tsx", "--conditions=source", fixture],
          { cwd: Path.dirname(fixture), timeout: 60_000 },
          (error, stdout, stderr) =>
            resume(Effect.succeed({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }))
        )
        return Effect.sync(() => void child.kill())
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.deepStrictEqual(result.stdout.trim().split("\n"), [
        "interrupted-reader: destroy error: destroy failed",
        "ended-reader: chunks: 1, destroy error: destroy failed",
        "late-write-failure: sink failed",
        "interrupted-writer-left-open: write error: late failure"
      ])
    }), { timeout: 90_000 })
})
