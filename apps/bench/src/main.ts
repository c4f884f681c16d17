/**
 * `pnpm bench` runs every `src/*.bench.ts`, prints a table per benchmark, and writes
 * docs/benchmarks.md and docs/benchmarks.json. `pnpm bench --quick` runs each contender once on
 * tiny inputs and checks its result: CI's smoke run, with no timings asserted or written.
 * `--only <package>` limits the run to one package's file.
 */
import { measure } from "mitata"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { Benchmark, BenchmarkFile, Contender } from "./harness.js"

interface Row {
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
  readonly notes: string
}

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const onlyIndex = args.indexOf("--only")
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined

const here = path.dirname(fileURLToPath(import.meta.url))
const docs = path.resolve(here, "../../../docs")

const loadBenchmarks = async (): Promise<ReadonlyArray<Benchmark<unknown>>> => {
  const files = fs.readdirSync(here).filter((f) => f.endsWith(".bench.ts")).sort()
  const all: Array<Benchmark<unknown>> = []
  for (const file of files) {
    if (only !== undefined && file !== `${only}.bench.ts`) continue
    const mod = (await import(pathToFileURL(path.join(here, file)).href)) as { benchmarks: BenchmarkFile }
    all.push(...mod.benchmarks({ quick }))
  }
  return all
}

const runChecked = async (bench: Benchmark<unknown>, contender: Contender<unknown>): Promise<string> => {
  const result = await contender.run()
  try {
    bench.check(result, contender)
  } catch (error) {
    throw new Error(`${bench.package} / ${bench.name} / ${contender.name}: wrong result: ${String(error)}`)
  }
  return contender.report?.(result) ?? ""
}

const formatNumber = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1)

const main = async () => {
  const benchmarks = await loadBenchmarks()
  const rows: Array<Row> = []
  for (const bench of benchmarks) {
    console.log(`\n${bench.package} · ${bench.name}${bench.goal ? `  (goal: ${bench.goal})` : ""}`)
    const measured: Array<
      { contender: Contender<unknown>; opsPerSecond: number; p50: number; p99: number; notes: string }
    > = []
    for (const contender of bench.contenders) {
      const notes = await runChecked(bench, contender)
      if (quick) {
        console.log(`  ok  ${contender.name}${notes ? `  ${notes}` : ""}`)
        continue
      }
      const stats = await measure(
        contender.run,
        bench.samples === undefined
          ? { min_samples: 8, max_samples: 2_000, min_cpu_time: 1_000_000_000 }
          : { min_samples: bench.samples, max_samples: bench.samples, min_cpu_time: 0 }
      )
      const opsPerSecond = bench.opsPerRun / (stats.avg / 1e9)
      measured.push({ contender, opsPerSecond, p50: stats.p50, p99: stats.p99, notes })
    }
    if (quick) continue
    const weft = measured.find((m) => m.contender.role === "weft")
    for (const m of measured) {
      const weftRatio = weft ? weft.opsPerSecond / m.opsPerSecond : NaN
      rows.push({
        package: bench.package,
        benchmark: bench.name,
        contender: m.contender.name,
        role: m.contender.role,
        unit: bench.unit,
        opsPerSecond: m.opsPerSecond,
        nsPerOp: 1e9 / m.opsPerSecond,
        p50Ms: m.p50 / 1e6,
        p99Ms: m.p99 / 1e6,
        weftRatio,
        goal: bench.goal ?? "",
        notes: m.notes
      })
      console.log(
        `  ${m.contender.role.padEnd(5)} ${m.contender.name.padEnd(40)} ${
          formatNumber(m.opsPerSecond).padStart(10)
        } ${bench.unit}/s`
          + `  weft ×${weftRatio.toFixed(2)}${m.notes ? `  ${m.notes}` : ""}`
      )
    }
  }
  if (quick) {
    console.log(`\nbench smoke: ${benchmarks.length} benchmarks, every contender's result checked`)
    return
  }
  writeReports(rows)
}

const writeReports = (rows: ReadonlyArray<Row>) => {
  const machine = `${os.cpus()[0]?.model ?? "unknown CPU"} × ${os.cpus().length}, ${
    Math.round(os.totalmem() / 2 ** 30)
  } GiB, Node ${process.version}`
  const date = new Date().toISOString().slice(0, 10)
  // A partial run (--only) refreshes its own package's rows and keeps the others.
  const jsonPath = path.join(docs, "benchmarks.json")
  const previous: ReadonlyArray<Row> = only !== undefined && fs.existsSync(jsonPath)
    ? (JSON.parse(fs.readFileSync(jsonPath, "utf8")) as { rows: ReadonlyArray<Row> }).rows
    : []
  const merged = [...previous.filter((r) => !rows.some((n) => n.package === r.package)), ...rows]
  fs.writeFileSync(jsonPath, JSON.stringify({ date, machine, rows: merged }, null, 2) + "\n")

  const lines = [
    "# Benchmarks",
    "",
    `Written by \`pnpm bench\` on ${date} (${machine}). Each benchmark runs weft and its peers in one`,
    "process; every result is checked for correctness before it is timed. **weft ×** is weft's",
    "ops/s divided by that row's: above 1 means weft is faster. Timings vary from run to run by a",
    "few percent on a quiet machine, and more on a shared one; compare ratios, not absolute numbers,",
    "across machines. Roles: `weft`, the row the ratios are taken against; `peer`, what weft is",
    "compared with; `limit`, a bound no contender can beat (plain JS without Effect, or the Effect",
    "runtime's own floor for the same loop); `variant`, weft used another way, to show what that",
    "way costs.",
    ""
  ]
  for (const pkg of [...new Set(merged.map((r) => r.package))]) {
    lines.push(`## ${pkg}`, "")
    for (const name of [...new Set(merged.filter((r) => r.package === pkg).map((r) => r.benchmark))]) {
      const group = merged.filter((r) => r.package === pkg && r.benchmark === name)
      const first = group[0]!
      lines.push(`### ${name}`, "")
      if (first.goal) lines.push(`Goal: ${first.goal}.`, "")
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
  }
  fs.writeFileSync(path.join(docs, "benchmarks.md"), lines.join("\n"))
  console.log(`\nwrote docs/benchmarks.md and docs/benchmarks.json (${rows.length} rows)`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
