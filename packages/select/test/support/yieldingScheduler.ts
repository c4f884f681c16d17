/**
 * A scheduler that makes fibers yield at random steps (with probability `p` per step, from a seeded
 * generator) and runs every deferred task later, in FIFO order. Fibers then interleave at points
 * Effect's default scheduler practically never yields at (it yields every 2048 steps and resets
 * its count on each resumption), which exposes hand-overs that are safe only by that accident.
 *
 * Random rather than periodic: in effect 3.22.4 a fiber made to yield every n-th step (n up to 8
 * and more) can replay the same steps forever without progress.
 */
import { Scheduler } from "effect"

export const yieldingScheduler = (p: number, seed: number): Scheduler.Scheduler => {
  let state = seed | 0 || 1
  const next = () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 0x1_0000_0000
  }
  return Scheduler.make((task) => setImmediate(task), () => (next() < p ? 0 : false))
}
