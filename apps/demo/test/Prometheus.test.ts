import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, MetricBoundaries } from "effect"
import * as Frame from "../src/Frame.js"
import * as Load from "../src/Load.js"
import * as Prometheus from "../src/Prometheus.js"
import { connect, get, start, waitUntil, write } from "./helpers.js"
import * as PrometheusText from "./PrometheusText.js"

const renderPrefixed = (prefix: string) =>
  Effect.map(Metric.snapshot, (pairs) => Prometheus.render(pairs.filter((p) => p.metricKey.name.startsWith(prefix))))

/**
 * Every family of a scrape is declared, documented, and typed as its samples are. (The registry
 * is process-wide: metrics that tests made up, named `test_…`, are left out.)
 */
const checkFamilies = (families: ReadonlyMap<string, PrometheusText.Family>) => {
  for (const family of families.values()) {
    if (family.name.startsWith("test_")) continue
    expect(family.type, `${family.name} has a TYPE`).toBeDefined()
    expect(family.help, `${family.name} has a HELP`).toBeDefined()
    expect(family.help, `${family.name}'s HELP says something`).not.toBe(Prometheus.missingHelp)
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

describe("Prometheus", () => {
  it.effect("renders counters, gauges and histograms with HELP, TYPE and escaped labels", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("test_prom_requests", { description: "requests\nserved", incremental: true })
        .pipe(Metric.tagged("path", "/a\"b"))
      const gauge = Metric.gauge("test_prom.depth", { description: "depth" })
      const histogram = Metric.histogram("test_prom_latency", MetricBoundaries.fromIterable([1, 10]), "latency")
      yield* Metric.incrementBy(counter, 3)
      yield* Metric.set(gauge, 7)
      yield* Metric.update(histogram, 5)
      yield* Metric.update(histogram, 50)
      const text = yield* renderPrefixed("test_prom")
      expect(text).toBe(
        [
          "# HELP test_prom_depth depth",
          "# TYPE test_prom_depth gauge",
          "test_prom_depth 7",
          "# HELP test_prom_latency latency",
          "# TYPE test_prom_latency histogram",
          "test_prom_latency_bucket{le=\"1\"} 0",
          "test_prom_latency_bucket{le=\"10\"} 1",
          "test_prom_latency_bucket{le=\"+Inf\"} 2",
          "test_prom_latency_sum 55",
          "test_prom_latency_count 2",
          "# HELP test_prom_requests_total requests\\nserved",
          "# TYPE test_prom_requests_total counter",
          "test_prom_requests_total{path=\"/a\\\"b\"} 3",
          ""
        ].join("\n")
      )
      checkFamilies(PrometheusText.parse(text))
    }))

  it.effect("a counter that can go down is a gauge; a frequency is a counter; HELP is never missing", () =>
    Effect.gen(function*() {
      // Like Effect's own effect_fiber_active: a counter without `incremental` takes negative updates.
      const active = Metric.counter("test_promkind_active")
      yield* Metric.incrementBy(active, 5)
      yield* Metric.incrementBy(active, -2)
      const seen = Metric.frequency("test_promkind_seen", { description: "seen" })
      yield* Metric.update(seen, "a")
      yield* Metric.update(seen, "a")
      const families = PrometheusText.parse(yield* renderPrefixed("test_promkind"))
      expect(families.get("test_promkind_active")).toEqual({
        name: "test_promkind_active",
        help: Prometheus.missingHelp,
        type: "gauge",
        samples: [{ name: "test_promkind_active", labels: {}, value: 3 }]
      })
      expect(families.get("test_promkind_seen_total")).toMatchObject({
        type: "counter",
        samples: [{ name: "test_promkind_seen_total", labels: { key: "a" }, value: 2 }]
      })
      expect(Prometheus.knownHelp["effect_fiber_active"]).toBeDefined()
    }))

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
    }))
})
