/**
 * `pnpm bench` runs every `src/*.bench.ts` against the built packages, prints a table per
 * benchmark, and writes docs/benchmarks.md, docs/benchmarks.svg and docs/benchmarks.json.
 * `pnpm bench --quick` runs each contender once on tiny inputs and checks its result: CI's smoke
 * run, with no timings asserted or written. `--only <package>` limits the run to one package's
 * file. `--compare` prints each row's change against the committed docs/benchmarks.json and
 * writes nothing, so that file stays the baseline.
 *
 * Each bench file runs in a fresh Node process (this script again, with `--only` and
 * `--rows-to`), in a quick run as in a timed one, so the smoke run exercises the same path. In
 * one long process the JIT state left by earlier files — call sites inside Effect's runtime
 * turned megamorphic, a grown heap — slowed later rows by up to 3× (the arena rows: the
 * allocUpTo path ran at 0.33× the Map after every other file, at 1.0× on its own).
 */
import { measure } from "mitata"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { compareReports } from "./compare.js"
import type { Benchmark, BenchmarkFile, Contender } from "./harness.js"
import { writeReports } from "./report.js"
import { formatNumber, readReport, type Row } from "./rows.js"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const compare = args.includes("--compare")
const onlyIndex = args.indexOf("--only")
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined
const rowsToIndex = args.indexOf("--rows-to")
/** Set in a child process: where to write its rows for the parent, instead of reporting them. */
const rowsTo = rowsToIndex >= 0 ? args[rowsToIndex + 1] : undefined

const here = path.dirname(fileURLToPath(import.meta.url))
const docs = path.resolve(here, "../../../docs")

/** What a bench file's module exports: its benchmarks, and what releases their resources. */
interface BenchModule {
  readonly benchmarks: BenchmarkFile
  readonly teardown?: () => Promise<void>
}

const benchFiles = () => fs.readdirSync(here).filter((f) => f.endsWith(".bench.ts")).sort()

const loadBenchmarks = async () => {
  const files = benchFiles()
  const all: Array<Benchmark<unknown>> = []
  const teardowns: Array<() => Promise<void>> = []
  for (const file of files) {
    if (only !== undefined && file !== `${only}.bench.ts`) continue
    const mod = (await import(pathToFileURL(path.join(here, file)).href)) as BenchModule
    all.push(...mod.benchmarks({ quick }))
    if (mod.teardown !== undefined) teardowns.push(mod.teardown)
  }
  return { benchmarks: all, teardowns }
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

/** A contender's timing: mean, median and 99th percentile of one run, in nanoseconds. */
interface Timing {
  readonly avg: number
  readonly p50: number
  readonly p99: number
}

/** One contender warmed and timed by mitata. */
const timeInSequence = async (bench: Benchmark<unknown>, contender: Contender<unknown>): Promise<Timing> => {
  await warmUp(contender, bench.warmupSeconds ?? 0)
  return measure(
    contender.run,
    bench.samples === undefined
      ? { min_samples: 8, max_samples: 2_000, min_cpu_time: 1_000_000_000 }
      : { min_samples: bench.samples, max_samples: bench.samples, min_cpu_time: 0 }
  )
}

/** Every contender warmed, then timed in turns (`Benchmark.interleaved`). */
const timeInTurns = async (
  bench: Benchmark<unknown>,
  { rounds, runsPerTurn }: { readonly rounds: number; readonly runsPerTurn: number }
) => {
  for (const contender of bench.contenders) await warmUp(contender, bench.warmupSeconds ?? 0)
  const samples = new Map(bench.contenders.map((contender) => [contender, [] as Array<number>]))
  const { contenders } = bench
  for (let round = 0; round < rounds; round++) {
    // Each round starts with the next contender: what one leaves behind (garbage to collect, a
    // cooled cache) falls on each of the others in turn, not always on the same one.
    for (let turn = 0; turn < contenders.length; turn++) {
      const contender = contenders[(round + turn) % contenders.length]!
      for (let i = 0; i < runsPerTurn; i++) {
        const start = process.hrtime.bigint()
        await contender.run()
        samples.get(contender)!.push(Number(process.hrtime.bigint() - start))
      }
    }
  }
  return new Map([...samples].map(([contender, runs]): [Contender<unknown>, Timing] => {
    const sorted = runs.sort((a, b) => a - b)
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
    return [contender, { avg: sorted.reduce((sum, ns) => sum + ns, 0) / sorted.length, p50: at(0.5), p99: at(0.99) }]
  }))
}

/** Runs `contender` untimed until `seconds` have passed. */
const warmUp = async (contender: Contender<unknown>, seconds: number): Promise<void> => {
  const until = performance.now() + seconds * 1000
  while (performance.now() < until) await contender.run()
}

const main = async () => {
  if (only === undefined) {
    const rows = runEachFileApart()
    if (!quick) report(rows)
    return
  }
  const { benchmarks, teardowns } = await loadBenchmarks()
  try {
    const rows = await runAll(benchmarks) ?? []
    if (rowsTo !== undefined) fs.writeFileSync(rowsTo, JSON.stringify(rows))
    else if (!quick) report(rows)
  } finally {
    // Worker threads keep the process alive until their owners let them go.
    for (const teardown of teardowns) await teardown()
  }
}

/** Runs every bench file in its own process, its output shown as it runs, and gathers the rows. */
const runEachFileApart = (): Array<Row> => {
  const rowsFile = path.join(os.tmpdir(), `weft-bench-rows-${process.pid}.json`)
  const rows: Array<Row> = []
  try {
    for (const file of benchFiles()) {
      const name = file.slice(0, -".bench.ts".length)
      execFileSync(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          ...(quick ? ["--quick"] : []),
          "--only",
          name,
          "--rows-to",
          rowsFile
        ],
        { stdio: "inherit" }
      )
      rows.push(...(JSON.parse(fs.readFileSync(rowsFile, "utf8")) as Array<Row>))
    }
  } finally {
    fs.rmSync(rowsFile, { force: true })
  }
  return rows
}

