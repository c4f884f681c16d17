/**
 * Latency over a recent window, read off a cumulative `Acks.Histogram` that only grows.
 *
 * Every second (`rotate`) a copy of the histogram's buckets goes into a ring of `steps + 1`
 * copies; the window's histogram is the live one minus the oldest copy, so it holds what was
 * recorded in the last `steps` to `steps + 1` rotations (since the start until the ring is full).
 * Recording is untouched (one bucket increment per frame); the window costs `steps + 1` copies
 * of the buckets (257 numbers each) and a subtraction per summary. Its maximum is the middle of
 * its highest non-empty bucket (within ±4.5%, like the quantiles), at most the histogram's exact
 * maximum.
 */
import * as Acks from "./Acks.js"

export interface LatencyWindow {
  readonly source: Acks.Histogram
  /** Bucket copies, oldest at `next` once the ring is full. */
  readonly ring: Array<{ readonly buckets: Float64Array; count: number }>
  next: number
  /** Rotations so far (the ring is full after `ring.length`). */
  rotations: number
}

/** A window over `source` spanning `steps` rotations. */
export const make = (source: Acks.Histogram, steps: number): LatencyWindow => ({
  source,
  ring: Array.from({ length: steps + 1 }, () => ({ buckets: new Float64Array(source.buckets.length), count: 0 })),
  next: 0,
  rotations: 0
})

/** Moves the window on by one step: call once per step (a second for the gateway). */
export const rotate = (window: LatencyWindow): void => {
  const slot = window.ring[window.next]!
  slot.buckets.set(window.source.buckets)
  slot.count = window.source.count
  window.next = (window.next + 1) % window.ring.length
  window.rotations++
}

/** p50, p99, max and count of what was recorded within the window. */
export const summarize = (window: LatencyWindow): Acks.LatencySummary => {
  const { source } = window
  // Until the ring is full, the oldest copy is the empty histogram at the start.
  const oldest = window.rotations < window.ring.length ? undefined : window.ring[window.next]!
  const buckets = new Float64Array(source.buckets)
  if (oldest !== undefined) {
    for (let i = 0; i < buckets.length; i++) buckets[i]! -= oldest.buckets[i]!
  }
  const recent: Acks.Histogram = { buckets, count: source.count - (oldest?.count ?? 0), max: Infinity }
  recent.max = recent.count === 0 ? 0 : Math.min(Acks.quantile(recent, 1), source.max)
  return Acks.summarize(recent)
}
