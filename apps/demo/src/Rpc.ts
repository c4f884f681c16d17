/**
 * The gateway's typed RPC API (@effect/rpc over HTTP at `POST /rpc`, NDJSON both ways):
 * `WatchTopic` streams the frames of one topic as they are ingested; `Stats`, `AddPlugin` and
 * `RemovePlugin` are unary. `makeClient` is the typed client.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Stream } from "effect"
 * import * as Rpc from "./Rpc.js"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const client = yield* Rpc.makeClient("http://127.0.0.1:8787")
 *   yield* client.AddPlugin({ name: "slow" })
 *   yield* client.WatchTopic({ topic: "sensor/0" }).pipe(Stream.take(10), Stream.runForEach(Effect.log))
 * })).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Rpc from "@effect/rpc/Rpc"
import * as RpcClient from "@effect/rpc/RpcClient"
import type * as RpcClientError from "@effect/rpc/RpcClientError"
import * as RpcGroup from "@effect/rpc/RpcGroup"
import * as RpcMessage from "@effect/rpc/RpcMessage"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import * as RpcServer from "@effect/rpc/RpcServer"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Gateway from "./Gateway.js"
import * as Plugins from "./Plugins.js"
import * as RpcBody from "./RpcBody.js"

// ---------------------------------------------------------------------------------------------
// schemas

/**
 * One watched frame on the wire. `payload` is base64 in the JSON (NDJSON carries text only) and a
 * `Uint8Array` again once decoded by the client.
 */
export const WatchedFrame = Schema.Struct({
  topic: Schema.String,
  payload: Schema.Uint8ArrayFromBase64,
  seq: Schema.Number,
  at: Schema.Number,
  skipped: Schema.Number
})

const Counts = Schema.Record({ key: Schema.String, value: Schema.Number })

/** `Gateway.Snapshot` as a schema: every field (the tests check that it has the same shape). */
export const Snapshot = Schema.Struct({
  at: Schema.Number,
  uptimeMs: Schema.Number,
  framesIn: Schema.Number,
  bytesIn: Schema.Number,
  acked: Schema.Number,
  deadLetters: Schema.Number,
  deadLettersByReason: Counts,
  restarts: Counts,
  systemEventsLost: Schema.Number,
  connections: Schema.Struct({
    active: Schema.Number,
    accepted: Schema.Number,
    refused: Schema.Number,
    failed: Schema.Number,
    idleTimeouts: Schema.Number,
    frameDeadlines: Schema.Number
  }),
  arena: Schema.Struct({
    capacity: Schema.Number,
    live: Schema.Number,
    bytes: Schema.Number,
    highWater: Schema.Number,
    waiting: Schema.Number
  }),
  plugins: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ mailbox: Schema.Number, processed: Schema.Number })
  }),
  topTopics: Schema.Array(Schema.Struct({ topic: Schema.String, score: Schema.Number })),
  topicStats: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ frames: Schema.Number, bytes: Schema.Number })
  }),
  checksum: Schema.Struct({ combined: Schema.String, duplicates: Schema.Number }),
  compress: Schema.Struct({
    processed: Schema.Number,
    inlineFrames: Schema.Number,
    dropped: Schema.Number,
    bytesIn: Schema.Number,
    bytesOut: Schema.Number
  }),
  workers: Schema.Array(
    Schema.Struct({ id: Schema.Number, mailbox: Schema.Number, jobs: Schema.Number, frames: Schema.Number })
  ),
  sink: Schema.Struct({
    acked: Schema.Number,
    pending: Schema.Number,
    syncs: Schema.Number,
    bytes: Schema.Number,
    writeFailures: Schema.Number
  }),
  latency: Schema.Struct({ count: Schema.Number, p50Ms: Schema.Number, p99Ms: Schema.Number, maxMs: Schema.Number }),
  recentLatency: Schema.Struct({
    count: Schema.Number,
    p50Ms: Schema.Number,
    p99Ms: Schema.Number,
    maxMs: Schema.Number,
    windowSeconds: Schema.Number
  }),
  memory: Schema.Struct({ rssBytes: Schema.Number, heapUsedBytes: Schema.Number })
})

/** `Gateway.WatchStats` as a schema. */
export const WatchStats = Schema.Struct({
  watchers: Schema.Number,
  topics: Schema.Number,
  published: Schema.Number,
  delivered: Schema.Number,
  skipped: Schema.Number
})

/** What `Stats` returns: the gateway's snapshot and its watch feeds. */
export const Stats = Schema.Struct({ ...Snapshot.fields, watch: WatchStats })

