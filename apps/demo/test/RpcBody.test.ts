import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, Fiber } from "effect"
import * as NodeHttp from "node:http"
import * as Net from "node:net"
import { PassThrough } from "node:stream"
import * as Rpc from "../src/Rpc.js"
import * as RpcBody from "../src/RpcBody.js"
import { start } from "./helpers.js"

interface RawResponse {
  readonly status: number
  readonly headers: string
  readonly body: string
}

/**
 * One raw HTTP/1.1 exchange over a fresh socket: `head` (request line and headers, without the
 * blank line) and `body` as given, byte for byte; the response is read until the server closes.
 */
const raw = (port: number, head: string, body = "") =>
  Effect.async<RawResponse, Error>((resume) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    const chunks: Array<Buffer> = []
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("error", (error) => resume(Effect.fail(error)))
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      const end = text.indexOf("\r\n\r\n")
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
      resume(Effect.succeed({ status, headers: text.slice(0, end), body: text.slice(end + 4) }))
    })
    socket.write(`${head}\r\n\r\n${body}`)
    return Effect.sync(() => socket.destroy())
  })

/** A POST /rpc with the given body, its Content-Length set, and `Connection: close`. */
const post = (port: number, body: string) =>
  raw(
    port,
    [
      "POST /rpc HTTP/1.1",
      "Host: 127.0.0.1",
      "Content-Type: application/ndjson",
      `Content-Length: ${Buffer.byteLength(body)}`,
      "Connection: close"
    ].join("\r\n"),
    body
  )

const portOf = (url: string) => Number(new URL(url).port)

const stats = (id: string) => JSON.stringify({ _tag: "Request", id, tag: "Stats", payload: {}, headers: [] })

