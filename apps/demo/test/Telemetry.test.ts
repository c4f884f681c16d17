import { describe, expect, it } from "@effect/vitest"
import { Actor, ActorSystem } from "@weft/actor"
import { ConfigProvider, Context, Effect, Exit, Layer, Runtime, Schema, Scope } from "effect"
import * as NodeHttp from "node:http"
import * as Path from "node:path"
import * as Gateway from "../src/Gateway.js"
import * as Http from "../src/Http.js"
import * as Telemetry from "../src/Telemetry.js"
import { get, tempDir } from "./helpers.js"

interface Post {
  readonly path: string
  readonly contentType: string
  readonly body: Buffer
}

/** An OTLP/HTTP receiver: it answers every POST with 200 and keeps what was posted. */
const receiver = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly posts: Array<Post>; readonly server: NodeHttp.Server }>((resume) => {
    const posts: Array<Post> = []
    const server = NodeHttp.createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        posts.push({
          path: request.url ?? "",
          contentType: request.headers["content-type"] ?? "",
          body: Buffer.concat(chunks)
        })
        response.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { readonly port: number }
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, posts, server }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
    })
)

interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
}

/** The spans of OTLP/JSON trace exports. */
const spansOf = (posts: ReadonlyArray<Post>): Array<OtlpSpan> =>
  posts.filter((post) => post.path === "/v1/traces").flatMap((post) =>
    (JSON.parse(post.body.toString("utf8")) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<OtlpSpan> }> }>
    }).resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans))
  )

/** The runtime the gateway's layers are built in: what its own fibers run with. */
class GatewayRuntime extends Context.Tag("test/GatewayRuntime")<GatewayRuntime, Runtime.Runtime<never>>() {}

/**
 * A gateway (`Http.layer`) built with `env` as its environment, in a scope of its own; closing
 * the scope shuts it down, which exports the spans still buffered.
 */
const startWith = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const config: Gateway.Config = {
      ...Gateway.defaults(Path.join(dir, "sink.log")),
      tcpPort: 0,
      httpPort: 0,
      chaosEvery: 0,
      plugins: ["stats"]
    }
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const layer = Layer.effect(GatewayRuntime, Effect.runtime<never>()).pipe(Layer.provideMerge(Http.layer(config)))
    const context = yield* Layer.buildWithScope(layer, scope).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    )
    return {
      url: yield* Effect.provide(Http.baseUrl, context),
      gateway: Context.get(context, Gateway.Gateway),
      runtime: Context.get(context, GatewayRuntime),
      shutdown: Scope.close(scope, Exit.void)
    }
  })

class Get extends Schema.TaggedRequest<Get>()("Get", { failure: Schema.Never, success: Schema.Number, payload: {} }) {}
class Relay extends Schema.TaggedRequest<Relay>()("Relay", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}

/** `front` answers `Relay` by asking `back`, which answers `Get` with 42. */
const askAcrossActors = Effect.gen(function*() {
  const back = yield* Actor.spawn(
    Actor.behavior<Get>()({
      initialState: 42,
      handlers: { Get: (_, state) => Effect.succeed(Actor.reply(state, state)) }
    })
  )
  const front = yield* Actor.spawn(
    Actor.behavior<Relay>()({
      initialState: 0,
      handlers: {
        Relay: (_, state) => Effect.map(Effect.orDie(Actor.ask(back, new Get())), (value) => Actor.reply(value, state))
      }
    })
  )
  return yield* Actor.ask(front, new Relay()).pipe(Effect.withSpan("request"))
})

describe("Telemetry", () => {
  it.scopedLive("with OTEL_EXPORTER_OTLP_ENDPOINT set, an ask's spans reach the collector as parent and child", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const running = yield* startWith({
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json"
      })
      expect((yield* get(`${running.url}/stats`)).status).toBe(200)
      // Asks across two actors of the gateway's system, from a fiber of the gateway's runtime.
      const reply = yield* Effect.promise(() =>
        Runtime.runPromise(running.runtime)(
          askAcrossActors.pipe(Effect.scoped, Effect.provideService(ActorSystem.ActorSystem, running.gateway.system))
        )
      )
      expect(reply).toBe(42)
      yield* running.shutdown
      const spans = spansOf(otlp.posts)
      const one = (name: string) => {
        const found = spans.filter((span) => span.name === name)
        expect(found.length, `one ${name} in ${spans.map((span) => span.name).join(", ")}`).toBe(1)
        return found[0]!
      }
      expect(spans.some((span) => span.name === "http.server GET")).toBe(true)
      const chain = ["request", "Actor.ask Relay", "Actor.handle Relay", "Actor.ask Get", "Actor.handle Get"].map(one)
      for (let i = 1; i < chain.length; i++) {
        expect(chain[i]!.parentSpanId, `${chain[i]!.name}'s parent`).toBe(chain[i - 1]!.spanId)
        expect(chain[i]!.traceId).toBe(chain[0]!.traceId)
      }
    }))

  it.scopedLive("the default protocol is http/protobuf, posted to the endpoint's /v1/traces", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const running = yield* startWith({ OTEL_EXPORTER_OTLP_ENDPOINT: `${otlp.url}/` })
      yield* get(`${running.url}/health`)
      yield* running.shutdown
      expect(otlp.posts.length).toBeGreaterThan(0)
      for (const post of otlp.posts) {
        expect(post.path).toBe("/v1/traces")
        expect(post.contentType).toBe("application/x-protobuf")
      }
    }))

  it.scopedLive("without the variable nothing is exported", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const running = yield* startWith({})
      yield* get(`${running.url}/health`)
      yield* running.shutdown
      expect(otlp.posts).toEqual([])
    }))

  it.effect("a protocol the exporter does not speak is a typed error, before anything starts", () =>
    Effect.gen(function*() {
      const error = yield* Layer.launch(Telemetry.layer).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(
          new Map([["OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"], ["OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"]])
        )),
        Effect.flip
      )
      expect(error).toMatchObject({ _tag: "UnsupportedOtlpProtocol", protocol: "grpc" })
    }))
})
