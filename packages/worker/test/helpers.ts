import { Effect } from "effect"
import { BlockingPool } from "../src/index.js"
import { waitAsync } from "../src/internal/atomics.js"
import { type Jobs } from "./fixtures/jobs.js"
import { jobsEntry, spawnTypeScript } from "./fixtures/spawn.js"

/** A pool of the test jobs, its threads started from the TypeScript sources. */
export const makeJobsPool = (options: Partial<BlockingPool.Options> = {}) =>
  BlockingPool.make<Jobs>({ entry: jobsEntry, spawn: spawnTypeScript, size: 1, ...options })

/**
 * Waits (bounded real time: these are real threads) until `probe[index] >= atLeast`.
 */
export const awaitProbe = (probe: Int32Array, index: number, atLeast: number) =>
  Effect.promise(async () => {
    const deadline = performance.now() + 10_000
    for (;;) {
      const value = Atomics.load(probe, index)
      if (value >= atLeast) return value
      if (performance.now() > deadline) throw new Error(`probe[${index}] stayed at ${value}, expected ${atLeast}`)
      const wait = waitAsync(probe, index, value, 100)
      if (wait.async) await wait.value
    }
  })

/** Opens the gate Hold and Spin jobs wait on. */
export const openGate = (probe: Int32Array) =>
  Effect.sync(() => {
    Atomics.store(probe, 2, 1)
    Atomics.notify(probe, 2)
  })

/** Polls a condition on real threads, bounded. */
export const eventually = <A>(check: Effect.Effect<A>, until: (a: A) => boolean) =>
  Effect.gen(function*() {
    const deadline = performance.now() + 10_000
    for (;;) {
      const value = yield* check
      if (until(value)) return value
      if (performance.now() > deadline) return yield* Effect.dieMessage(`condition not met: ${JSON.stringify(value)}`)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
    }
  })
