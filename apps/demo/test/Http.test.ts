import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Layer, Stream } from "effect"
import * as Feed from "../src/dashboard/Feed.js"
import * as Gateway from "../src/Gateway.js"
import * as Http from "../src/Http.js"
import * as Rpc from "../src/Rpc.js"
import * as Telemetry from "../src/Telemetry.js"
import { get, request, sendFrames, start, waitUntil } from "./helpers.js"

/** Reads `count` SSE events from a real HTTP response, then cancels it. */
const readEvents = (url: string, count: number) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    const events: Array<{ id: string; event: string; data: any }> = []
    let buffer = ""
    while (events.length < count) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      let end: number
      while ((end = buffer.indexOf("\n\n")) !== -1 && events.length < count) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const fields = new Map(
          block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)])
        )
        events.push({
          id: fields.get("id") ?? "",
          event: fields.get("event") ?? "message",
          data: JSON.parse(fields.get("data") ?? "null")
        })
      }
    }
    await reader.cancel()
    return { status: response.status, contentType: response.headers.get("content-type"), events }
  })

describe("HTTP API", () => {
  it.scopedLive("GET /health reports liveness and the TCP address", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start()
      const response = yield* get(`${url}/health`)
      expect(response.status).toBe(200)
      expect(JSON.parse(response.text)).toMatchObject({
        status: "ok",
        ready: true,
        tcp: { host: "127.0.0.1", port: gateway.tcpAddress.port }
      })
    }))

  it.scopedLive("GET /metrics serves Prometheus text with gateway, arena and actor metrics", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats"] })
      yield* sendFrames(gateway.tcpAddress.port, [["t", "x"], ["t", "y"]])
      yield* waitUntil("2 frames in", Effect.sync(() => gateway.counters.framesIn === 2))
      const response = yield* get(`${url}/metrics`)
      expect(response.status).toBe(200)
      expect(response.contentType).toContain("text/plain")
      expect(response.text).toContain("# TYPE weft_demo_frames_in_total counter\n")
      expect(response.text).toMatch(/^weft_demo_frames_in_total \d+$/m)
      expect(response.text).toMatch(/^weft_arena_capacity\{arena="ingest"\} 8192$/m)
      expect(response.text).toMatch(/^weft_actor_processed_total\{actor="plugin-stats"\} \d+$/m)
      const rss = /^process_resident_memory_bytes (\d+)$/m.exec(response.text)
      expect(Number(rss?.[1])).toBeGreaterThan(1 << 20)
      expect(response.text).not.toContain("undefined")
    }))

  it.scopedLive("GET /stats returns an owned JSON snapshot with the top-N topics", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats", "topics"] })
      yield* sendFrames(gateway.tcpAddress.port, [["a", "1"], ["a", "2"], ["a", "3"], ["b", "4"], ["b", "5"], [
        "c",
        "6"
      ]])
      yield* waitUntil(
        "topics processed 6",
        Effect.map(gateway.snapshot(), (s) => s.plugins.topics?.processed === 6)
      )
      const response = yield* get(`${url}/stats?top=2`)
      expect(response.status).toBe(200)
      const body = JSON.parse(response.text)
      expect(body.framesIn).toBe(6)
      expect(body.topTopics).toEqual([{ topic: "a", score: 3 }, { topic: "b", score: 2 }])
      expect(body.memory.rssBytes).toBeGreaterThan(body.memory.heapUsedBytes)
      expect(body.memory.heapUsedBytes).toBeGreaterThan(1 << 20)
    }))

  it.scopedLive("GET /events streams SSE snapshots; a closed client frees its subscription", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats"] })
      yield* sendFrames(gateway.tcpAddress.port, [["t", "x"]])
      const { contentType, events, status } = yield* readEvents(`${url}/events?interval=50`, 3)
      expect(status).toBe(200)
      expect(contentType).toContain("text/event-stream")
      expect(events.map((e) => e.event)).toEqual(["snapshot", "snapshot", "snapshot"])
      expect(events.map((e) => Number(e.id))).toEqual([1, 2, 3])
      for (const { data } of events) {
        expect(data.framesIn).toBe(1)
        expect(data.arena.capacity).toBe(8192)
        expect(typeof data.framesPerSecond).toBe("number")
        expect(typeof data.skipped).toBe("number")
        expect(data.plugins.stats).toBeDefined()
      }
      yield* waitUntil("the subscription was released", Effect.sync(() => gateway.sseClients === 0))
    }))

  it.scopedLive("more /events subscribers than maxSseClients get a 503 JSON error", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats"], maxSseClients: 1 })
      const controller = new AbortController()
      yield* Effect.addFinalizer(() => Effect.sync(() => controller.abort()))
      const first = yield* Effect.promise(() => fetch(`${url}/events?interval=1000`, { signal: controller.signal }))
      expect(first.status).toBe(200)
      yield* waitUntil("one subscriber", Effect.sync(() => gateway.sseClients === 1))
      const second = yield* get(`${url}/events`)
      expect(second.status).toBe(503)
      expect(JSON.parse(second.text)).toMatchObject({ error: "TooManySubscribers", max: 1 })
    }))

  it.scopedLive("N + k simultaneous /events connects: exactly N are admitted, the others get a 503", () =>
    Effect.gen(function*() {
      const max = 3
      const { gateway, url } = yield* start({ plugins: ["stats"], maxSseClients: max })
      const controller = new AbortController()
      yield* Effect.addFinalizer(() => Effect.sync(() => controller.abort()))
      const responses = yield* Effect.promise(() =>
        Promise.all(
          Array.from({ length: max + 5 }, () => fetch(`${url}/events?interval=60000`, { signal: controller.signal }))
        )
      )
      const statuses = responses.map((response) => response.status).sort()
      expect(statuses).toEqual([200, 200, 200, 503, 503, 503, 503, 503])
      expect(gateway.sseClients).toBe(max)
      controller.abort()
      yield* waitUntil("every slot was released", Effect.sync(() => gateway.sseClients === 0))
    }))

  it.scopedLive("/events admission is atomic when the connecting fibers interleave", () =>
    Effect.gen(function*() {
      const max = 2
      const { gateway } = yield* start({ plugins: ["stats"], maxSseClients: max })
      const endpoint = yield* Layer.build(Layer.mergeAll(Rpc.layerHttp, Feed.layer, Telemetry.layer)).pipe(
        Effect.provideService(Gateway.Gateway, gateway)
      )
      const connect = Http.app.pipe(
        Effect.provideService(
          HttpServerRequest.HttpServerRequest,
          HttpServerRequest.fromWeb(new Request("http://gateway/events?interval=60000"))
        ),
        Effect.provide(endpoint),
        Effect.provideService(Gateway.Gateway, gateway)
      )
      // A turn of 64 ops: the connects interleave (with 2048, the default, each one runs to its end).
      const responses = yield* Effect.all(Array.from({ length: max + 4 }, () => connect), {
        concurrency: "unbounded"
      }).pipe(Effect.withMaxOpsBeforeYield(64))
      expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 503, 503, 503, 503])
      expect(gateway.sseClients).toBe(max)
      // Reading one event and stopping ends a response's stream, which releases its slot.
      for (const response of responses) {
        if (response.body._tag === "Stream") yield* Stream.runDrain(Stream.take(response.body.stream, 1))
      }
      expect(gateway.sseClients).toBe(0)
    }))

  it.scopedLive("bad parameters are a 400 with a JSON error; unknown routes a 404", () =>
    Effect.gen(function*() {
      const { url } = yield* start({ plugins: ["stats"] })
      for (const path of ["/events?interval=abc", "/events?interval=10", "/stats?top=0", "/stats?top=1.5"]) {
        const response = yield* get(`${url}${path}`)
        expect(response.status, path).toBe(400)
        expect(response.contentType).toContain("application/json")
        const body = JSON.parse(response.text)
        expect(body.error).toBe("InvalidParameter")
        expect(body.expected).toMatch(/^an integer from \d+ to \d+$/)
        expect(response.text).not.toMatch(/at .*\.ts/) // no stack trace
      }
      const missing = yield* get(`${url}/nope`)
      expect(missing.status).toBe(404)
      expect(JSON.parse(missing.text)).toMatchObject({ error: "NotFound" })
    }))

  it.scopedLive("a wrong method on any route is a 405 with Allow; an unknown path stays a 404", () =>
    Effect.gen(function*() {
      const { url } = yield* start({ plugins: ["stats"] })
      const cases: Array<readonly [method: string, path: string, allow: string]> = [
        ["POST", "/health", "GET"],
        ["DELETE", "/metrics", "GET"],
        ["PUT", "/stats?top=3", "GET"],
        ["POST", "/events", "GET"],
        ["POST", "/plugins", "GET"],
        ["GET", "/plugins/stats", "DELETE, POST"],
        ["PATCH", "/plugins/nope", "DELETE, POST"],
        ["GET", "/rpc", "POST"],
        ["DELETE", "/", "GET"]
      ]
      for (const [method, path, allow] of cases) {
        const response = yield* Effect.promise(() => fetch(`${url}${path}`, { method }))
        expect(response.status, `${method} ${path}`).toBe(405)
        expect(response.headers.get("allow"), `${method} ${path}`).toBe(allow)
        expect(yield* Effect.promise(() => response.json())).toMatchObject({
          error: "MethodNotAllowed",
          method,
          path: path.replace(/\?.*/, ""),
          allowed: allow.split(", ")
        })
      }
      for (const path of ["/nope", "/plugins/stats/extra", "/health/"]) {
        const response = yield* request("POST", `${url}${path}`)
        expect(response.status, path).toBe(404)
      }
    }))

  it.scopedLive("plugins are removed and added at runtime; unknown names are a 404", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats", "chaos"], chaosEvery: 0 })
      const port = gateway.tcpAddress.port
      yield* sendFrames(port, [["t", "1"], ["t", "2"]])
      yield* waitUntil("chaos saw 2", Effect.sync(() => gateway.chaos.seen === 2))

      const removed = yield* request("DELETE", `${url}/plugins/chaos`)
      expect(removed.status).toBe(200)
      expect(JSON.parse(removed.text)).toEqual({ plugins: ["stats"] })
      yield* sendFrames(port, [["t", "3"], ["t", "4"], ["t", "5"]])
      yield* waitUntil("stats processed 5", Effect.map(gateway.snapshot(), (s) => s.plugins.stats?.processed === 5))
      expect(gateway.chaos.seen).toBe(2) // removed: got nothing more
      expect((yield* request("DELETE", `${url}/plugins/chaos`)).status).toBe(409)

      const added = yield* request("POST", `${url}/plugins/chaos`)
      expect(added.status).toBe(200)
      expect(JSON.parse(added.text)).toEqual({ plugins: ["stats", "chaos"] })
      yield* sendFrames(port, [["t", "6"]])
      yield* waitUntil("chaos saw 3", Effect.sync(() => gateway.chaos.seen === 3))
      const again = yield* request("POST", `${url}/plugins/stats`)
      expect(again.status).toBe(409)
      expect(JSON.parse(again.text)).toMatchObject({ error: "PluginAlreadyRunning", plugin: "stats" })

      const unknown = yield* request("POST", `${url}/plugins/nope`)
      expect(unknown.status).toBe(404)
      expect(JSON.parse(unknown.text)).toMatchObject({ error: "UnknownPlugin", plugin: "nope" })
      expect(JSON.parse((yield* get(`${url}/plugins`)).text)).toEqual({ plugins: ["stats", "chaos"] })
      expect(gateway.counters.deadLetters.size).toBe(0)
    }))

  it.scopedLive("GET / serves the dashboard, which follows /events", () =>
    Effect.gen(function*() {
      const { url } = yield* start({ plugins: ["stats"] })
      const response = yield* get(`${url}/`)
      expect(response.status).toBe(200)
      expect(response.contentType).toContain("text/html")
      expect(response.text).toContain(`new EventSource("/events")`)
      // uPlot comes from the gateway itself, never from the internet.
      expect(response.text).toContain(`<script src="/assets/uplot.min.js">`)
      expect(response.text).not.toMatch(/(src|href)="https?:/)
      const script = yield* get(`${url}/assets/uplot.min.js`)
      expect([script.status, script.contentType]).toEqual([200, "text/javascript; charset=utf-8"])
      expect(script.text).toContain("uPlot")
      const css = yield* get(`${url}/assets/uplot.min.css`)
      expect([css.status, css.contentType]).toEqual([200, "text/css; charset=utf-8"])
      expect((yield* get(`${url}/assets/other.js`)).status).toBe(404)
    }))

  it.scopedLive("/events: the first event carries the series' history and the reconnect delay", () =>
    Effect.gen(function*() {
      const { feed, url } = yield* start({ plugins: ["stats", "chaos"] })
      yield* waitUntil("a first point", Effect.sync(() => feed.history().length > 0))
      const response = yield* Effect.promise(() => fetch(`${url}/events?interval=50`))
      const reader = response.body!.getReader()
      let text = ""
      while (text.split("\n\n").length < 3) {
        text += new TextDecoder().decode((yield* Effect.promise(() => reader.read())).value)
      }
      yield* Effect.promise(() => reader.cancel())
      const [first, second] = text.split("\n\n")
      expect(first!.startsWith("retry: 1000\nid: 1\nevent: snapshot\n")).toBe(true)
      expect(second!).not.toContain("retry:")
      const data = (block: string) => JSON.parse(block.slice(block.indexOf("data: ") + 6))
      expect(data(first!).history.length).toBeGreaterThan(0)
      expect(data(second!).history).toBeUndefined()
      for (const tick of [data(first!), data(second!)]) {
        expect(tick.dashboard.tree.groups[0].actors.map((actor: { name: string }) => actor.name))
          .toEqual(["plugin-stats", "plugin-chaos"])
        expect(tick.dashboard.point.arenaCapacity).toBe(8192)
        expect(tick.dashboard.deadLetters).toEqual([])
      }
    }))
})

describe("HTTP shutdown", () => {
  it.scopedLive(
    "an /events subscriber that never leaves does not hold up graceful shutdown",
    () =>
      Effect.gen(function*() {
        const { gateway, shutdown, url } = yield* start({ plugins: ["stats"] })
        // A subscriber that reads its first event and then stops reading, keeping the response open.
        const response = yield* Effect.promise(() => fetch(`${url}/events`))
        const reader = response.body!.getReader()
        yield* Effect.promise(() => reader.read())
        expect(gateway.sseClients).toBe(1)
        const started = yield* Clock.currentTimeMillis
        yield* shutdown
        const took = (yield* Clock.currentTimeMillis) - started
        // Bounded by the HTTP grace period, not by the client.
        expect(took).toBeLessThan(Http.shutdownGraceMs + 3_000)
        expect(gateway.sseClients).toBe(0)
        // The client sees its stream end rather than hang.
        const rest = yield* Effect.promise(() => reader.read().then(() => "ended", () => "ended"))
        expect(rest).toBe("ended")
      }),
    30_000
  )
})
