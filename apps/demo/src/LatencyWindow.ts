/**
 * Latency over a recent window, read off a histogram that only grows (`Acks.durableLatencies`).
 *
 * Every second (`rotate`) the histogram is read into a ring of `steps + 1` readings; the window
 * is the histogram now minus the oldest reading (`Acks.since`), so it holds what was recorded in
 * the last `steps` to `steps + 1` rotations (since the window was made, until the ring is full).
 * Recording is untouched (the histogram's own update per frame); the window costs `steps + 1`
 * readings (210 buckets each) and a subtraction per summary. Its maximum is the middle of its
 * highest non-empty bucket (within ±4.5%, like the quantiles), at most the histogram's exact
 * maximum.
 */
import * as Acks from "./Acks.js"

export interface LatencyWindow {
  readonly read: () => Acks.Histogram
  /** Readings, the oldest at `next`; all of them the reading at the start until the ring is full. */
  readonly ring: Array<Acks.Histogram>
  next: number
}

/** A window over the histogram `read` reads, spanning `steps` rotations. */
export const make = (read: () => Acks.Histogram, steps: number): LatencyWindow => {
  const start = read()
  return { read, ring: Array.from({ length: steps + 1 }, () => start), next: 0 }
}

/** Moves the window on by one step: call once per step (a second for the gateway). */
export const rotate = (window: LatencyWindow): void => {
  window.ring[window.next] = window.read()
  window.next = (window.next + 1) % window.ring.length
}

/** p50, p99, max and count of what was recorded within the window. */
export const summarize = (window: LatencyWindow): Acks.LatencySummary =>
  Acks.summarize(Acks.since(window.read(), window.ring[window.next]!))
