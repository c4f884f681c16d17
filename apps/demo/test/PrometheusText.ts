/**
 * A strict parser of the Prometheus text exposition format, version 0.0.4, for tests: it throws
 * on anything the format does not allow, and checks what a well-formed exposition promises.
 *
 * - Every line ends with `\n` (the last one too); empty lines and other comments are skipped.
 * - `# HELP name text` (escapes `\\`, `\n`) and `# TYPE name type` at most once per family, before
 *   its samples; a family's samples are contiguous.
 * - A sample is `name{label="value",…} value [timestamp]`: names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label
 *   names `[a-zA-Z_][a-zA-Z0-9_]*` (not `__`-prefixed), values escaped (`\\`, `\"`, `\n`), the value
 *   a Go float (`+Inf`, `-Inf`, `NaN` included); no sample twice.
 * - Samples belong to their family: a counter's or gauge's samples carry the family's name; a
 *   histogram has `_bucket` (with `le`), `_sum` and `_count` per label set, its buckets in
 *   increasing `le`, cumulative, ending with `le="+Inf"` equal to `_count`; a summary has
 *   quantile samples (`quantile` label), `_sum` and `_count`.
 */

export type FamilyType = "counter" | "gauge" | "histogram" | "summary" | "untyped"

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Family {
  readonly name: string
  help: string | undefined
  type: FamilyType | undefined
  readonly samples: Array<Sample>
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const float = /^[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/
const types: ReadonlyArray<FamilyType> = ["counter", "gauge", "histogram", "summary", "untyped"]

const fail = (line: number, what: string, text: string): never => {
  throw new Error(`line ${line}: ${what}: ${JSON.stringify(text)}`)
}

const parseValue = (text: string, line: number) => {
  if (!float.test(text)) fail(line, "not a float", text)
  return text.endsWith("Inf") ? (text.startsWith("-") ? -Infinity : Infinity) : Number(text)
}

/** Reads `{a="x",b="y"}` from `text` at `at` (just after `{`); returns the labels and the end. */
const parseLabels = (text: string, at: number, line: number) => {
  const labels: Record<string, string> = {}
  let i = at
  while (text[i] !== "}") {
    const eq = text.indexOf("=", i)
    if (eq === -1) fail(line, "label without =", text)
    const name = text.slice(i, eq)
    if (!labelName.test(name) || name.startsWith("__")) fail(line, `bad label name ${name}`, text)
    if (name in labels) fail(line, `label ${name} twice`, text)
    if (text[eq + 1] !== "\"") fail(line, "label value not quoted", text)
    let value = ""
    let j = eq + 2
    for (; j < text.length && text[j] !== "\""; j++) {
      if (text[j] === "\\") {
        const escaped = text[++j]
        if (escaped === "n") value += "\n"
        else if (escaped === "\\" || escaped === "\"") value += escaped
        else fail(line, `bad escape \\${escaped}`, text)
      } else {
        value += text[j]
      }
    }
    if (j >= text.length) fail(line, "unterminated label value", text)
    labels[name] = value
    i = j + 1
    if (text[i] === ",") i++
    else if (text[i] !== "}") fail(line, "expected , or } after a label", text)
  }
  return { labels, end: i + 1 }
}

const parseSample = (text: string, line: number): Sample => {
  const nameEnd = text.search(/[{ ]/)
  if (nameEnd <= 0) fail(line, "no sample name", text)
  const name = text.slice(0, nameEnd)
  if (!metricName.test(name)) fail(line, "bad metric name", text)
  let labels: Record<string, string> = {}
  let rest = text.slice(nameEnd)
  if (rest.startsWith("{")) {
    const parsed = parseLabels(text, nameEnd + 1, line)
    labels = parsed.labels
    rest = text.slice(parsed.end)
  }
  const fields = rest.split(" ")
  if (fields[0] !== "" || fields.length < 2 || fields.length > 3) fail(line, "expected ' value [timestamp]'", text)
  if (fields.length === 3 && !/^-?\d+$/.test(fields[2]!)) fail(line, "bad timestamp", text)
  return { name, labels, value: parseValue(fields[1]!, line) }
}

/** The family a sample name belongs to, given the families declared so far. */
const familyOf = (name: string, families: Map<string, Family>) => {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.slice(0, -suffix.length)
    if (name.endsWith(suffix) && ["histogram", "summary"].includes(families.get(base)?.type ?? "")) return base
  }
  return name
}

const labelKey = (labels: Readonly<Record<string, string>>, without?: string) =>
  JSON.stringify(Object.entries(labels).filter(([k]) => k !== without).sort(([a], [b]) => (a < b ? -1 : 1)))

const checkHistogram = (family: Family) => {
  const groups = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>()
  const group = (sample: Sample, without?: string) => {
    const key = labelKey(sample.labels, without)
    let found = groups.get(key)
    if (found === undefined) groups.set(key, found = { buckets: [] })
    return found
  }
  for (const sample of family.samples) {
    if (sample.name === `${family.name}_bucket`) {
      const le = sample.labels["le"]
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`)
      group(sample, "le").buckets.push([parseValue(le, 0), sample.value])
    } else if (sample.name === `${family.name}_sum`) group(sample).sum = sample.value
    else if (sample.name === `${family.name}_count`) group(sample).count = sample.value
    else throw new Error(`${family.name}: sample ${sample.name} does not belong to a histogram`)
  }
  for (const [key, { buckets, count, sum }] of groups) {
    const where = `${family.name}${key}`
    if (sum === undefined || count === undefined) throw new Error(`${where}: _sum or _count missing`)
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]![0] > buckets[i - 1]![0])) throw new Error(`${where}: buckets not in increasing le`)
      if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${where}: buckets not cumulative`)
    }
    const last = buckets[buckets.length - 1]
    if (last === undefined || last[0] !== Infinity) throw new Error(`${where}: no le="+Inf" bucket`)
    if (last[1] !== count) throw new Error(`${where}: +Inf bucket ${last[1]} is not _count ${count}`)
  }
}

const checkSummary = (family: Family) => {
  for (const sample of family.samples) {
    const ok = sample.name === family.name
      ? sample.labels["quantile"] !== undefined
      : sample.name === `${family.name}_sum` || sample.name === `${family.name}_count`
    if (!ok) throw new Error(`${family.name}: sample ${sample.name} does not belong to a summary`)
  }
}

/** Parses an exposition, throwing on the first violation; returns the families in order. */
export const parse = (text: string): Map<string, Family> => {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition does not end with a newline")
  const families = new Map<string, Family>()
  const seen = new Set<string>()
  let current: Family | undefined
  const declare = (name: string, line: number, raw: string) => {
    if (!metricName.test(name)) fail(line, "bad metric name", raw)
    let found = families.get(name)
    if (found === undefined) families.set(name, found = { name, help: undefined, type: undefined, samples: [] })
    else if (found.samples.length > 0) fail(line, "HELP or TYPE after the family's samples", raw)
    return found
  }
  text.split("\n").slice(0, -1).forEach((raw, index) => {
    const line = index + 1
    if (raw === "") return
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw)
    if (meta !== null) {
      const family = declare(meta[2]!, line, raw)
      if (meta[1] === "HELP") {
        if (family.help !== undefined) fail(line, "second HELP", raw)
        if (/\\(?!n)/.test(meta[3]!.replace(/\\\\/g, ""))) fail(line, "bad escape in HELP", raw)
        family.help = meta[3]!.replace(/\\(\\|n)/g, (_, c) => (c === "n" ? "\n" : "\\"))
      } else {
        if (family.type !== undefined) fail(line, "second TYPE", raw)
        if (!types.includes(meta[3] as FamilyType)) fail(line, "unknown TYPE", raw)
        family.type = meta[3] as FamilyType
      }
      return
    }
    if (raw.startsWith("#")) return
    const sample = parseSample(raw, line)
    const name = familyOf(sample.name, families)
    const family = families.get(name) ?? declare(name, line, raw)
    if (current !== family && family.samples.length > 0) fail(line, `samples of ${name} are not contiguous`, raw)
    current = family
    const key = `${sample.name}${labelKey(sample.labels)}`
    if (seen.has(key)) fail(line, "the same sample twice", raw)
    seen.add(key)
    family.samples.push(sample)
  })
  for (const family of families.values()) {
    if (family.type === "histogram") checkHistogram(family)
    else if (family.type === "summary") checkSummary(family)
    else if (family.samples.some((sample) => sample.name !== family.name)) {
      throw new Error(`${family.name}: a sample named otherwise`)
    }
  }
  return families
}
