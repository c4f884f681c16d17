/** Test helpers: a real gateway on ephemeral ports, real TCP clients, bounded polling. */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Bytes } from "@weft/bytes"
import { Clock, Context, Data, Effect, Exit, Layer, Scope } from "effect"
import * as FileSystem from "node:fs/promises"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Feed from "../src/dashboard/Feed.js"
import * as Frame from "../src/Frame.js"
import * as Gateway from "../src/Gateway.js"
import * as Http from "../src/Http.js"
import * as SinkFile from "../src/SinkFile.js"

export class Timeout extends Data.TaggedError("Timeout")<{ readonly what: string; readonly waitedMs: number }> {
  override get message() {
    return `timed out after ${this.waitedMs} ms waiting for: ${this.what}`
  }
}

/**
 * Polls `check` (every 10 ms, on the live clock) until it holds; fails with `Timeout` after
 * `timeoutMs`. Synchronisation is always on an observable condition, never a fixed sleep.
 */
export const waitUntil = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, timeoutMs = 20_000) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    while (!(yield* check)) {
      const now = yield* Clock.currentTimeMillis
      if (now - start > timeoutMs) return yield* new Timeout({ what, waitedMs: now - start })
      yield* Effect.sleep("10 millis")
    }
  })

export interface Running {
  readonly gateway: Context.Tag.Service<Gateway.Gateway>
  /** What the dashboard page is fed. */
  readonly feed: Context.Tag.Service<Feed.Feed>
  readonly url: string
  readonly config: Gateway.Config
  /** Graceful shutdown (idempotent). */
  readonly shutdown: Effect.Effect<void>
}

/** A temp dir removed when the test's scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => FileSystem.mkdtemp(Path.join(Os.tmpdir(), "weft-demo-test-"))),
  (dir) => Effect.promise(() => FileSystem.rm(dir, { recursive: true, force: true }))
)

/** Starts the whole service (TCP + HTTP) on ephemeral ports in its own scope. */
export const start = (overrides: Partial<Gateway.Config> = {}) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const config: Gateway.Config = {
      ...Gateway.defaults(Path.join(dir, "sink.log")),
      tcpPort: 0,
      httpPort: 0,
      chaosEvery: 0,
      ...overrides
    }
    const scope = yield* Scope.make()
    const shutdown = Scope.close(scope, Exit.void)
    yield* Effect.addFinalizer(() => shutdown)
    const context = yield* Layer.buildWithScope(Http.layer(config), scope)
    const url = yield* Effect.provide(Http.baseUrl, context)
    const running: Running = {
      gateway: Context.get(context, Gateway.Gateway),
      feed: Context.get(context, Feed.Feed),
      url,
      config,
      shutdown
    }
    return running
  })

/** A connected TCP client. */
export const connect = (port: number) =>
  Effect.acquireRelease(
    Effect.async<Net.Socket, Error>((resume) => {
      const socket = Net.connect({ host: "127.0.0.1", port })
      socket.once("error", (error) => resume(Effect.fail(error)))
      socket.once("connect", () => resume(Effect.succeed(socket)))
    }),
    (socket) => Effect.sync(() => socket.destroy())
  ).pipe(Effect.tap((socket) => Effect.sync(() => socket.on("error", () => {}))))

/** Writes bytes and waits until the kernel has taken them. */
export const write = (socket: Net.Socket, bytes: Uint8Array) =>
  Effect.async<void, Error>((resume) => {
    socket.write(bytes, (error) => resume(error ? Effect.fail(error) : Effect.void))
  })

/** Half-closes the client and waits until the gateway has closed the connection. */
export const endAndAwaitClose = (socket: Net.Socket) =>
  Effect.async<void>((resume) => {
    if (socket.closed) return resume(Effect.void)
    socket.once("close", () => resume(Effect.void))
    socket.end()
  })

/** Waits until the gateway closes the connection (without closing it from this side). */
export const awaitClose = (socket: Net.Socket) =>
  Effect.async<void>((resume) => {
    if (socket.closed) return resume(Effect.void)
    socket.once("close", () => resume(Effect.void))
  })

/** Sends frames over one fresh connection and waits until the gateway has ingested them all. */
export const sendFrames = (port: number, frames: ReadonlyArray<readonly [topic: string, payload: string]>) =>
  Effect.scoped(Effect.gen(function*() {
    const socket = yield* connect(port)
    const all = Bytes.toUint8Array(
      Bytes.concatAll(frames.map(([topic, payload]) => Bytes.fromUint8Array(Frame.encode(topic, payload))))
    )
    yield* write(socket, all)
    yield* endAndAwaitClose(socket)
  }))

/**
 * Writes `frames` in writes of `size` frames, each one only once the gateway has ingested the
 * previous ones (`ingested()` counts them), so each write reaches the plugins as one batch.
 */
export const sendInBatches = (
  socket: Net.Socket,
  frames: ReadonlyArray<readonly [topic: string, payload: string]>,
  size: number,
  ingested: () => number
) =>
  Effect.gen(function*() {
    const before = ingested()
    for (let from = 0; from < frames.length; from += size) {
      const batch = frames.slice(from, from + size)
      yield* write(socket, Buffer.concat(batch.map(([topic, payload]) => Frame.encode(topic, payload))))
      const expected = before + from + batch.length
      yield* waitUntil(`${expected} frames ingested`, Effect.sync(() => ingested() >= expected))
    }
  })

/** Reads a sink file back as `[topic, payload]` pairs (a damaged record fails the test). */
export const readSink = (path: string) =>
  Effect.map(
    Effect.orDie(Effect.provide(SinkFile.readAll(path), NodeFileSystem.layer)),
    (bodies) =>
      bodies.map((body) => {
        const text = Buffer.from(body).toString("utf8")
        const separator = text.indexOf("\0")
        return [text.slice(0, separator), text.slice(separator + 1)] as const
      })
  )

/** A real HTTP GET (Node's fetch). */
export const get = (url: string) => request("GET", url)

/** A real HTTP request (Node's fetch). */
export const request = (method: string, url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url, { method })
    const text = await response.text()
    return { status: response.status, contentType: response.headers.get("content-type") ?? "", text }
  })
