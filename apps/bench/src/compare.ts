/**
 * `pnpm bench --compare`: each row of this run against the committed docs/benchmarks.json, so a
 * regression is visible in review. A weft row whose ops/s fell, or a peer row whose weft × ratio
 * fell, by more than 15% is flagged. Rows new to this run, or gone from it, are listed as such.
 */
import type { Report, Row } from "./rows.js"

const threshold = 0.15

const key = (row: Row) => `${row.package} · ${row.benchmark} · ${row.contender}`

const percent = (now: number, before: number) => {
  const change = now / before - 1
  return `${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)}%`
}

/** Prints the comparison and returns how many rows were flagged. */
export const compareReports = (baseline: Report, current: ReadonlyArray<Row>): number => {
  const before = new Map(baseline.rows.map((row) => [key(row), row]))
  let flagged = 0
  console.log(`\ncompared with docs/benchmarks.json (${baseline.date}, ${baseline.machine})`)
  for (const row of current) {
    const old = before.get(key(row))
    before.delete(key(row))
    if (old === undefined) {
      console.log(`  new       ${key(row)}`)
      continue
    }
    // The weft row is judged by its own speed; every other row by how far weft is ahead of it.
    const [now, then, what] = row.role === "weft"
      ? [row.opsPerSecond, old.opsPerSecond, "ops/s"]
      : [row.weftRatio, old.weftRatio, "weft ×"]
    const dropped = now < then * (1 - threshold)
    if (dropped) flagged++
    console.log(`  ${dropped ? "DROP >15%" : "         "} ${key(row)}: ${what} ${percent(now, then)}`)
  }
  const currentPackages = new Set(current.map((row) => row.package))
  for (const [name, row] of before) {
    if (currentPackages.has(row.package)) console.log(`  gone      ${name}`)
  }
  console.log(flagged === 0 ? "no row dropped by more than 15%" : `${flagged} row(s) dropped by more than 15%`)
  return flagged
}
