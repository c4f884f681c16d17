import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, MetricBoundaries } from "effect"
import * as Prometheus from "../src/Prometheus.js"

describe("Prometheus", () => {
  it.effect("renders counters, gauges and histograms with escaped labels", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("test_prom_requests", { description: "requests\nserved" }).pipe(
        Metric.tagged("path", "/a\"b")
      )
      const gauge = Metric.gauge("test_prom.depth")
      const histogram = Metric.histogram("test_prom_latency", MetricBoundaries.fromIterable([1, 10]))
      yield* Metric.incrementBy(counter, 3)
      yield* Metric.set(gauge, 7)
      yield* Metric.update(histogram, 5)
      yield* Metric.update(histogram, 50)
      const text = Prometheus.render((yield* Metric.snapshot).filter((p) => p.metricKey.name.startsWith("test_prom")))
      expect(text).toBe(
        [
          "# TYPE test_prom_depth gauge",
          "test_prom_depth 7",
          "# TYPE test_prom_latency histogram",
          "test_prom_latency_bucket{le=\"1\"} 0",
          "test_prom_latency_bucket{le=\"10\"} 1",
          "test_prom_latency_bucket{le=\"+Inf\"} 2",
          "test_prom_latency_sum 55",
          "test_prom_latency_count 2",
          "# HELP test_prom_requests requests\\nserved",
          "# TYPE test_prom_requests counter",
          "test_prom_requests{path=\"/a\\\"b\"} 3",
          ""
        ].join("\n")
      )
    }))
})
