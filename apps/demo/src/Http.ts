/**
 * The HTTP API: `/health`, `/metrics` (Prometheus, see `Telemetry.ts`), `/stats` (JSON), `/events` (SSE of owned
 * snapshots, conflated to the latest), `/rpc` (the typed RPC API, see `Rpc.ts`), `/` (the dashboard).
 */
import * as Sse from "@effect/experimental/Sse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as NodeHttp from "node:http"
import * as ClusterRoutes from "./cluster/Routes.js"
import * as Feed from "./dashboard/Feed.js"
import * as Page from "./dashboard/Page.js"
import * as Gateway from "./Gateway.js"
import * as Plugins from "./Plugins.js"
import * as Rpc from "./Rpc.js"
import * as Telemetry from "./Telemetry.js"

/** A query parameter that is not what the endpoint accepts (a 400). */
export class InvalidParameter extends Data.TaggedError("InvalidParameter")<{
  readonly parameter: string
  readonly value: string
  readonly expected: string
}> {
  override get message() {
    return `invalid query parameter ${this.parameter}=${JSON.stringify(this.value)}: expected ${this.expected}`
  }
}

/** More `/events` subscribers than `maxSseClients` (a 503). */
export class TooManySubscribers extends Data.TaggedError("TooManySubscribers")<{ readonly max: number }> {
  override get message() {
    return `too many /events subscribers (at most ${this.max})`
  }
}

/** A route that exists, asked with a method it does not answer (a 405 with `Allow`). */
export class MethodNotAllowed extends Data.TaggedError("MethodNotAllowed")<{
  readonly method: string
  readonly path: string
  readonly allowed: ReadonlyArray<string>
}> {
  override get message() {
    return `${this.method} is not allowed on ${this.path} (allowed: ${this.allowed.join(", ")})`
  }
}

/** The HTTP server could not start (port in use, bad address, …). */
export class HttpListenFailed extends Data.TaggedError("HttpListenFailed")<{
  readonly host: string
  readonly port: number
  readonly cause: unknown
}> {
  override get message() {
    return `cannot listen for HTTP on ${this.host}:${this.port}: ${Gateway.describeListenError(this.cause)}`
  }
}

const errorResponse = (status: number, error: { readonly _tag: string; readonly message: string }, facts: object) =>
  HttpServerResponse.unsafeJson({ error: error._tag, message: error.message, ...facts }, { status })

/** An optional integer query parameter within bounds. */
const intParam = (name: string, fallback: number, min: number, max: number) =>
  Effect.flatMap(HttpServerRequest.ParsedSearchParams, (params) => {
    const raw = params[name]
    if (raw === undefined) return Effect.succeed(fallback)
    const text = Array.isArray(raw) ? raw.join(",") : raw
    const value = /^-?\d+$/.test(text) ? Number(text) : NaN
    return Number.isInteger(value) && value >= min && value <= max
      ? Effect.succeed(value)
      : Effect.fail(
        new InvalidParameter({ parameter: name, value: text, expected: `an integer from ${min} to ${max}` })
      )
  })

/** A plugin name that the gateway does not know (a 404). */
export class UnknownPlugin extends Data.TaggedError("UnknownPlugin")<{
  readonly plugin: string
  readonly known: ReadonlyArray<string>
}> {
  override get message() {
    return `unknown plugin ${JSON.stringify(this.plugin)} (known: ${this.known.join(", ")})`
  }
}

const pluginParam = Effect.flatMap(HttpRouter.params, (params) => {
  const name = params.name ?? ""
  return Plugins.isPluginName(name)
    ? Effect.succeed(name)
    : Effect.fail(new UnknownPlugin({ plugin: name, known: Plugins.pluginNames }))
})

/**
 * Takes one of the `maxSseClients` subscriber slots until the scope closes. The limit is checked
 * and the slot counted in one synchronous step, so concurrent connects cannot all pass the check
 * before any of them is counted.
 */
const admitSubscriber = (gateway: Gateway.Gateway["Type"]) =>
  Effect.acquireRelease(
    Effect.suspend(() => {
      const max = gateway.config.maxSseClients
      if (gateway.sseClients >= max) return Effect.fail(new TooManySubscribers({ max }))
      gateway.sseClients++
      return Effect.void
    }),
    () => Effect.sync(() => gateway.sseClients--)
  )

/**
 * One subscriber's ticks (JSON, see `Ticks`), holding a subscriber slot. The ticks are shared: a
 * slow browser only ever gets the newest tick — it never slows the gateway or the others down.
 */
