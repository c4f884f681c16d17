import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, MetricKeyType } from "effect"
import * as Frame from "../src/Frame.js"
import * as Load from "../src/Load.js"
import { connect, get, start, waitUntil, write } from "./helpers.js"
import * as PrometheusText from "./PrometheusText.js"

/** The OpenTelemetry exporter's HELP for a metric registered without a description. */
const missingHelp = "description missing"

/**
 * Every family of a scrape is declared, documented, and typed as its samples are. (The registry
 * is process-wide: metrics that tests made up, named `test_…`, are left out. Effect registers its
 * runtime metrics, `effect_…`, without descriptions.)
 */
const checkFamilies = (families: ReadonlyMap<string, PrometheusText.Family>) => {
  for (const family of families.values()) {
    if (family.name.startsWith("test_")) continue
    expect(family.type, `${family.name} has a TYPE`).toBeDefined()
    expect(family.help, `${family.name} has a HELP`).toBeDefined()
    if (!family.name.startsWith("effect_")) {
      expect(family.help, `${family.name}'s HELP says something`).not.toBe(missingHelp)
    }
    if (family.type === "counter") expect(family.name).toMatch(/_total$/)
  }
}

/** Counter samples (and histogram buckets, sums of positive values and counts) by name and labels. */
const monotonicSamples = (families: ReadonlyMap<string, PrometheusText.Family>) => {
  const values = new Map<string, number>()
  for (const family of families.values()) {
    if (family.type !== "counter" && family.type !== "histogram") continue
    for (const sample of family.samples) {
      if (sample.name.endsWith("_sum")) continue
      values.set(`${sample.name}${JSON.stringify(sample.labels)}`, sample.value)
    }
  }
  return values
}

/** The exporter's name for an Effect metric: invalid characters become `_`, counters end in `_total`. */
const prometheusName = (name: string, monotonic: boolean) => {
  const sanitized = name.replace(/[^a-z0-9_]/gi, "_").replace(/_{2,}/g, "_")
  return monotonic && !sanitized.endsWith("_total") ? `${sanitized}_total` : sanitized
}

describe("/metrics (the OpenTelemetry Prometheus exporter)", () => {
  it("the test's parser rejects what the format does not allow", () => {
    const bad = [
      "x 1", // no final newline
      "# TYPE x counter\n# TYPE x counter\nx 1\n", // TYPE twice
      "x 1\n# TYPE x counter\n", // TYPE after samples
      "x{a=\"1\"} 1\nx{a=\"1\"} 2\n", // a sample twice
      "x{a=1} 1\n", // unquoted label
      "x one\n", // not a float
      "x 1\ny 1\nx{a=\"b\"} 2\n", // not contiguous
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", // not cumulative
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", // no +Inf
      "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n", // no _count
      "# TYPE h histogram\nh 1\n" // a sample outside its family's kinds
    ]
    for (const text of bad) expect(() => PrometheusText.parse(text), text).toThrow()
    expect(PrometheusText.parse("# HELP x a\\\\b\\n\n# TYPE x gauge\nx{a=\"q\\\"\"} +Inf\n").get("x")).toEqual({
      name: "x",
      help: "a\\b\n",
      type: "gauge",
      samples: [{ name: "x", labels: { a: "q\"" }, value: Infinity }]
    })
  })

  it.scopedLive("a gateway under load: /metrics parses strictly, and no counter goes down between scrapes", () =>
    Effect.gen(function*() {
      const { gateway, url } = yield* start({ plugins: ["stats", "topics", "checksum", "sink"] })
      // A connection error too, so the tagged error counter has a sample.
      const bad = yield* connect(gateway.tcpAddress.port)
      yield* write(bad, Frame.encode("", "no topic"))
      yield* waitUntil("the bad connection failed", Effect.sync(() => gateway.counters.connectionsFailed === 1))
      yield* Load.start({
        host: "127.0.0.1",
        port: gateway.tcpAddress.port,
        connections: 4,
        payloadSize: 32,
        batch: 16,
        topics: 4
      })
      yield* waitUntil("1000 frames in", Effect.sync(() => gateway.counters.framesIn >= 1000))
      const first = PrometheusText.parse((yield* get(`${url}/metrics`)).text)
      const target = gateway.counters.framesIn + 1000
      yield* waitUntil(`${target} frames in`, Effect.sync(() => gateway.counters.framesIn >= target))
      const second = PrometheusText.parse((yield* get(`${url}/metrics`)).text)
      checkFamilies(first)
      checkFamilies(second)
      for (
        const name of [
          "weft_demo_frames_in_total",
          "weft_demo_bytes_in_total",
          "weft_demo_sink_acked_total",
          "weft_demo_connection_errors_total",
          "weft_actor_processed_total"
        ]
      ) {
        expect(second.get(name)?.type, name).toBe("counter")
      }
      expect(second.get("weft_demo_connections_active")?.type).toBe("gauge")
      const before = monotonicSamples(first)
      const after = monotonicSamples(second)
      expect(before.size).toBeGreaterThan(10)
      for (const [sample, value] of before) {
        expect(after.get(sample), `${sample} went down`).toBeGreaterThanOrEqual(value)
      }
      const framesIn = (families: typeof first) => families.get("weft_demo_frames_in_total")!.samples[0]!.value
      expect(framesIn(second)).toBeGreaterThan(framesIn(first))
      // The OpenTelemetry exporter describes the process it scrapes (its resource).
      expect(second.get("target_info")?.samples[0]?.labels).toMatchObject({
        service_name: "weft-demo",
        telemetry_sdk_name: "@effect/opentelemetry"
      })
      // Every metric in Effect's registry is exported, under its Prometheus name.
      const registered = (yield* Metric.snapshot).filter(({ metricKey }) => !metricKey.name.startsWith("test_"))
      expect(registered.length).toBeGreaterThan(15)
      for (const { metricKey } of registered) {
        const name = prometheusName(
          metricKey.name,
          MetricKeyType.isFrequencyKey(metricKey.keyType)
            || (MetricKeyType.isCounterKey(metricKey.keyType) && metricKey.keyType.incremental)
        )
        expect(second.has(name), `${metricKey.name} is exported as ${name}`).toBe(true)
      }
      // The histograms have their buckets, and they filled between the scrapes.
      for (const name of ["weft_demo_ingest_to_durable_ms", "weft_actor_handler_ms"]) {
        const histogram = (families: typeof first) => families.get(name)!.samples
        expect(second.get(name)?.type, name).toBe("histogram")
        expect(histogram(second).filter((sample) => sample.name === `${name}_bucket`).length).toBeGreaterThan(5)
      }
      const durable = (families: typeof first) =>
        families.get("weft_demo_ingest_to_durable_ms")!.samples.find((s) => s.name.endsWith("_count"))!.value
      expect(durable(second)).toBeGreaterThan(durable(first))
    }))
})