/** What `AddPlugin` and `RemovePlugin` return: the plugins running now, in start order. */
export const PluginList = Schema.Struct({ plugins: Schema.Array(Schema.String) })

/** A topic no frame can have: empty, or containing the `\0` that ends a topic on the wire. */
export class InvalidTopic extends Schema.TaggedError<InvalidTopic>()("InvalidTopic", {
  topic: Schema.String,
  reason: Schema.Literal("empty", "contains \\0")
}) {
  override get message() {
    return `invalid topic ${JSON.stringify(this.topic)}: ${this.reason}`
  }
}

/** A plugin name the gateway does not know. */
export class UnknownPlugin extends Schema.TaggedError<UnknownPlugin>()("UnknownPlugin", {
  plugin: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `unknown plugin ${JSON.stringify(this.plugin)} (known: ${this.known.join(", ")})`
  }
}

/** `AddPlugin` for a plugin that is already running. */
export class PluginAlreadyRunning extends Schema.TaggedError<PluginAlreadyRunning>()("PluginAlreadyRunning", {
  plugin: Schema.String
}) {
  override get message() {
    return `plugin ${this.plugin} is already running`
  }
}

/** `RemovePlugin` for a plugin that is not running. */
export class PluginNotRunning extends Schema.TaggedError<PluginNotRunning>()("PluginNotRunning", {
  plugin: Schema.String
}) {
  override get message() {
    return `plugin ${this.plugin} is not running`
  }
}

// ---------------------------------------------------------------------------------------------
// procedures

/** The gateway's procedures. */
export class GatewayRpcs extends RpcGroup.make(
  /**
   * The frames of `topic` ingested from the moment the call is served, in ingest order, until the
   * caller stops reading or the gateway shuts down. A watcher that cannot keep up loses the
   * oldest frames; the next frame it receives says how many (`skipped`). Ingest never waits for
   * a watcher.
   */
  Rpc.make("WatchTopic", {
    payload: { topic: Schema.String },
    success: WatchedFrame,
    error: InvalidTopic,
    stream: true
  }),
  /** The gateway's numbers now (the `/stats` snapshot with the 10 top topics) and the watch feeds. */
  Rpc.make("Stats", { success: Stats }),
  /** Starts a plugin; it gets the frames ingested from then on. */
  Rpc.make("AddPlugin", {
    payload: { name: Schema.String },
    success: PluginList,
    error: Schema.Union(UnknownPlugin, PluginAlreadyRunning)
  }),
  /** Stops a plugin after it finished the frames it has; it gets nothing new. */
  Rpc.make("RemovePlugin", {
    payload: { name: Schema.String },
    success: PluginList,
    error: Schema.Union(UnknownPlugin, PluginNotRunning)
  })
) {}

const checkTopic = (topic: string): Effect.Effect<string, InvalidTopic> =>
  topic.length === 0
    ? Effect.fail(new InvalidTopic({ topic, reason: "empty" }))
    : topic.includes("\0")
    ? Effect.fail(new InvalidTopic({ topic, reason: "contains \\0" }))
    : Effect.succeed(topic)

const checkPlugin = (name: string): Effect.Effect<Plugins.PluginName, UnknownPlugin> =>
  Plugins.isPluginName(name)
    ? Effect.succeed(name)
    : Effect.fail(new UnknownPlugin({ plugin: name, known: Plugins.pluginNames }))

/** The procedures, served from the running gateway. */
export const layerHandlers: Layer.Layer<Rpc.ToHandler<RpcGroup.Rpcs<typeof GatewayRpcs>>, never, Gateway.Gateway> =
  GatewayRpcs.toLayer(Effect.map(Gateway.Gateway, (gateway) => {
    const pluginList = () => ({ plugins: gateway.plugins() })
    return GatewayRpcs.of({
      WatchTopic: ({ topic }) => Stream.unwrap(Effect.map(checkTopic(topic), gateway.watchTopic)),
      Stats: () => Effect.map(gateway.snapshot(), (snapshot) => ({ ...snapshot, watch: gateway.watchStats() })),
      AddPlugin: ({ name }) =>
        checkPlugin(name).pipe(
          Effect.flatMap((plugin) =>
            Effect.catchTag(
              gateway.addPlugin(plugin),
              "PluginAlreadyRunning",
              () => Effect.fail(new PluginAlreadyRunning({ plugin }))
            )
          ),
          Effect.map(pluginList)
        ),
      RemovePlugin: ({ name }) =>
        checkPlugin(name).pipe(
          Effect.flatMap((plugin) =>
            Effect.catchTag(
              gateway.removePlugin(plugin),
              "PluginNotRunning",
              () => Effect.fail(new PluginNotRunning({ plugin }))
            )
          ),
          Effect.map(pluginList)
        )
    })
  }))

