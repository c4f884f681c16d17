/**
 * What the gateway counts: per-connection outcomes, the counters that outlive it (for the summary
 * after shutdown), the owned `Snapshot` the HTTP API and dashboard read, and its Effect metrics.
 */
import type { LengthDelimited } from "@weft/bytes"
import type { NodeBridge } from "@weft/stream"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type * as Net from "node:net"
import type * as Acks from "../Acks.js"
import type * as Frame from "../Frame.js"
import type * as Timeouts from "../Timeouts.js"
import type { ConnectionLimit } from "./Config.js"

/** Why a connection was closed by the gateway. */
export type ConnectionError =
  | LengthDelimited.DecodeError
  | Frame.MalformedFrame
  | NodeBridge.ReadError
  | Acks.AckWriteFailed
  | ConnectionLimit
  | Timeouts.Expired

/** One connection the gateway closed because of an error, as logged. */
export interface ConnectionFailure {
  readonly peer: string
  readonly error: string
  readonly message: string
}

/**
 * The client's `address:port` as logged. A client that reset the connection before the gateway
 * got to it has no address any more (Node's `remoteAddress` is then `undefined`).
 */
export const peerOf = (socket: Pick<Net.Socket, "remoteAddress" | "remotePort">): string =>
  socket.remoteAddress === undefined
    ? "unknown (reset before it was accepted)"
    : `${socket.remoteAddress}:${socket.remotePort}`

/** Counters that outlive the gateway, so a summary can be printed after shutdown. */
export interface Counters {
  /** Frames stored in the arena, counted before any plugin sees them (so `acked ≤ framesIn`). */
  framesIn: number
  bytesIn: number
  /** Frames whose batch reached only some plugins (a "fail" lane turned it away, or a plugin was stopping). */
  framesPartial: number
  connectionsAccepted: number
  connectionsActive: number
  connectionsRefused: number
  /** Connections the gateway closed because of an error (refused ones included), since the start. */
  connectionsFailed: number
  /** Connections closed because they sent nothing for `idleTimeout`. */
  idleTimeouts: number
  /** Connections closed because they did not complete a started frame within `frameDeadline`. */
  frameDeadlines: number
  /** Dead letters, by reason, as the system reported them. */
  readonly deadLetters: Map<string, number>
  /** Supervised restarts, by plugin. */
  readonly restarts: Map<string, number>
  /**
   * Dead letters and lifecycle events the gateway's followers fell too far behind to read (each
   * lag reported with its exact count): `deadLetters` by reason and `restarts` are short by at
   * most this much. 0 unless the system's `deadLetterBuffer` overflowed.
   */
  systemEventsLost: number
  /** The most recent connection failures (at most {@link recentFailures}); `connectionsFailed` counts them all. */
  readonly failures: Array<ConnectionFailure>
}

/** An owned, JSON-ready view of the whole gateway at one instant. */
/** One worker thread at a snapshot. */
export interface WorkerSample {
  readonly id: number
  /** Batches waiting in its mailbox. */
  readonly mailbox: number
  readonly jobs: number
  readonly frames: number
}

export interface Snapshot {
  readonly at: number
  readonly uptimeMs: number
  readonly framesIn: number
  readonly bytesIn: number
  readonly acked: number
  readonly deadLetters: number
  readonly deadLettersByReason: Record<string, number>
  readonly restarts: Record<string, number>
  /** See `Counters.systemEventsLost`. */
  readonly systemEventsLost: number
  readonly connections: {
    readonly active: number
    readonly accepted: number
    readonly refused: number
    readonly failed: number
    readonly idleTimeouts: number
    readonly frameDeadlines: number
  }
  readonly arena: {
    readonly capacity: number
    readonly live: number
    readonly bytes: number
    readonly highWater: number
    readonly waiting: number
  }
  readonly plugins: Record<string, { readonly mailbox: number; readonly processed: number }>
  readonly topTopics: ReadonlyArray<{ readonly topic: string; readonly score: number }>
  readonly topicStats: Record<string, { readonly frames: number; readonly bytes: number }>
  readonly checksum: { readonly combined: string; readonly duplicates: number }
  /**
   * The `compress` plugin: frames it took, deflated on the main thread, and turned away by a
   * stopping worker; bytes in and out over the main thread and every worker.
   */
  readonly compress: {
    readonly processed: number
    readonly inlineFrames: number
    readonly dropped: number
    readonly bytesIn: number
    readonly bytesOut: number
  }
  /** The compress plugin's worker threads (`--workers`): jobs (batches) and frames done, batches queued. */
  readonly workers: ReadonlyArray<WorkerSample>
  readonly sink: {
    readonly acked: number
    readonly pending: number
    readonly syncs: number
    readonly bytes: number
    /** Failed attempts to write or fsync a batch (each batch is retried until it is durable). */
    readonly writeFailures: number
  }
  /** Ingest (decoded) → durable in the sink (written and fsynced), per frame, since the start. */
  readonly latency: Acks.LatencySummary
  /** The same latency over about the last `windowSeconds` (10 to 11 s: the window moves every second). */
  readonly recentLatency: Acks.LatencySummary & { readonly windowSeconds: number }
  /** The gateway process's memory when the snapshot was taken (`process.memoryUsage()`). */
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number }
}

/** The window of `Snapshot.recentLatency`. */
export const recentLatencySeconds = 10

/** How many failures `Counters.failures` keeps. */
export const recentFailures = 64

export const framesInMetric = Metric.counter("weft_demo_frames_in_total", {
  incremental: true,
  description: "frames ingested, counted when stored in the arena (before any plugin sees them)"
})
export const bytesInMetric = Metric.counter("weft_demo_bytes_in_total", {
  incremental: true,
  description: "bytes of the frames ingested (length prefixes excluded)"
})
export const connectionsMetric = Metric.gauge("weft_demo_connections_active", {
  description: "TCP connections open now"
})
export const connectionErrorsMetric = Metric.counter("weft_demo_connection_errors_total", {
  incremental: true,
  description: "connections the gateway closed because of an error, by error"
})
export const ackedMetric = Metric.counter("weft_demo_sink_acked_total", {
  incremental: true,
  description: "frames written and fsynced by the sink"
})
/** The standard Prometheus name for a process's resident memory. */
export const residentMemoryMetric = Metric.gauge("process_resident_memory_bytes", {
  description: "resident set size of the gateway process, in bytes"
})

/**
 * Publishes a plain, growing field to an incremental counter: each call adds what it grew by, in
 * one synchronous step, so an interrupted publish (a `/metrics` client gone) loses no delta.
 */
export const counterFeed = (metric: Metric.Metric.Counter<number>, read: () => number) => {
  let published = 0
  return Effect.sync(() => {
    const now = read()
    metric.unsafeUpdate(now - published, [])
    published = now
  })
}