describe("POST /rpc: the request body", () => {
  it.scopedLive("a Content-Length over the limit is a 413 before any of the body is sent", () =>
    Effect.gen(function*() {
      const { url } = yield* start({ plugins: ["stats"] })
      const response = yield* raw(
        portOf(url),
        `POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ndjson\r\nContent-Length: ${
          150 * 1024 * 1024
        }`
      )
      // The announced body never comes: the server cut the connection `lingerMs` after the 413.
      expect(response.status).toBe(413)
      expect(JSON.parse(response.body)).toMatchObject({
        error: "BodyTooLarge",
        limit: 1024 * 1024,
        bytes: 150 * 1024 * 1024,
        declared: true
      })
    }))

  it.scopedLive("a chunked body is counted as it comes: the 413 arrives while the client is still sending", () =>
    Effect.gen(function*() {
      const limit = 64 * 1024
      const { url } = yield* start({ plugins: ["stats"], maxRequestBodyBytes: limit })
      const result = yield* Effect.async<{ status: number; body: string; sent: number }, Error>((resume) => {
        const request = NodeHttp.request(`${url}/rpc`, {
          method: "POST",
          headers: { "content-type": "application/ndjson" }
        })
        const chunk = Buffer.alloc(16 * 1024, 0x20)
        let sent = 0
        let answered = false
        request.on("response", (response) => {
          answered = true
          let body = ""
          response.on("data", (data: Buffer) => (body += data.toString("utf8")))
          response.on("end", () => resume(Effect.succeed({ status: response.statusCode ?? 0, body, sent })))
        })
        // The server may close its end while this side is still writing.
        request.on("error", () => {})
        // Bounded: at most 64 MiB, and it never ends the body (no final chunk).
        const writeMore = () => {
          while (!answered && sent < 64 * 1024 * 1024) {
            sent += chunk.length
            if (!request.write(chunk)) return void request.once("drain", writeMore)
          }
        }
        writeMore()
        return Effect.sync(() => request.destroy())
      })
      expect(result.status).toBe(413)
      expect(JSON.parse(result.body)).toMatchObject({ error: "BodyTooLarge", limit, declared: false })
      // The client was stopped long before its 64 MiB: the server did not wait for (or keep) the rest.
      expect(result.sent).toBeLessThan(16 * 1024 * 1024)
    }))

  it.scopedLive("bad requests are a 4xx with a typed JSON error, and nothing runs", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats"] })
      const port = portOf(url)
      const cases: Array<readonly [body: string, status: number, error: object]> = [
        ["{\"_tag\":\"Request\",", 400, { error: "InvalidRpcRequest", line: 1 }],
        [`${stats("1")}\nnot json\n`, 400, { error: "InvalidRpcRequest", line: 2 }],
        [JSON.stringify({ _tag: "Request", tag: "Stats", payload: {} }), 400, { error: "InvalidRpcRequest", line: 1 }],
        [JSON.stringify({ _tag: "Request", id: "x1", tag: "Stats", payload: {} }), 400, { error: "InvalidRpcRequest" }],
        [JSON.stringify({ _tag: "Ping" }), 400, { error: "InvalidRpcRequest" }],
        [
          JSON.stringify({ _tag: "Request", id: "1", tag: "Nope", payload: {} }),
          404,
          { error: "UnknownProcedure", procedure: "Nope", known: ["WatchTopic", "Stats", "AddPlugin", "RemovePlugin"] }
        ],
        [
          JSON.stringify({ _tag: "Request", id: "1", tag: "AddPlugin", payload: { name: 5 } }),
          400,
          { error: "InvalidPayload", procedure: "AddPlugin" }
        ],
        [JSON.stringify({ _tag: "Request", id: "1", tag: "AddPlugin" }), 400, { error: "InvalidPayload" }],
        ["", 400, { error: "InvalidRpcRequest", line: 0 }],
        ["\n\n", 400, { error: "InvalidRpcRequest", line: 0 }]
      ]
      for (const [body, status, error] of cases) {
        const response = yield* post(port, body)
        expect(response.status, body).toBe(status)
        expect(response.headers.toLowerCase()).toContain("content-type: application/json")
        expect(JSON.parse(response.body), body).toMatchObject(error)
        expect(response.body).not.toContain("Defect")
      }
      // The AddPlugin with a bad payload never ran.
      expect(gateway.plugins()).toEqual(["stats"])
    }))

  it.scopedLive("a body without a trailing newline is answered; several requests in one body all are", () =>
    Effect.gen(function*() {
      const { url } = yield* start({ plugins: ["stats"] })
      const port = portOf(url)
      const one = yield* post(port, stats("7"))
      expect(one.status).toBe(200)
      const lines = one.body.trim().split("\n").map((line) => JSON.parse(line))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({ _tag: "Exit", requestId: "7", exit: { _tag: "Success" } })
      const two = yield* post(port, `${stats("1")}\r\n${stats("2")}`)
      expect(two.status).toBe(200)
      const ids = two.body.trim().split("\n").map((line) => JSON.parse(line).requestId).sort()
      expect(ids).toEqual(["1", "2"])
    }))

  it.prop(
    "parse: any valid requests, any line ends, with or without a final newline, come back in order",
    [
      fc.array(
        fc.record({
          id: fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String),
          call: fc.oneof(
            fc.constant({ tag: "Stats", payload: {} }),
            fc.string().map((name) => ({ tag: "AddPlugin", payload: { name } }))
          )
        }),
        { minLength: 1, maxLength: 8 }
      ),
      fc.constantFrom("\n", "\r\n", "\n\n"),
      fc.boolean()
    ],
    ([calls, separator, finalNewline]) => {
      const requests = calls.map(({ call, id }) => ({ _tag: "Request" as const, id, ...call, headers: [] }))
      const body = requests.map((request) => JSON.stringify(request)).join(separator) + (finalNewline ? "\n" : "")
      const parsed = RpcBody.parse(new TextEncoder().encode(body), Rpc.GatewayRpcs.requests)
      expect(Either.getOrThrow(parsed)).toEqual(requests)
    }
  )

  it.live("read, interrupted while waiting for the body, stops reading: its listeners are gone", () =>
    Effect.gen(function*() {
      const source = Object.assign(new PassThrough(), { headers: {} }) as unknown as NodeHttp.IncomingMessage
      const fiber = yield* Effect.fork(RpcBody.read(source, 1024))
      yield* Effect.yieldNow()
      source.push("{\"_tag\":")
      yield* Effect.yieldNow()
      expect(source.listenerCount("data")).toBe(1)
      yield* Fiber.interrupt(fiber)
      for (const event of ["data", "end", "error", "close"]) expect(source.listenerCount(event), event).toBe(0)
    }))
})