// ---------------------------------------------------------------------------------------------
// server

/** Where the RPC endpoint is mounted. */
export const path = "/rpc"

/**
 * Stream chunks one POST may have encoded but not yet handed to its HTTP response. Beyond that
 * the call's stream stops being pulled: a slow `WatchTopic` reader then lags behind in the
 * gateway's bounded watch feed (and is told what it lost) instead of piling up responses here.
 */
const chunkCredit = 4

/** An encoded response on its way to the HTTP response, and whether it holds chunk credit. */
interface Outgoing {
  readonly bytes: Uint8Array
  readonly credit: 0 | 1
}

/**
 * The streaming-HTTP protocol of `RpcServer.makeProtocolWithHttpApp` (each POST carries the
 * requests of one client, its response streams the replies as NDJSON), with one change: flow
 * control. The library's HTTP protocol has no acks and an unbounded outbox, so a stream would be
 * pulled as fast as the server can encode it, whatever the reader's speed. Here a `Chunk` reply
 * waits for one of `chunkCredit` permits, given back when the HTTP response takes it, so TCP
 * backpressure from a slow reader reaches the procedure's stream. Other replies (`Exit`,
 * `Defect`) never wait: an interrupted call always gets its `Exit` out, and shutting the server
 * down never waits for a reader.
 */
const makeProtocol = Effect.gen(function*() {
  const { maxRequestBodyBytes } = (yield* Gateway.Gateway).config
  const serialization = yield* RpcSerialization.RpcSerialization
  const disconnects = yield* Mailbox.make<number>()
  const encoder = new TextEncoder()
  type Client = {
    readonly write: (response: RpcMessage.FromServerEncoded) => Effect.Effect<void>
    readonly end: Effect.Effect<void>
  }
  const clients = new Map<number, Client>()
  let nextClientId = 0
  let writeRequest!: (clientId: number, message: RpcMessage.FromClientEncoded) => Effect.Effect<void>

  const httpApp: HttpApp.Default<RpcBody.RequestError, Scope.Scope> = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    // Checked whole before any call starts: a bad body is a 4xx, and no procedure ran for it.
    const body = yield* RpcBody.read(NodeHttpServerRequest.toIncomingMessage(request), maxRequestBodyBytes)
    const messages = yield* RpcBody.parse(body, GatewayRpcs.requests)
    const scope = yield* Effect.scope
    const headers = Object.entries(request.headers)
    const id = nextClientId++
    const outbox = yield* Mailbox.make<Outgoing>()
    const credit = yield* Effect.makeSemaphore(chunkCredit)
    const parser = serialization.unsafeMake()
    const encode = (response: RpcMessage.FromServerEncoded) => {
      try {
        return parser.encode(response)
      } catch (cause) {
        return parser.encode(RpcMessage.ResponseDefectEncoded(cause))
      }
    }
    const client: Client = {
      write: (response) => {
        const encoded = encode(response)
        if (encoded === undefined) return Effect.void
        const bytes = typeof encoded === "string" ? encoder.encode(encoded) : encoded
        if (response._tag !== "Chunk") return Effect.asVoid(outbox.offer({ bytes, credit: 0 }))
        // Interrupted while waiting for credit, it has taken none (the offer itself never waits).
        return Effect.uninterruptibleMask((restore) =>
          Effect.zipRight(restore(credit.take(1)), Effect.asVoid(outbox.offer({ bytes, credit: 1 })))
        )
      },
      end: outbox.end
    }
    clients.set(id, client)
    const requestIds: Array<string> = []
    // The caller went away (or the response ended): interrupt what is still running for it.
    yield* Scope.addFinalizer(
      scope,
      Effect.suspend(() => {
        clients.delete(id)
        disconnects.unsafeOffer(id)
        if (Option.isNone(outbox.unsafeSize())) return Effect.void
        return Effect.forEach(requestIds, (requestId) => writeRequest(id, { _tag: "Interrupt", requestId }), {
          discard: true
        })
      })
    )
    yield* Effect.forEach(messages, (message) => {
      requestIds.push(message.id)
      return writeRequest(id, { ...message, headers: headers.concat(message.headers) })
    }, { discard: true })
    yield* writeRequest(id, RpcMessage.constEof)
    // The response starts with the first reply (a unary call's only one).
    const [first, done] = yield* outbox.takeAll
    const taken = (outgoing: Chunk.Chunk<Outgoing>) => {
      let returned = 0
      for (const { credit } of outgoing) returned += credit
      return Effect.as(credit.release(returned), Chunk.map(outgoing, ({ bytes }) => bytes))
    }
    const contentType = serialization.contentType
    if (done) return HttpServerResponse.uint8Array(concat(Chunk.map(first, ({ bytes }) => bytes)), { contentType })
    return HttpServerResponse.stream(
      Stream.concat(Stream.fromChunk(first), Mailbox.toStream(outbox)).pipe(Stream.mapChunksEffect(taken)),
      { contentType }
    )
  }).pipe(Effect.interruptible)

  const protocol = yield* RpcServer.Protocol.make((write) => {
    writeRequest = write
    return Effect.succeed({
      disconnects,
      send: (clientId, response) => clients.get(clientId)?.write(response) ?? Effect.void,
      end: (clientId) => clients.get(clientId)?.end ?? Effect.void,
      clientIds: Effect.sync(() => new Set(clients.keys())),
      initialMessage: Effect.succeedNone,
      supportsAck: false,
      supportsTransferables: false,
      supportsSpanPropagation: false
    })
  })
  return { protocol, httpApp } as const
})

