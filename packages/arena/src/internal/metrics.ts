import * as Metric from "effect/Metric"
import * as MetricKey from "effect/MetricKey"
import type * as ArenaMetrics from "../ArenaMetrics.js"

const gauge = (key: MetricKey.MetricKey.Gauge<number>, arena: string): Metric.Metric.Gauge<number> =>
  Metric.fromMetricKey(MetricKey.tagged(key, "arena", arena))

const counter = (key: MetricKey.MetricKey.Counter<number>, arena: string): Metric.Metric.Counter<number> =>
  Metric.fromMetricKey(MetricKey.tagged(key, "arena", arena))

const keys = {
  capacity: MetricKey.gauge("weft_arena_capacity", { description: "slots in the arena" }),
  live: MetricKey.gauge("weft_arena_live", { description: "messages stored now" }),
  bytes: MetricKey.gauge("weft_arena_bytes", { description: "bytes held by live messages" }),
  highWater: MetricKey.gauge("weft_arena_high_water", { description: "most messages ever live at once" }),
  waiting: MetricKey.gauge("weft_arena_waiting", { description: "allocations waiting for room" }),
  allocs: MetricKey.counter("weft_arena_allocs_total", { description: "messages stored" }),
  frees: MetricKey.counter("weft_arena_frees_total", { description: "messages freed by their last release" }),
  staleAccesses: MetricKey.counter("weft_arena_stale_accesses_total", {
    description: "operations refused with StaleRef"
  }),
  leaked: MetricKey.counter("weft_arena_leaked_total", { description: "messages still live when the arena closed" })
}

/**
 * The metrics are built from keys that already carry the `arena` tag, so each update goes straight
 * to a cached hook instead of merging tags and looking the key up again.
 *
 * @internal
 */
export const metricsFor = (arena: string): ArenaMetrics.ArenaMetrics => ({
  capacity: gauge(keys.capacity, arena),
  live: gauge(keys.live, arena),
  bytes: gauge(keys.bytes, arena),
  highWater: gauge(keys.highWater, arena),
  waiting: gauge(keys.waiting, arena),
  allocs: counter(keys.allocs, arena),
  frees: counter(keys.frees, arena),
  staleAccesses: counter(keys.staleAccesses, arena),
  leaked: counter(keys.leaked, arena)
})
