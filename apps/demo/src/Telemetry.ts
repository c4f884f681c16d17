/**
 * Metrics and traces through `@effect/opentelemetry`, Effect's own bridge to OpenTelemetry.
 *
 * - Metrics: every Effect metric (the gateway's, `@weft/actor`'s `ActorMetrics`, Effect's runtime
 *   metrics) is read by `@effect/opentelemetry`'s metric producer into an OpenTelemetry Prometheus
 *   exporter. The exporter's own HTTP server is not started (`preventServerStart`): `/metrics` on
 *   the gateway's HTTP server serves {@link Telemetry}'s `scrape`, the exporter's text.
 * - Traces: off unless the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 *   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; then `@effect/opentelemetry`'s OTLP tracer
 *   posts spans to it (HTTP, `http/protobuf` unless `OTEL_EXPORTER_OTLP_PROTOCOL` says
 *   `http/json`) every `OTEL_BSP_SCHEDULE_DELAY` milliseconds (default 5000) and once more when
 *   the layer closes. The service name is `OTEL_SERVICE_NAME`, default `weft-demo`.
 *
 * With tracing on, every HTTP request is a span (`@effect/platform`'s server), and `@weft/actor`
 * gives asks and the messages handled inside a trace their spans; frames from TCP clients are
 * not traced (their path starts outside any span).
 */
import * as Metrics from "@effect/opentelemetry/Metrics"
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import * as Resource from "@effect/opentelemetry/Resource"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/** The Prometheus exporter could not collect the metrics (a 500 on `/metrics`). */
export class ScrapeFailed extends Data.TaggedError("ScrapeFailed")<{ readonly cause: unknown }> {
  override get message() {
    return `collecting the metrics failed: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/** `OTEL_EXPORTER_OTLP_PROTOCOL` names a protocol the OTLP exporter does not speak (only HTTP). */
export class UnsupportedOtlpProtocol extends Data.TaggedError("UnsupportedOtlpProtocol")<{
  readonly protocol: string
  readonly supported: ReadonlyArray<string>
}> {
  override get message() {
    return `OTEL_EXPORTER_OTLP_PROTOCOL=${this.protocol} is not supported (supported: ${this.supported.join(", ")})`
  }
}

/** The content type of `/metrics`: Prometheus text exposition 0.0.4. */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/**
 * The metrics in Prometheus text, read from the OpenTelemetry exporter.
 *
 * Cancellation safety: an interrupted `scrape` (the `/metrics` client went away) abandons only
 * its wait; reading metrics consumes nothing, so the next scrape sees every update.
 */
export class Telemetry extends Context.Tag("@weft/demo/Telemetry")<Telemetry, {
  readonly scrape: Effect.Effect<string, ScrapeFailed>
}>() {}

/** The service name when `OTEL_SERVICE_NAME` is not set. */
export const defaultServiceName = "weft-demo"

const serviceName = Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault(defaultServiceName))

/**
 * The exporter's options, shared with the serializer `scrape` renders with: samples carry their
 * own labels only (no `otel_scope_name`), and `target_info` describes the process.
 */
const exporterOptions = { preventServerStart: true, withoutScopeInfo: true } as const

/** The Prometheus side: Effect's metric registry, read by the exporter at each scrape. */
const layerMetrics: Layer.Layer<Telemetry, never, Resource.Resource> = Layer.scoped(
  Telemetry,
  Effect.gen(function*() {
    const exporter = new PrometheusExporter(exporterOptions)
    // Shut down with the layer; the exporter's server was never started, so that is all it does.
    yield* Metrics.registerProducer(yield* Metrics.makeProducer, () => exporter)
    const serializer = new PrometheusSerializer(undefined, false, undefined, false, exporterOptions.withoutScopeInfo)
    const scrape = Effect.tryPromise({
      try: () => exporter.collect(),
      catch: (cause) => new ScrapeFailed({ cause })
    }).pipe(
      Effect.flatMap(({ errors, resourceMetrics }) =>
        errors.length > 0
          ? Effect.fail(new ScrapeFailed({ cause: errors[0] }))
          : Effect.succeed(serializer.serialize(resourceMetrics))
      )
    )
    return { scrape }
  })
)

const otlpProtocols = ["http/protobuf", "http/json"] as const

/**
 * Where spans go: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else `OTEL_EXPORTER_OTLP_ENDPOINT`
 * with `/v1/traces` appended (the OTLP exporter specification's rule); none when neither is set.
 */
export const tracesUrl: Config.Config<Option.Option<string>> = Config.all([
  Config.option(Config.nonEmptyString("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
  Config.option(Config.nonEmptyString("OTEL_EXPORTER_OTLP_ENDPOINT"))
]).pipe(
  Config.map(([traces, base]) =>
    Option.orElse(traces, () => Option.map(base, (url) => `${url.replace(/\/+$/, "")}/v1/traces`))
  )
)

/** OTLP trace export when an endpoint is configured; nothing at all otherwise. */
const layerTracing = (service: string) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const url = yield* tracesUrl
    if (Option.isNone(url)) return Layer.empty
    const protocol = yield* Config.string("OTEL_EXPORTER_OTLP_PROTOCOL").pipe(Config.withDefault("http/protobuf"))
    if (!otlpProtocols.includes(protocol as typeof otlpProtocols[number])) {
      return yield* new UnsupportedOtlpProtocol({ protocol, supported: otlpProtocols })
    }
    const exportInterval = yield* Config.integer("OTEL_BSP_SCHEDULE_DELAY").pipe(Config.withDefault(5000))
    return OtlpTracer.layer({ url: url.value, resource: { serviceName: service }, exportInterval }).pipe(
      Layer.provide(protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf),
      Layer.provide(FetchHttpClient.layer)
    )
  }))

/**
 * The gateway's telemetry: {@link Telemetry} for `/metrics`, and the OTLP tracer when configured
 * (it replaces Effect's tracer for everything built after this layer). Fails with a `ConfigError`
 * or {@link UnsupportedOtlpProtocol} on a bad environment. Closing it exports the spans still
 * buffered (bounded by the exporter's 3 s shutdown timeout) and shuts the Prometheus exporter down.
 */
export const layer = Layer.unwrapEffect(
  Effect.map(
    serviceName,
    (service) =>
      Layer.merge(layerMetrics, layerTracing(service)).pipe(Layer.provide(Resource.layer({ serviceName: service })))
  )
)