const concat = (chunks: Chunk.Chunk<Uint8Array>): Uint8Array => {
  if (chunks.length === 1) return Chunk.unsafeHead(chunks)
  const out = new Uint8Array(Chunk.reduce(chunks, 0, (size, chunk) => size + chunk.length))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/** The RPC server's HTTP handler, built once by {@link layerHttp} and mounted by {@link route}. */
export class Endpoint extends Context.Tag("@weft/demo/Rpc/Endpoint")<
  Endpoint,
  HttpApp.Default<RpcBody.RequestError, Scope.Scope>
>() {}

/**
 * The RPC server over the running gateway, NDJSON-serialized, as an HTTP handler.
 *
 * Cancellation safety: closing the layer interrupts the calls in progress (their clients get an
 * interrupted `Exit`; watchers unsubscribe) without waiting for any reader.
 */
export const layerHttp: Layer.Layer<Endpoint, never, Gateway.Gateway> = Layer.scoped(
  Endpoint,
  Effect.gen(function*() {
    const { httpApp, protocol } = yield* makeProtocol
    yield* RpcServer.make(GatewayRpcs).pipe(
      Effect.provideService(RpcServer.Protocol, protocol),
      Effect.interruptible,
      Effect.forkScoped
    )
    return httpApp
  })
).pipe(Layer.provide(Layer.mergeAll(layerHandlers, RpcSerialization.layerNdjson)))

/** Mounts the RPC endpoint on a router at `POST /rpc` (needs {@link layerHttp}). */
export const route = HttpRouter.post(path, Effect.flatMap(Endpoint, (app) => app))

// ---------------------------------------------------------------------------------------------
// client

/** The typed client: one method per procedure. */
export type Client = RpcClient.FromGroup<typeof GatewayRpcs, RpcClientError.RpcClientError>

/**
 * A typed client of the gateway at `baseUrl` (e.g. `http://127.0.0.1:8787`), over the
 * `HttpClient` in context (`FetchHttpClient.layer`, `NodeHttpClient.layer`, …). Each call is one
 * HTTP request. A non-2xx response (e.g. a wrong URL) fails the call with an `RpcClientError`.
 *
 * Cancellation safety: interrupting a call (or closing the scope, which ends every call in
 * progress) aborts its HTTP request, and the server interrupts the procedure: a `WatchTopic`
 * watcher is unsubscribed. An `AddPlugin` / `RemovePlugin` interrupted in flight may or may not
 * have taken effect; `Stats` tells.
 */
export const makeClient = (baseUrl: string): Effect.Effect<Client, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const http = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest(HttpClientRequest.prependUrl(baseUrl.replace(/\/+$/, "") + path)),
      HttpClient.filterStatusOk
    )
    const protocol = yield* RpcClient.makeProtocolHttp(http).pipe(
      Effect.provideService(RpcSerialization.RpcSerialization, RpcSerialization.ndjson)
    )
    return yield* RpcClient.make(GatewayRpcs).pipe(Effect.provideService(RpcClient.Protocol, protocol))
  })
