import { FetchHttpClient } from "@effect/platform"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { Chunk, Deferred, Effect, Exit, Fiber, Option, Stream } from "effect"
import * as Frame from "../src/Frame.js"
import type * as Gateway from "../src/Gateway.js"
import * as Rpc from "../src/Rpc.js"
import { connect, endAndAwaitClose, get, sendFrames, start, waitUntil, write } from "./helpers.js"

const utf8 = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** Sends frames with arbitrary binary payloads over one connection, until all are ingested. */
const sendBinary = (port: number, frames: ReadonlyArray<readonly [topic: string, payload: Uint8Array]>) =>
  Effect.scoped(Effect.gen(function*() {
    const socket = yield* connect(port)
    yield* write(
      socket,
      Bytes.toUint8Array(Bytes.concatAll(frames.map(([t, p]) => Bytes.fromUint8Array(Frame.encode(t, p)))))
    )
    yield* endAndAwaitClose(socket)
  }))

/**
 * A raw NDJSON call with Node's fetch: posts `requests` (one JSON per line), then reads whole
 * lines until `enough` holds for the messages parsed so far (or the response ends), and aborts.
 */
const rawCall = (url: string, requests: ReadonlyArray<object>, enough: (messages: Array<any>) => boolean) => {
  const controller = new AbortController()
  // Started at once: the server answers (headers included) only when it has a first message.
  const response = fetch(`${url}/rpc`, {
    method: "POST",
    headers: { "content-type": "application/ndjson" },
    body: requests.map((request) => JSON.stringify(request) + "\n").join(""),
    signal: controller.signal
  })
  return Effect.promise(async () => {
    const { body, headers, status } = await response
    const reader = body!.getReader()
    const decoder = new TextDecoder()
    let text = ""
    const messages: Array<any> = []
    while (!enough(messages)) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
      const complete = text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter((line) => line.length > 0)
      messages.splice(0, messages.length, ...complete.map((line) => JSON.parse(line)))
    }
    controller.abort()
    return { status, contentType: headers.get("content-type"), body: text, messages }
  })
}

/** Every key path of a JSON-like value, sorted: `a`, `a.b`, … */
const keyPaths = (value: unknown, prefix = ""): Array<string> =>
  typeof value !== "object" || value === null || Array.isArray(value)
    ? []
    : Object.entries(value).flatMap(([key, inner]) => [`${prefix}${key}`, ...keyPaths(inner, `${prefix}${key}.`)])
      .sort()

const watchRequest = (id: string, topic: string) => ({
  _tag: "Request",
  id,
  tag: "WatchTopic",
  payload: { topic },
  headers: []
})

