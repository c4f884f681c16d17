/**
 * What a timed run leaves behind: docs/benchmarks.json (every row), docs/benchmarks.md (a table
 * per benchmark) and docs/benchmarks.svg (the weft × ratios as a chart, linked from the table).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { chartSvg } from "./chart.js"
import { formatNumber, groupRows, readReport, type Report } from "./rows.js"

/**
 * Writes the three files. A partial run (`--only`) refreshes its own package's rows and keeps the
 * others from the previous report, in the order a full run writes them (by package name, as the
 * bench files run), so that its diff shows only what it measured.
 */
export const writeReports = (docs: string, report: Report, partial: boolean) => {
  const jsonPath = path.join(docs, "benchmarks.json")
  const previous = partial ? readReport(jsonPath)?.rows ?? [] : []
  const measured = { date: report.date, machine: report.machine }
  const rows = [
    ...previous.filter((r) => !report.rows.some((n) => n.package === r.package)),
    ...report.rows.map((row) => ({ ...row, measured }))
  ].sort((a, b) => a.package < b.package ? -1 : a.package > b.package ? 1 : 0)
  const merged: Report = { ...report, rows }
  fs.writeFileSync(jsonPath, JSON.stringify(merged, null, 2) + "\n")
  fs.writeFileSync(path.join(docs, "benchmarks.md"), markdown(merged))
  fs.writeFileSync(path.join(docs, "benchmarks.svg"), chartSvg(merged))
  console.log(`\nwrote docs/benchmarks.md, docs/benchmarks.svg and docs/benchmarks.json (${report.rows.length} rows)`)
}

const markdown = ({ date, machine, rows }: Report): string => {
  const lines = [
    "# Benchmarks",
    "",
    `Written by \`pnpm bench\` on ${date} (${machine}), timing the built packages (\`dist\`) that`,
    "users install. Each bench file runs in a fresh process, and each benchmark times weft and its",
    "peers in that one process; every result is checked for correctness before it is timed.",
    "**weft ×** is weft's ops/s divided by that row's: above 1 means weft is faster. Timings vary",
    "from run to run by a few percent on a quiet machine, and more on a shared one; compare ratios,",
    "not absolute numbers, across machines. Roles: `weft`, the",
    "row the ratios are taken against; `peer`, what weft is compared with; `limit`, a bound no",
    "contender can beat (plain JS without Effect, or the Effect runtime's own floor for the same",
    "loop); `variant`, weft used another way, to show what that way costs. `pnpm bench --compare`",
    "prints each row's change against this file's JSON twin and flags drops over 15%.",
    "",
    "![weft × each peer, per benchmark](benchmarks.svg)",
    ""
  ]
  let currentPackage = ""
  for (const group of groupRows(rows)) {
    const first = group[0]!
    if (first.package !== currentPackage) {
      currentPackage = first.package
      lines.push(`## ${currentPackage}`, "")
      if (first.measured?.date !== date || first.measured.machine !== machine) {
        lines.push(
          first.measured === undefined
            ? "Measured in an earlier run than the one above (kept by a partial `--only` run).\n"
            : `Measured on ${first.measured.date} (${first.measured.machine}).\n`
        )
      }
    }
    lines.push(`### ${first.benchmark}`, "")
    if (first.goal) lines.push(`Goal: ${first.goal}.`, "")
    if (first.warmupSeconds) {
      lines.push(`Each contender timed warm, after ${first.warmupSeconds} s of untimed runs.`, "")
    }
    if (first.interleaved) {
      const { rounds, runsPerTurn } = first.interleaved
      lines.push(
        `Timed in turns: ${rounds} rounds, each contender ${runsPerTurn} runs in a row per round, each round starting with the next contender.`,
        ""
      )
    }
    lines.push(
      `| contender | role | ${first.unit}/s | ns/${first.unit} | weft × | notes |`,
      "|---|---|---:|---:|---:|---|"
    )
    for (const r of group) {
      lines.push(
        `| ${r.contender} | ${r.role} | ${formatNumber(r.opsPerSecond)} | ${r.nsPerOp.toFixed(1)} | ${
          r.weftRatio.toFixed(2)
        } | ${r.notes} |`
      )
    }
    lines.push("")
  }
  return lines.join("\n")
}
