/**
 * The benchmark model: every benchmark names one weft contender and its peers, runs them in the
 * same process, checks every result for correctness, and reports ops/s and the weft/peer ratio.
 */

/**
 * Who a contender is: weft itself, a peer to beat, a "limit" row (a bound: plain JS without Effect,
 * or the Effect runtime's floor for the same loop), or a "variant": weft used another way, shown
 * to say what that way costs (e.g. inside a Stream).
 */
export type Role = "weft" | "peer" | "limit" | "variant"

export interface Contender<R> {
  readonly name: string
  readonly role: Role
  /** One run of the workload. Its result goes to `Benchmark.check`. */
  readonly run: () => R | Promise<R>
  /** Facts to print beside the timing, e.g. messages lost or bytes retained. */
  readonly report?: (result: R) => string
}

export interface Benchmark<R> {
  /** The package under test, e.g. "bytes". */
  readonly package: string
  readonly name: string
  /** What one operation is, e.g. "frame" or "message". */
  readonly unit: string
  /** How many operations one run performs. */
  readonly opsPerRun: number
  /** The goal from the issue, e.g. "≥ 2× every peer". Printed, never asserted. */
  readonly goal?: string
  /**
   * Timed runs per contender, for long end-to-end runs (seconds each). By default the runner
   * takes at least 8 and keeps going until a second of runs has passed.
   */
  readonly samples?: number
  /**
   * Seconds each contender runs untimed before its timed runs, for workloads whose code the JIT
   * compiles late (Effect's runtime on both sides of a worker thread warms up over thousands of
   * jobs): each is then timed warm, as a long-running process runs it. By default only mitata's
   * own warm-up of sub-millisecond runs.
   */
  readonly warmupSeconds?: number
  /**
   * Times the contenders in turns instead of one after the other: `rounds` rounds, each running
   * every contender `runsPerTurn` times in a row, each round starting with the next contender. For
   * single slow operations whose speed drifts with the machine (a round trip through PostgreSQL):
   * the drift then falls on every contender alike, not on whichever was timed last.
   */
  readonly interleaved?: { readonly rounds: number; readonly runsPerTurn: number }
  readonly contenders: ReadonlyArray<Contender<R>>
  /** Throws when a contender's result is wrong. Runs in quick and full mode alike. */
  readonly check: (result: R, contender: Contender<R>) => void
}

/** Workload sizes: `quick` is CI's smoke run, tiny and untimed. */
export interface Size {
  readonly quick: boolean
}

/** What every `*.bench.ts` file exports as `benchmarks`. */
export type BenchmarkFile = (size: Size) => ReadonlyArray<Benchmark<any>>

/** A helper that keeps each benchmark's result type checked against its contenders. */
export const benchmark = <R>(self: Benchmark<R>): Benchmark<R> => self

/** Throws with a readable message; benches use it in `check`. */
export const expect = (condition: boolean, message: () => string): void => {
  if (!condition) throw new Error(message())
}