const ticks = (gateway: Gateway.Gateway["Type"], feed: Feed.Feed["Type"], intervalMs: number, top: number) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    yield* Scope.extend(admitSubscriber(gateway), scope).pipe(
      Effect.onExit((exit) => Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void)
    )
    // The response owns the scope: when the client goes away, the stream is interrupted and its
    // ticker subscription and the subscriber slot are released.
    return feed.ticks({ intervalMs, top }).pipe(Stream.ensuring(Scope.close(scope, Exit.void)))
  })

const encoder = new TextEncoder()

/** The routes, over the running gateway. */
export const router = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/health",
    Effect.flatMap(
      Gateway.Gateway,
      (gateway) =>
        Effect.map(Clock.currentTimeMillis, (now) =>
          HttpServerResponse.unsafeJson({
            status: "ok",
            ready: true,
            tcp: gateway.tcpAddress,
            plugins: gateway.plugins(),
            time: now
          }))
    )
  ),
  HttpRouter.get(
    "/metrics",
    Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const telemetry = yield* Telemetry.Telemetry
      yield* gateway.publishMetrics
      return HttpServerResponse.text(yield* telemetry.scrape, { contentType: Telemetry.contentType })
    })
  ),
  HttpRouter.get(
    "/stats",
    Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const top = yield* intParam("top", 10, 1, 1000)
      return HttpServerResponse.unsafeJson(yield* gateway.snapshot({ top }))
    })
  ),
  HttpRouter.get(
    "/events",
    Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const feed = yield* Feed.Feed
      const intervalMs = yield* intParam("interval", 500, 50, 60_000)
      const top = yield* intParam("top", 10, 1, 1000)
      let id = 0
      const body = (yield* ticks(gateway, feed, intervalMs, top)).pipe(
        Stream.map((data) =>
          encoder.encode(
            // The first event also tells the browser how soon to reconnect when the stream breaks.
            (id === 0 ? `retry: ${Page.reconnectMs}\n` : "") + Sse.encoder.write({
              _tag: "Event",
              event: "snapshot",
              id: String(++id),
              data
            })
          )
        )
      )
      return HttpServerResponse.stream(body, {
        contentType: "text/event-stream",
        headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
      })
    })
  ),
  HttpRouter.get(
    "/plugins",
    Effect.map(Gateway.Gateway, (gateway) => HttpServerResponse.unsafeJson({ plugins: gateway.plugins() }))
  ),
  HttpRouter.post(
    "/plugins/:name",
    Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const name = yield* pluginParam
      yield* gateway.addPlugin(name)
      return HttpServerResponse.unsafeJson({ plugins: gateway.plugins() })
    })
  ),
  HttpRouter.del(
    "/plugins/:name",
    Effect.gen(function*() {
      const gateway = yield* Gateway.Gateway
      const name = yield* pluginParam
      yield* gateway.removePlugin(name)
      return HttpServerResponse.unsafeJson({ plugins: gateway.plugins() })
    })
  ),
  Rpc.route,
  HttpRouter.concat(ClusterRoutes.router),
  HttpRouter.get("/", Effect.succeed(HttpServerResponse.html(Page.html))),
  HttpRouter.get(
    "/assets/:file",
    Effect.gen(function*() {
      const { assets } = yield* Feed.Feed
      const path = new URL((yield* HttpServerRequest.HttpServerRequest).url, "http://gateway").pathname
      const asset = assets.find((asset) => asset.path === path)
      return asset === undefined
        ? errorResponse(404, { _tag: "NotFound", message: `no asset ${path}` }, {})
        : HttpServerResponse.uint8Array(asset.body, {
          contentType: asset.contentType,
          headers: { "cache-control": "public, max-age=3600" }
        })
    })
  )
)

/**
 * The methods the router answers on a path (empty: no route has it), for a 405's `Allow`. Built
 * once from the routes: a `:param` segment matches any one segment.
 */
const allowedMethods = (() => {
  const routes = Chunk.toReadonlyArray(router.routes).map((route) => ({
    method: route.method,
    pattern: new RegExp(
      `^${route.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[^/]+/g, "[^/]+").replace(/\*/g, ".*")}$`
    )
  }))
  return (path: string): ReadonlyArray<string> =>
    Array.from(new Set(routes.filter((route) => route.pattern.test(path)).map((route) => route.method))).sort()
})()