/** Times every contender (after checking its result); in a quick run only checks. */
const runAll = async (benchmarks: ReadonlyArray<Benchmark<unknown>>): Promise<Array<Row> | undefined> => {
  const rows: Array<Row> = []
  for (const bench of benchmarks) {
    console.log(`\n${bench.package} · ${bench.name}${bench.goal ? `  (goal: ${bench.goal})` : ""}`)
    const measured: Array<
      { contender: Contender<unknown>; opsPerSecond: number; p50: number; p99: number; notes: string }
    > = []
    // In sequence, each contender is checked, then timed; in turns, all are checked first.
    const timed = new Map<Contender<unknown>, Timing>()
    const notes = new Map<Contender<unknown>, string>()
    for (const contender of bench.contenders) {
      notes.set(contender, await runChecked(bench, contender))
      if (quick) console.log(`  ok  ${contender.name}${notes.get(contender) ? `  ${notes.get(contender)}` : ""}`)
      else if (bench.interleaved === undefined) timed.set(contender, await timeInSequence(bench, contender))
    }
    if (quick) continue
    if (bench.interleaved !== undefined) {
      for (const [contender, timing] of await timeInTurns(bench, bench.interleaved)) timed.set(contender, timing)
    }
    for (const contender of bench.contenders) {
      const { avg, p50, p99 } = timed.get(contender)!
      measured.push({ contender, opsPerSecond: bench.opsPerRun / (avg / 1e9), p50, p99, notes: notes.get(contender)! })
    }
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
        ...(bench.warmupSeconds ? { warmupSeconds: bench.warmupSeconds } : {}),
        ...(bench.interleaved ? { interleaved: bench.interleaved } : {}),
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
    return undefined
  }
  return rows
}

/** Writes the reports (a partial run keeps the other packages' rows), or with `--compare` compares. */
const report = (rows: ReadonlyArray<Row>) => {
  const machine = `${os.cpus()[0]?.model ?? "unknown CPU"} × ${os.cpus().length}, ${
    Math.round(os.totalmem() / 2 ** 30)
  } GiB, Node ${process.version}`
  const result = { date: new Date().toISOString().slice(0, 10), machine, rows: [...rows] }
  if (!compare) return writeReports(docs, result, only !== undefined)
  const baseline = readReport(path.join(docs, "benchmarks.json"))
  if (baseline === undefined) throw new Error("--compare needs a committed docs/benchmarks.json")
  compareReports(baseline, rows)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
