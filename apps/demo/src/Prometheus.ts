/**
 * Prometheus text exposition (version 0.0.4) of Effect's metric registry. @effect/platform 0.97
 * has no Prometheus exporter (only @effect/opentelemetry's, which needs the OpenTelemetry SDK),
 * so the snapshot is rendered here.
 */
import { Effect, Metric, MetricState, Option } from "effect"
import type { MetricPair } from "effect"

const sanitizeName = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([0-9])/, "_$1")

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")

const labels = (pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.length === 0 ? "" : `{${pairs.map(([k, v]) => `${sanitizeName(k)}="${escapeLabel(v)}"`).join(",")}}`

const number = (value: number | bigint) =>
  typeof value === "bigint"
    ? value.toString()
    : Number.isNaN(value)
    ? "NaN"
    : value === Infinity
    ? "+Inf"
    : value === -Infinity
    ? "-Inf"
    : String(value)

interface Family {
  readonly type: "counter" | "gauge" | "histogram" | "summary"
  readonly help: string | undefined
  readonly lines: Array<string>
}

/** Renders metric pairs as Prometheus text: one family per metric name, samples per tag set. */
export const render = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  const family = (name: string, type: Family["type"], help: Option.Option<string>) => {
    let found = families.get(name)
    if (found === undefined) {
      found = { type, help: Option.getOrUndefined(help), lines: [] }
      families.set(name, found)
    }
    return found
  }
  for (const { metricKey, metricState } of pairs) {
    const name = sanitizeName(metricKey.name)
    const tags = metricKey.tags.map((label) => [label.key, label.value] as const)
    if (MetricState.isCounterState(metricState)) {
      family(name, "counter", metricKey.description).lines.push(`${name}${labels(tags)} ${number(metricState.count)}`)
    } else if (MetricState.isGaugeState(metricState)) {
      family(name, "gauge", metricKey.description).lines.push(`${name}${labels(tags)} ${number(metricState.value)}`)
    } else if (MetricState.isFrequencyState(metricState)) {
      // A frequency is a counter per observed value.
      const lines = family(name, "counter", metricKey.description).lines
      for (const [value, count] of metricState.occurrences) {
        lines.push(`${name}${labels([...tags, ["key", value]])} ${number(count)}`)
      }
    } else if (MetricState.isHistogramState(metricState)) {
      const lines = family(name, "histogram", metricKey.description).lines
      for (const [bound, count] of metricState.buckets) {
        lines.push(`${name}_bucket${labels([...tags, ["le", number(bound)]])} ${number(count)}`)
      }
      // Effect's boundaries usually end with Infinity already; Prometheus requires the +Inf bucket.
      const last = metricState.buckets[metricState.buckets.length - 1]
      if (last === undefined || last[0] !== Infinity) {
        lines.push(`${name}_bucket${labels([...tags, ["le", "+Inf"]])} ${number(metricState.count)}`)
      }
      lines.push(`${name}_sum${labels(tags)} ${number(metricState.sum)}`)
      lines.push(`${name}_count${labels(tags)} ${number(metricState.count)}`)
    } else if (MetricState.isSummaryState(metricState)) {
      const lines = family(name, "summary", metricKey.description).lines
      for (const [quantile, value] of metricState.quantiles) {
        lines.push(
          `${name}${labels([...tags, ["quantile", number(quantile)]])} ${number(Option.getOrElse(value, () => NaN))}`
        )
      }
      lines.push(`${name}_sum${labels(tags)} ${number(metricState.sum)}`)
      lines.push(`${name}_count${labels(tags)} ${number(metricState.count)}`)
    }
  }
  let out = ""
  for (const [name, { help, lines, type }] of [...families].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (help !== undefined) out += `# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n`
    out += `# TYPE ${name} ${type}\n`
    for (const line of lines) out += `${line}\n`
  }
  return out
}

/** The whole metric registry as Prometheus text. */
export const scrape: Effect.Effect<string> = Effect.map(Metric.snapshot, render)