/** A request no route answers: a 405 when the path has routes for other methods, else a 404. */
const routeNotFound = (request: HttpServerRequest.HttpServerRequest) => {
  const path = new URL(request.url, "http://gateway").pathname
  const allowed = allowedMethods(path)
  if (allowed.length === 0) {
    return errorResponse(404, { _tag: "NotFound", message: `no route for ${request.method} ${request.url}` }, {})
  }
  const error = new MethodNotAllowed({ method: request.method, path, allowed })
  return HttpServerResponse.setHeader(
    errorResponse(405, error, { method: error.method, path, allowed }),
    "allow",
    allowed.join(", ")
  )
}

/** The routes with every failure as a JSON response: 400, 404, 405, 409, 413, 500, 503 — never a stack trace. */
export const app = router.pipe(
  Effect.catchTags({
    InvalidParameter: (error) =>
      Effect.succeed(
        errorResponse(400, error, { parameter: error.parameter, value: error.value, expected: error.expected })
      ),
    TooManySubscribers: (error) => Effect.succeed(errorResponse(503, error, { max: error.max })),
    UnknownPlugin: (error) => Effect.succeed(errorResponse(404, error, { plugin: error.plugin, known: error.known })),
    PluginAlreadyRunning: (error) => Effect.succeed(errorResponse(409, error, { plugin: error.plugin })),
    PluginNotRunning: (error) => Effect.succeed(errorResponse(409, error, { plugin: error.plugin })),
    // The rest of the body is discarded as it comes (see RpcBody.read).
    BodyTooLarge: (error) =>
      Effect.succeed(errorResponse(413, error, { limit: error.limit, bytes: error.bytes, declared: error.declared })),
    BodyReadFailed: (error) =>
      Effect.succeed(HttpServerResponse.setHeader(errorResponse(400, error, {}), "connection", "close")),
    InvalidRpcRequest: (error) => Effect.succeed(errorResponse(400, error, { line: error.line, reason: error.reason })),
    UnknownProcedure: (error) =>
      Effect.succeed(errorResponse(404, error, { line: error.line, procedure: error.procedure, known: error.known })),
    InvalidPayload: (error) =>
      Effect.succeed(errorResponse(400, error, { line: error.line, procedure: error.procedure, issue: error.issue })),
    ScrapeFailed: (error) => Effect.succeed(errorResponse(500, error, {})),
    RouteNotFound: (error) => Effect.succeed(routeNotFound(error.request))
  })
)

/**
 * The whole service: the gateway, its HTTP API and its telemetry. The layer also exposes the
 * `HttpServer` (for its bound address) and the `Gateway`. Closing it stops HTTP first, then the
 * gateway, then the telemetry (the last spans are exported then).
 */
export const layer = (config: Gateway.Config) => {
  let server: NodeHttp.Server | undefined
  const createServer = () => (server = NodeHttp.createServer())
  return HttpServer.serve(app).pipe(
    Layer.provide(Rpc.layerHttp),
    // Released before the Node server's own release, which then finds it closed already.
    Layer.merge(Layer.scopedDiscard(Effect.addFinalizer(() => closeGracefully(server)))),
    Layer.provideMerge(
      NodeHttpServer.layer(createServer, { port: config.httpPort, host: config.host }).pipe(
        Layer.mapError((error) =>
          new HttpListenFailed({ host: config.host, port: config.httpPort, cause: error.cause })
        )
      )
    ),
    Layer.provideMerge(Feed.layer),
    Layer.provideMerge(Gateway.layer(config)),
    // Built first, so the gateway's fibers (actors, HTTP handlers) trace with its tracer.
    Layer.provideMerge(Telemetry.layer)
  )
}

/** How long open responses (SSE, RPC streams) may run on once shutdown has begun. */
export const shutdownGraceMs = 1_000

/**
 * Stops accepting, closes idle keep-alive connections, and gives open responses
 * `shutdownGraceMs` to finish before their connections are closed. Node's `server.close()` alone
 * waits for every open response, so one `/events` subscriber would hold shutdown forever.
 */
const closeGracefully = (server: NodeHttp.Server | undefined) =>
  Effect.async<void>((resume) => {
    if (server === undefined || !server.listening) return resume(Effect.void)
    const deadline = setTimeout(() => server.closeAllConnections(), shutdownGraceMs)
    server.close(() => {
      clearTimeout(deadline)
      resume(Effect.void)
    })
    server.closeIdleConnections()
  })

/** The HTTP server's base URL. */
export const baseUrl: Effect.Effect<string, never, HttpServer.HttpServer> = HttpServer.addressWith((address) =>
  Effect.succeed(
    address._tag === "TcpAddress" ? `http://${address.hostname}:${address.port}` : `unix:${address.path}`
  )
)