describe("RPC", () => {
  it.scopedLive("WatchTopic streams exactly its topic's frames, in order, as owned typed copies", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats"] })
      const client = yield* Rpc.makeClient(url)
      const watching = yield* client.WatchTopic({ topic: "a" }).pipe(
        Stream.take(5),
        Stream.runCollect,
        Effect.forkScoped
      )
      yield* waitUntil("one watcher", Effect.sync(() => gateway.watchStats().watchers === 1))
      const before = Date.now()
      const binary = new Uint8Array([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff])
      yield* sendBinary(gateway.tcpAddress.port, [
        ["a", new TextEncoder().encode("1")],
        ["b", new TextEncoder().encode("not a")],
        ["a", binary],
        ["ab", new TextEncoder().encode("prefix, not a")],
        ["a", new TextEncoder().encode("3")],
        ["A", new TextEncoder().encode("case differs")],
        ["a", new Uint8Array(0)],
        ["a", new TextEncoder().encode("5")],
        ["b", new TextEncoder().encode("after")]
      ])
      const frames = Chunk.toReadonlyArray(yield* Fiber.join(watching))
      expect(frames.map((f) => f.topic)).toEqual(["a", "a", "a", "a", "a"])
      expect(frames.map((f) => f.seq)).toEqual([1, 3, 5, 7, 8])
      expect(utf8(frames[0]!.payload)).toBe("1")
      expect(Array.from(frames[1]!.payload)).toEqual(Array.from(binary))
      expect(frames[3]!.payload.length).toBe(0)
      expect(utf8(frames[4]!.payload)).toBe("5")
      expect(frames.every((f) => f.skipped === 0)).toBe(true)
      expect(frames.every((f) => f.at >= before - 1000 && f.at <= Date.now())).toBe(true)
      expectTypeOf(frames[0]!.payload).toEqualTypeOf<Uint8Array>()
      // The stream ended (take 5): the watcher is gone and the topic costs ingest nothing again.
      yield* waitUntil("no watcher", Effect.sync(() => gateway.watchStats().watchers === 0))
      expect(gateway.watchStats()).toMatchObject({ topics: 0, published: 5, delivered: 5, skipped: 0 })
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scopedLive("the wire format is NDJSON: one JSON message per line, payloads in base64", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats"] })
      const watching = rawCall(
        url,
        [watchRequest("7", "raw")],
        (messages) => messages.flatMap((message) => message.values ?? []).length >= 2
      )
      yield* waitUntil("one watcher", Effect.sync(() => gateway.watchStats().watchers === 1))
      yield* sendFrames(gateway.tcpAddress.port, [["raw", "héllo"], ["other", "x"], ["raw", "wörld"]])
      const { body, contentType, messages, status } = yield* watching
      expect(status).toBe(200)
      expect(contentType).toBe("application/ndjson")
      expect(body.endsWith("\n")).toBe(true)
      const values = messages.flatMap((message) => {
        expect(message).toMatchObject({ _tag: "Chunk", requestId: "7" })
        return message.values
      })
      expect(values).toEqual([
        { topic: "raw", payload: Buffer.from("héllo").toString("base64"), seq: 1, at: expect.any(Number), skipped: 0 },
        { topic: "raw", payload: Buffer.from("wörld").toString("base64"), seq: 3, at: expect.any(Number), skipped: 0 }
      ])
      // Aborting the fetch is a disconnect: the server interrupts the call and unsubscribes.
      yield* waitUntil("the raw watcher was released", Effect.sync(() => gateway.watchStats().watchers === 0))
      expect(gateway.watchStats().topics).toBe(0)

      const stats = yield* rawCall(
        url,
        [{ _tag: "Request", id: "8", tag: "Stats", payload: null, headers: [] }],
        (messages) => messages.length > 0
      )
      expect(stats.body.split("\n")).toHaveLength(2) // one line, newline-terminated
      const exit = stats.messages[0]
      expect(exit).toMatchObject({ _tag: "Exit", requestId: "8", exit: { _tag: "Success" } })
      expect(exit.exit.value).toMatchObject({ framesIn: 3, watch: { watchers: 0, published: 2 } })

      // Only POST is RPC: another method is the rest of the API's JSON 405.
      const getRpc = yield* get(`${url}/rpc`)
      expect(getRpc.status).toBe(405)
      expect(JSON.parse(getRpc.text)).toMatchObject({ error: "MethodNotAllowed", allowed: ["POST"] })

      const failed = yield* rawCall(url, [watchRequest("9", "")], (messages) => messages.length > 0)
      expect(failed.messages[0]).toMatchObject({
        _tag: "Exit",
        requestId: "9",
        exit: { _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "InvalidTopic", topic: "", reason: "empty" } } }
      })
    }))

  it.scopedLive("watchers that go away are cleaned up; the last one closes the topic's feed", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats"] })
      const port = gateway.tcpAddress.port
      const client = yield* Rpc.makeClient(url)
      const first = yield* client.WatchTopic({ topic: "t" }).pipe(Stream.runCollect, Effect.forkScoped)
      const second = yield* client.WatchTopic({ topic: "t" }).pipe(Stream.runCollect, Effect.forkScoped)
      yield* waitUntil("two watchers", Effect.sync(() => gateway.watchStats().watchers === 2))
      expect(gateway.watchStats().topics).toBe(1) // one feed, shared
      yield* sendFrames(port, [["t", "1"], ["t", "2"]])
      yield* waitUntil("both got both", Effect.sync(() => gateway.watchStats().delivered === 4))

      yield* Fiber.interrupt(first)
      yield* waitUntil("one watcher left", Effect.sync(() => gateway.watchStats().watchers === 1))
      expect(gateway.watchStats().topics).toBe(1)
      yield* Fiber.interrupt(second)
      yield* waitUntil("no watcher left", Effect.sync(() => gateway.watchStats().watchers === 0))
      expect(gateway.watchStats()).toMatchObject({ topics: 0, published: 2, delivered: 4, skipped: 0 })

      // No feed: frames of that topic are no longer copied.
      yield* sendFrames(port, [["t", "3"], ["t", "4"]])
      expect(gateway.counters.framesIn).toBe(4)
      expect(gateway.watchStats().published).toBe(2)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scopedLive("Stats returns the typed snapshot, every field of /stats, and the watch feeds", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats", "topics"] })
      const client = yield* Rpc.makeClient(url)
      yield* sendFrames(gateway.tcpAddress.port, [["a", "1"], ["a", "22"], ["b", "333"]])
      yield* waitUntil("topics processed 3", Effect.map(gateway.snapshot(), (s) => s.plugins.topics?.processed === 3))
      const stats = yield* client.Stats()
      expectTypeOf(stats.framesIn).toEqualTypeOf<number>()
      expectTypeOf(stats.watch).toEqualTypeOf<Gateway.WatchStats>()
      // The schema and Gateway.Snapshot have the same shape (up to readonly), field by field.
      expectTypeOf<typeof Rpc.Snapshot.Type>().toMatchTypeOf<Gateway.Snapshot>()
      expectTypeOf<Gateway.Snapshot>().toMatchTypeOf<typeof Rpc.Snapshot.Type>()
      expect(stats.framesIn).toBe(3)
      expect(stats.topicStats).toEqual({ a: { frames: 2, bytes: 3 }, b: { frames: 1, bytes: 3 } })
      expect(stats.topTopics).toEqual([{ topic: "a", score: 2 }, { topic: "b", score: 1 }])
      expect(stats.plugins.stats).toEqual({ mailbox: 0, processed: 3 })
      expect(stats.watch).toEqual({ watchers: 0, topics: 0, published: 0, delivered: 0, skipped: 0 })
      // The schema drops nothing the HTTP snapshot has, at any depth.
      const json = JSON.parse((yield* get(`${url}/stats`)).text)
      const { watch: _, ...snapshot } = stats
      expect(keyPaths(snapshot)).toEqual(keyPaths(json))
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scopedLive("AddPlugin / RemovePlugin succeed, and fail with typed errors", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats", "chaos"] })
      const client = yield* Rpc.makeClient(url)

      expect(yield* client.RemovePlugin({ name: "chaos" })).toEqual({ plugins: ["stats"] })
      expect(gateway.plugins()).toEqual(["stats"])
      const notRunning = yield* Effect.flip(client.RemovePlugin({ name: "chaos" }))
      expect(notRunning).toBeInstanceOf(Rpc.PluginNotRunning)
      expect(notRunning).toMatchObject({ _tag: "PluginNotRunning", plugin: "chaos" })
      expect(notRunning.message).toBe("plugin chaos is not running")

      expect(yield* client.AddPlugin({ name: "chaos" })).toEqual({ plugins: ["stats", "chaos"] })
      const running = yield* Effect.flip(client.AddPlugin({ name: "stats" }))
      expect(running).toBeInstanceOf(Rpc.PluginAlreadyRunning)
      expect(running).toMatchObject({ _tag: "PluginAlreadyRunning", plugin: "stats" })

      const unknownAdd = yield* Effect.flip(client.AddPlugin({ name: "nope" }))
      expect(unknownAdd).toBeInstanceOf(Rpc.UnknownPlugin)
      expect(unknownAdd).toMatchObject({
        plugin: "nope",
        known: ["stats", "topics", "checksum", "sink", "chaos", "slow", "compress"]
      })
      const unknownRemove = yield* Effect.flip(client.RemovePlugin({ name: "" }))
      expect(unknownRemove).toMatchObject({ _tag: "UnknownPlugin", plugin: "" })
      expect(gateway.plugins()).toEqual(["stats", "chaos"])

      const invalid = yield* Effect.flip(Stream.runDrain(client.WatchTopic({ topic: "a\0b" })))
      expect(invalid).toBeInstanceOf(Rpc.InvalidTopic)
      expect(invalid).toMatchObject({ reason: "contains \\0" })
      expect(gateway.watchStats().watchers).toBe(0)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scopedLive("a stalled watcher never slows ingest: it loses the oldest frames and is told how many", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats"] })
      const client = yield* Rpc.makeClient(url)
      const total = 6000
      const payload = "p".repeat(4096)
      // Counts frames and reported losses until the last frame; checks the order on the way.
      const follow = (frames: Stream.Stream<typeof Rpc.WatchedFrame.Type, unknown>) =>
        frames.pipe(
          Stream.takeUntil((frame) => frame.seq === total),
          Stream.runFold({ received: 0, skipped: 0, lastSeq: 0, ordered: true }, (acc, frame) => ({
            received: acc.received + 1,
            skipped: acc.skipped + frame.skipped,
            lastSeq: frame.seq,
            ordered: acc.ordered && frame.seq > acc.lastSeq + (frame.skipped > 0 ? frame.skipped - 1 : 0)
          }))
        )
      const gate = yield* Deferred.make<void>()
      // Stalls on its first frame until the gate opens: its HTTP response stops being read.
      const stalled = yield* follow(client.WatchTopic({ topic: "t" }).pipe(Stream.tap(() => Deferred.await(gate))))
        .pipe(Effect.forkScoped)
      const reader = yield* follow(client.WatchTopic({ topic: "t" })).pipe(Effect.forkScoped)
      yield* waitUntil("two watchers", Effect.sync(() => gateway.watchStats().watchers === 2))

      // Every frame is ingested (the gateway closes the connection only after that) while the
      // stalled watcher has not read past its first frame.
      yield* sendFrames(gateway.tcpAddress.port, Array.from({ length: total }, () => ["t", payload] as const))
      expect(gateway.counters.framesIn).toBe(total)

      yield* Deferred.succeed(gate, undefined)
      const slow = yield* Fiber.join(stalled)
      const other = yield* Fiber.join(reader)
      for (const watcher of [slow, other]) {
        expect(watcher.lastSeq).toBe(total)
        expect(watcher.ordered).toBe(true)
        // Exact accounting: every frame was either received or reported lost.
        expect(watcher.received + watcher.skipped).toBe(total)
      }
      expect(slow.skipped).toBeGreaterThan(total / 2)
      const stats = gateway.watchStats()
      expect(stats.published).toBe(total)
      expect(stats.skipped).toBe(slow.skipped + other.skipped)
      expect(stats.delivered).toBe(slow.received + other.received)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scopedLive("a connected watcher does not hold up shutdown: its call ends interrupted", () =>
    Effect.gen(function*() {
      const { gateway, shutdown, url } = yield* start({ plugins: ["stats"] })
      const client = yield* Rpc.makeClient(url)
      const watching = yield* client.WatchTopic({ topic: "t" }).pipe(Stream.runCount, Effect.exit, Effect.forkScoped)
      yield* waitUntil("one watcher", Effect.sync(() => gateway.watchStats().watchers === 1))
      const stopping = yield* Effect.forkScoped(shutdown)
      yield* waitUntil("the gateway shut down", Effect.map(Fiber.poll(stopping), Option.isSome), 5_000)
      const exit = yield* Fiber.join(watching)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(gateway.watchStats()).toMatchObject({ watchers: 0, topics: 0 })
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scopedLive("in process, watchTopic hands out owned copies and ends when the gateway shuts down", () =>
    Effect.gen(function*() {
      const { gateway, shutdown } = yield* start({ plugins: ["stats"] })
      const watching = yield* gateway.watchTopic("o").pipe(Stream.runCollect, Effect.forkScoped)
      yield* waitUntil("one watcher", Effect.sync(() => gateway.watchStats().watchers === 1))
      yield* sendFrames(gateway.tcpAddress.port, [["o", "small"], ["o", "x".repeat(4000)]])
      yield* waitUntil("two delivered", Effect.sync(() => gateway.watchStats().delivered === 2))
      yield* shutdown
      const frames = Chunk.toReadonlyArray(yield* Fiber.join(watching))
      expect(frames.map((f) => f.payload.length)).toEqual([5, 4000])
      for (const { payload } of frames) {
        // Its own exact-size buffer: not a view into the arena or a 64 KiB socket chunk.
        expect(payload.byteOffset).toBe(0)
        expect(payload.buffer.byteLength).toBe(payload.length)
      }
    }))
})
