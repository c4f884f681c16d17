/**
 * The dashboard's time series: one point per sample (a second apart), the last `capacity` of them
 * (five minutes by default), so a page that opens or reconnects draws the recent past at once.
 *
 * Rates are per second between two samples, from the gateway's counters (which only grow), so a
 * late or missed sample makes one wider step, never a wrong rate. A point with no previous sample
 * (the first, or a plugin's first) has `null` rates.
 */
import type * as Gateway from "../Gateway.js"

/** One plugin at one sample. */
export interface PluginPoint {
  /** Batches queued in its mailbox. */
  readonly mailbox: number
  /** Frames it handled per second since the previous sample. */
  readonly handledPerSecond: number | null
}

/** One worker thread (`--workers`) at one sample. */
export interface WorkerPoint {
  /** Batches queued for it. */
  readonly queued: number
  /** Jobs (batches) it finished per second since the previous sample. */
  readonly jobsPerSecond: number | null
}

/** Everything the charts plot at one instant. */
export interface Point {
  /** Epoch milliseconds. */
  readonly t: number
  readonly framesInPerSecond: number | null
  /** Frames written and fsynced by the sink, per second. */
  readonly ackedPerSecond: number | null
  /** Ingest → fsync latency over the gateway's recent window (`null`: nothing acked in it). */
  readonly p50Ms: number | null
  readonly p99Ms: number | null
  readonly arenaLive: number
  readonly arenaCapacity: number
  readonly plugins: Readonly<Record<string, PluginPoint>>
  /** By worker name (`worker-<id>`). */
  readonly workers: Readonly<Record<string, WorkerPoint>>
}

/** What a point is computed from: these fields of a gateway snapshot. */
export type Sample = Pick<
  Gateway.Snapshot,
  "at" | "framesIn" | "acked" | "recentLatency" | "arena" | "plugins" | "workers"
>

/** The points, oldest first, and the sample the next rates are measured from. */
export interface Series {
  readonly capacity: number
  readonly points: Array<Point>
  previous: Sample | undefined
}

/** Five minutes of one-second points. */
export const defaultCapacity = 300

export const make = (capacity = defaultCapacity): Series => ({ capacity, points: [], previous: undefined })

const perSecond = (now: number, before: number | undefined, seconds: number): number | null =>
  before === undefined || seconds <= 0 ? null : Math.max(0, Math.round((now - before) / seconds))

/** Adds the point for `sample` (dropping the oldest beyond the capacity) and returns it. */
export const record = (series: Series, sample: Sample): Point => {
  const previous = series.previous
  const seconds = previous === undefined ? 0 : (sample.at - previous.at) / 1000
  const plugins: Record<string, PluginPoint> = {}
  for (const [name, plugin] of Object.entries(sample.plugins)) {
    plugins[name] = {
      mailbox: plugin.mailbox,
      handledPerSecond: perSecond(plugin.processed, previous?.plugins[name]?.processed, seconds)
    }
  }
  const workers: Record<string, WorkerPoint> = {}
  for (const worker of sample.workers) {
    const before = previous?.workers.find((earlier) => earlier.id === worker.id)
    workers[`worker-${worker.id}`] = {
      queued: worker.mailbox,
      jobsPerSecond: perSecond(worker.jobs, before?.jobs, seconds)
    }
  }
  const latency = sample.recentLatency
  const point: Point = {
    t: sample.at,
    framesInPerSecond: perSecond(sample.framesIn, previous?.framesIn, seconds),
    ackedPerSecond: perSecond(sample.acked, previous?.acked, seconds),
    p50Ms: latency.count === 0 ? null : latency.p50Ms,
    p99Ms: latency.count === 0 ? null : latency.p99Ms,
    arenaLive: sample.arena.live,
    arenaCapacity: sample.arena.capacity,
    plugins,
    workers
  }
  series.previous = sample
  series.points.push(point)
  if (series.points.length > series.capacity) series.points.splice(0, series.points.length - series.capacity)
  return point
}
