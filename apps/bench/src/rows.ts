/**
 * The benchmark report's model: a row per contender, the report of one run, and how rows are
 * grouped and read back.
 */
import * as fs from "node:fs"

export interface Row {
  readonly package: string
  readonly benchmark: string
  readonly contender: string
  readonly role: string
  readonly unit: string
  readonly opsPerSecond: number
  readonly nsPerOp: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** weft ops/s ÷ this contender's ops/s: above 1 means weft is faster. */
  readonly weftRatio: number
  readonly goal: string
  /** Seconds each contender ran untimed before it was timed (`Benchmark.warmupSeconds`), if any. */
  readonly warmupSeconds?: number
  /** How the contenders were timed in turns (`Benchmark.interleaved`), if they were. */
  readonly interleaved?: { readonly rounds: number; readonly runsPerTurn: number }
  readonly notes: string
  /** The run that measured this row (rows kept from an earlier run by `--only` keep theirs). */
  readonly measured?: { readonly date: string; readonly machine: string }
}

export interface Report {
  readonly date: string
  readonly machine: string
  readonly rows: ReadonlyArray<Row>
}

export const formatNumber = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1)

export const readReport = (jsonPath: string): Report | undefined =>
  fs.existsSync(jsonPath) ? (JSON.parse(fs.readFileSync(jsonPath, "utf8")) as Report) : undefined

/** Groups rows by package, then benchmark, in the order they first appear. */
export const groupRows = (rows: ReadonlyArray<Row>): ReadonlyArray<ReadonlyArray<Row>> => {
  const groups = new Map<string, Array<Row>>()
  for (const row of rows) {
    const key = `${row.package}\u0000${row.benchmark}`
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [row])
    else group.push(row)
  }
  return [...groups.values()]
}
