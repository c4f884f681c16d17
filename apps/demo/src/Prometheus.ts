/**
 * Prometheus text exposition (version 0.0.4) of Effect's metric registry. @effect/platform 0.97
 * has no Prometheus exporter (only @effect/opentelemetry's, which needs the OpenTelemetry SDK),
 * so the snapshot is rendered here.
 *
 * Effect's metric kinds do not map one to one onto Prometheus types, so the rendering decides:
 * - an incremental counter (`Metric.counter(name, { incremental: true })`, which rejects
 *   negative updates) is a Prometheus `counter`, its name ending in `_total` (added when the
 *   metric's own name lacks it);
 * - any other Effect counter accepts negative updates (Effect's own `effect_fiber_active` goes
 *   down as fibers end), so it is a `gauge`: a Prometheus counter must never decrease;
 * - a frequency is a `counter` per observed value (label `key`).
 * Every family gets a `# HELP`: the metric's description, else the text {@link knownHelp} has
 * for metrics registered without one outside this app (Effect's runtime, @weft/actor).
 */
import { Effect, Metric, MetricKeyType, MetricState, Option } from "effect"
import type { MetricKey, MetricPair } from "effect"

/**
 * HELP for metrics that other modules register without a description, by their registered name.
 * Effect's fiber metrics are recorded when the runtime's `RuntimeMetrics` flag is on.
 */
export const knownHelp: Readonly<Record<string, string>> = {
  effect_fiber_started: "fibers started (Effect runtime metrics)",
  effect_fiber_active: "fibers running now (Effect runtime metrics)",
  effect_fiber_successes: "fibers that ended in success (Effect runtime metrics)",
  effect_fiber_failures: "fibers that ended in failure (Effect runtime metrics)",
  effect_fiber_lifetimes: "how long fibers lived, in milliseconds (Effect runtime metrics)",
  weft_actor_mailbox_depth: "user messages queued in the actor's mailbox, sampled when it goes idle",
  weft_actor_processed: "messages the actor handled, successfully or not",
  weft_actor_processing_ms: "milliseconds the actor spent working rather than waiting for messages",
  weft_actor_handler_ms: "milliseconds each message's handler took, suspensions included",
  weft_actor_restarts: "restarts of the actor performed by supervision",
  weft_actor_dead_letters: "messages addressed to the actor that became dead letters"
}

/** The HELP text of a family whose metric has no description and no {@link knownHelp} entry. */
export const missingHelp = "(no description registered)"

const sanitizeName = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([0-9])/, "_$1")

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")

const escapeHelp = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

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

type FamilyType = "counter" | "gauge" | "histogram" | "summary"

interface Family {
  readonly type: FamilyType
  readonly help: string
  readonly lines: Array<string>
}

const counterName = (name: string) => (name.endsWith("_total") ? name : `${name}_total`)

/** Only an incremental counter is monotonic; Effect's other counters take negative updates. */
const isMonotonic = (key: MetricKey.MetricKey.Untyped) =>
  MetricKeyType.isCounterKey(key.keyType) && key.keyType.incremental

const helpOf = (key: MetricKey.MetricKey.Untyped) =>
  Option.getOrElse(key.description, () => knownHelp[key.name] ?? missingHelp)

/** Renders metric pairs as Prometheus text: one family per metric name, samples per tag set. */
export const render = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  // The first metric seen with a name decides its family's type and help.
  const family = (name: string, type: FamilyType, key: MetricKey.MetricKey.Untyped) => {
    let found = families.get(name)
    if (found === undefined) {
      found = { type, help: helpOf(key), lines: [] }
      families.set(name, found)
    }
    return found.lines
  }
  for (const { metricKey, metricState } of pairs) {
    const name = sanitizeName(metricKey.name)
    const tags = metricKey.tags.map((label) => [label.key, label.value] as const)
    if (MetricState.isCounterState(metricState)) {
      if (isMonotonic(metricKey)) {
        const total = counterName(name)
        family(total, "counter", metricKey).push(`${total}${labels(tags)} ${number(metricState.count)}`)
      } else {
        family(name, "gauge", metricKey).push(`${name}${labels(tags)} ${number(metricState.count)}`)
      }
    } else if (MetricState.isGaugeState(metricState)) {
      family(name, "gauge", metricKey).push(`${name}${labels(tags)} ${number(metricState.value)}`)
    } else if (MetricState.isFrequencyState(metricState)) {
      const total = counterName(name)
      const lines = family(total, "counter", metricKey)
      for (const [value, count] of metricState.occurrences) {
        lines.push(`${total}${labels([...tags, ["key", value]])} ${number(count)}`)
      }
    } else if (MetricState.isHistogramState(metricState)) {
      const lines = family(name, "histogram", metricKey)
      // Effect's bucket counts are cumulative already, as Prometheus wants them.
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
      const lines = family(name, "summary", metricKey)
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
    out += `# HELP ${name} ${escapeHelp(help)}\n`
    out += `# TYPE ${name} ${type}\n`
    for (const line of lines) out += `${line}\n`
  }
  return out
}

/** The whole metric registry as Prometheus text. */
export const scrape: Effect.Effect<string> = Effect.map(Metric.snapshot, render)
