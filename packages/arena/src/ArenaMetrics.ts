/**
 * An arena's Effect metrics. Every arena updates them as it works (no option to turn on), tagged
 * `arena=<name>` with the name given to `Arena.make`; arenas sharing a name share them. Read them
 * with `Metric.value`, or export them with the rest of Effect's metrics (the demo serves them on
 * `/metrics` through OpenTelemetry).
 *
 * @since 0.1.0
 */
import type * as Metric from "effect/Metric"
import { metricsFor } from "./internal/metrics.js"

/**
 * Gauges `weft_arena_capacity`, `weft_arena_live`, `weft_arena_bytes`, `weft_arena_high_water`,
 * `weft_arena_waiting` and counters `weft_arena_allocs_total`, `weft_arena_frees_total`,
 * `weft_arena_stale_accesses_total`, `weft_arena_leaked_total`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ArenaMetrics {
  readonly capacity: Metric.Metric.Gauge<number>
  readonly live: Metric.Metric.Gauge<number>
  readonly bytes: Metric.Metric.Gauge<number>
  readonly highWater: Metric.Metric.Gauge<number>
  readonly waiting: Metric.Metric.Gauge<number>
  readonly allocs: Metric.Metric.Counter<number>
  readonly frees: Metric.Metric.Counter<number>
  readonly staleAccesses: Metric.Metric.Counter<number>
  readonly leaked: Metric.Metric.Counter<number>
}

/**
 * The metrics of the arena(s) named `name`, to read with `Metric.value`.
 *
 * Cancellation safety: a pure lookup; reading the metrics never affects an arena.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { ArenaMetrics } from "@weft/arena"
 *
 * const live = Metric.value(ArenaMetrics.forArena("ingest").live) // Effect<MetricState.Gauge<number>>
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const forArena: (name: string) => ArenaMetrics = metricsFor
