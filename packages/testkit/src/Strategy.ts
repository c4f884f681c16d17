/**
 * How an interleaving check chooses: which ready fiber runs next, where a running fiber is made
 * to yield, and when a fiber the program marked with `Interleavings.mayInterrupt` is interrupted.
 * A strategy plus a seed is one reproducible interleaving.
 *
 * - `random`: every choice uniformly at random; before each operation the running fiber yields
 *   with probability `preemption` (when another fiber is ready). No bound on what it misses, but
 *   nothing is out of its reach.
 * - `pct`: probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010). Fibers get random
 *   priorities, the highest-priority ready fiber runs, and at `depth - 1` random change points the
 *   running fiber drops below all others. A bug that needs `depth` ordering constraints among `n`
 *   fibers in a run of `steps` operations is found with probability ≥ 1 / (n · steps^(depth-1))
 *   per run.
 *
 * @since 0.1.0
 */
/**
 * @since 0.1.0
 * @category models
 */
export interface Random {
  readonly _tag: "Random"
  readonly preemption: number
  readonly interruption: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Pct {
  readonly _tag: "Pct"
  readonly depth: number
  readonly steps: number | undefined
  readonly interruption: number
}

/**
 * @since 0.1.0
 * @category models
 */
export type Strategy = Random | Pct

/**
 * Uniformly random choices. `preemption` (default 0.1) is the probability that a running fiber
 * yields before an operation when another fiber is ready; 0 explores only the order in which
 * ready fibers run, which is all Effect's default scheduler varies. `interruption` (default 0.05)
 * is the probability, per operation, of interrupting a fiber marked with `mayInterrupt`.
 *
 * @example
 * ```ts
 * import { Strategy } from "@weft/testkit"
 *
 * const orderOnly = Strategy.random({ preemption: 0 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const random = (options?: {
  readonly preemption?: number | undefined
  readonly interruption?: number | undefined
}): Random => ({
  _tag: "Random",
  preemption: options?.preemption ?? 0.1,
  interruption: options?.interruption ?? 0.05
})

/**
 * Probabilistic concurrency testing with bug depth `depth` (default 3). `steps` is the estimated
 * length of one run in operations; left out, a check takes the length of its unforced run.
 * `interruption` is as for `random`.
 *
 * @example
 * ```ts
 * import { Strategy } from "@weft/testkit"
 *
 * const depthTwo = Strategy.pct({ depth: 2 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const pct = (options?: {
  readonly depth?: number | undefined
  readonly steps?: number | undefined
  readonly interruption?: number | undefined
}): Pct => ({
  _tag: "Pct",
  depth: options?.depth ?? 3,
  steps: options?.steps,
  interruption: options?.interruption ?? 0.05
})
