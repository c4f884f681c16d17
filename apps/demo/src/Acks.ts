/**
 * Acks to TCP clients and the ingest → durable latency.
 *
 * Per-frame facts (which connection, its sequence number there, when it was decoded) live in
 * typed arrays indexed by the frame's arena slot: the arena has a fixed number of slots, so this
 * costs no allocation per frame. Ingest writes a slot's facts before the frame is dispatched;
 * the sink copies them while it still holds its share of the frame (a slot is reused only once
 * every plugin has released it), and after its fsync hands them to {@link confirm}, which counts
 * the frames durable per connection, records their latency and writes one cumulative ack per
 * connection that asked for acks (`Frame.ackRequest`).
 *
 * A client that does not read its acks never makes the gateway buffer more than one: while an
 * ack waits for the socket to drain, later ones are folded into the next (they are cumulative).
 *
 * A client may close or reset its socket at any moment, also while the gateway still owes it
 * acks (it half-closed and waits for its last ack, or it was killed). Writing an ack to such a
 * socket fails; that ends the connection, is reported as {@link AckWriteFailed}, and never
 * reaches the process: every registered socket has an `error` listener for its whole life.
 *
 * Everything here is synchronous and runs on the fibers of the gateway (connection loops, the
 * sink actor); JavaScript runs one of them at a time, so no step is interleaved with another.
 */
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricHook from "effect/MetricHook"
import * as MetricKey from "effect/MetricKey"
import type * as Net from "node:net"
import * as Frame from "./Frame.js"

// ---------------------------------------------------------------------------------------------
// latency histogram

/** Buckets per power of two: each is 2^(1/8) ≈ 9% wide, so a quantile is within ±4.5%. */
const perOctave = 8
/** Bucket bounds run from 1 µs to 2^26 µs (about 67 s); longer durations land in `+Inf`. */
const octaves = 26

/**
 * The bucket bounds of every latency histogram, in milliseconds: 2^(i/8) µs for i = 0 … 208 —
 * the resolution of a Prometheus native histogram of schema 3.
 */
export const latencyBoundaries = MetricBoundaries.fromIterable(
  Array.from({ length: octaves * perOctave + 1 }, (_, i) => 2 ** (i / perOctave) / 1000)
)

/**
 * Latencies in milliseconds, as an Effect histogram holds them: cumulative bucket counts by upper
 * bound (the last bound is `Infinity`), the count and the exact maximum. Quantiles are estimated
 * from the buckets, clamped to the maximum.
 */
export interface Histogram {
  readonly buckets: ReadonlyArray<readonly [number, number]>
  readonly count: number
  readonly max: number
}

/** The summary a snapshot or a load report shows. */
export interface LatencySummary {
  readonly count: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

/**
 * Ingest → durable (fsynced in the sink), the one record of it: `/metrics` exports it, and the
 * snapshots read their since-start and recent percentiles off it (`latency`, `LatencyWindow`).
 * Process-wide, like every Effect metric; updated with `unsafeUpdate` from the sink's commit step
 * (a plain call per frame, not an Effect per frame).
 */
export const durableLatencyMetric = Metric.histogram(
  "weft_demo_ingest_to_durable_ms",
  latencyBoundaries,
  "milliseconds from a frame's decoding to its fsync in the sink"
)

/** {@link durableLatencyMetric}'s latencies now. */
export const durableLatencies = (): Histogram => durableLatencyMetric.unsafeValue([])

/** A histogram outside Effect's registry (a load run's own): `update` records, `get` reads. */
export const makeRecorder = (): MetricHook.MetricHook.Histogram =>
  MetricHook.histogram(MetricKey.histogram("weft_demo_latency_ms", latencyBoundaries))

/** Records `times` observations of `ms` milliseconds. */
export const record = (recorder: MetricHook.MetricHook.Histogram, ms: number, times = 1): void => {
  for (let i = 0; i < times; i++) recorder.update(ms)
}

/** A bucket's estimate: the geometric middle of its range (its bound over half a bucket's width). */
const middleOf = (bound: number) => bound * 2 ** (-0.5 / perOctave)

/** The `q`-quantile (0 < q ≤ 1) in milliseconds; 0 when empty. Monotonic in `q`, at most `max`. */
export const quantile = (histogram: Histogram, q: number): number => {
  if (histogram.count === 0) return 0
  const rank = Math.ceil(q * histogram.count)
  for (const [bound, cumulative] of histogram.buckets) {
    if (cumulative >= rank) return bound === Infinity ? histogram.max : Math.min(middleOf(bound), histogram.max)
  }
  return histogram.max
}

/**
 * What was recorded after `earlier` was read, `later` being read since (both off one histogram).
 * Its maximum is exact when `earlier` was empty, else the estimate of its highest non-empty
 * bucket (within ±4.5%), at most the exact maximum of all.
 */
export const since = (later: Histogram, earlier: Histogram): Histogram => {
  if (earlier.count === 0) return later
  const buckets = later.buckets.map(([bound, count], i) => [bound, count - earlier.buckets[i]![1]] as const)
  const recent = { buckets, count: later.count - earlier.count, max: later.max }
  return { ...recent, max: recent.count === 0 ? 0 : quantile(recent, 1) }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000

/** p50, p99 and the maximum, rounded to the microsecond. */
export const summarize = (histogram: Histogram): LatencySummary => ({
  count: histogram.count,
  p50Ms: round(quantile(histogram, 0.5)),
  p99Ms: round(quantile(histogram, 0.99)),
  maxMs: histogram.count === 0 ? 0 : round(histogram.max)
})

// ---------------------------------------------------------------------------------------------
// connections and the per-slot frame table

/** An ack could not be written: the client closed or reset its socket. Ends that connection only. */
export class AckWriteFailed extends Data.TaggedError("AckWriteFailed")<{
  readonly connection: number
  /** The socket error's code (`EPIPE`, `ECONNRESET`, …), when it has one. */
  readonly code: string | undefined
  /** The ack that could not be written: the connection's frames durable by then. */
  readonly durable: number
}> {
  override get message() {
    return `ack (${this.durable} durable) to connection ${this.connection} failed: ${
      this.code ?? "socket error"
    } (the client closed or reset the connection)`
  }
}

/** One TCP connection's ack state. */
export interface Connection {
  readonly id: number
  readonly socket: Net.Socket
  /** Whether the client sent `Frame.ackRequest`. */
  wantsAcks: boolean
  /** Data frames ingested: the last sequence number given out. */
  received: number
  /** Of those, the frames dispatched while a sink was running: the ones that can become durable. */
  toSink: number
  /** Frames of this connection written and fsynced by the sink. */
  durable: number
  /** The sequence number of the newest durable frame. */
  through: number
  /** `durable` as of the last ack handed to the socket. */
  sent: number
  /** An ack is waiting for `drain`; it will carry the latest counts when written. */
  awaitingDrain: boolean
  /** Set while one `confirm` gathers this connection's frames (so it is acked once per batch). */
  touched: boolean
  /** The socket failed (reset, or an ack write failed): nothing more can be written to it. */
  broken: boolean
  /** The ack write that failed, if one did. */
  ackFailure: AckWriteFailed | undefined
  /** Completed when the connection is settled (see {@link settled}), once someone waits for it. */
  settledSignal: Deferred.Deferred<void> | undefined
}

/** The gateway's ack bookkeeping. */
export interface Ledger {
  /** Per arena slot: the id of the connection whose frame it holds (ids start at 1). */
  readonly connectionOf: Uint32Array
  /** Per arena slot: the frame's sequence number on its connection. */
  readonly sequenceOf: Float64Array
  /** Per arena slot: when the frame was decoded, in milliseconds (the gateway's `now`). */
  readonly decodedAt: Float64Array
  readonly connections: Map<number, Connection>
  /** {@link durableLatencies} when the ledger was made: `latency` is what came after. */
  readonly latenciesAtStart: Histogram
  /** Milliseconds on a monotonic high-resolution clock. */
  readonly now: () => number
  /** Whether a sink plugin is running (frames dispatched now can become durable). */
  sinkRunning: boolean
  nextId: number
}

/** Bookkeeping for an arena of `capacity` slots. */
export const make = (capacity: number, now: () => number): Ledger => ({
  connectionOf: new Uint32Array(capacity),
  sequenceOf: new Float64Array(capacity),
  decodedAt: new Float64Array(capacity),
  connections: new Map(),
  latenciesAtStart: durableLatencies(),
  now,
  sinkRunning: false,
  nextId: 1
})

/**
 * Ingest (decoded) → durable in the sink, since the ledger was made. (Read off the process-wide
 * {@link durableLatencyMetric}: ledgers that live at the same time would see each other's frames.)
 */
export const latency = (acks: Ledger): Histogram => since(durableLatencies(), acks.latenciesAtStart)

/** Registers a new connection. */
export const open = (acks: Ledger, socket: Net.Socket): Connection => {
  const connection: Connection = {
    id: acks.nextId++,
    socket,
    wantsAcks: false,
    received: 0,
    toSink: 0,
    durable: 0,
    through: 0,
    sent: 0,
    awaitingDrain: false,
    touched: false,
    broken: false,
    ackFailure: undefined,
    settledSignal: undefined
  }
  acks.connections.set(connection.id, connection)
  // The ingest loop reads socket errors only while it reads the socket; after a half-close nobody
  // does, and an `error` event without a listener would end the process. So one listener stays
  // for the socket's whole life: the connection is broken, and whoever waits on it is woken.
  socket.on("error", () => {
    connection.broken = true
    wake(acks, connection)
  })
  return connection
}

/** Forgets a connection: its frames still in flight are written by the sink but acked to nobody. */
export const close = (acks: Ledger, connection: Connection): void => {
  acks.connections.delete(connection.id)
  if (connection.settledSignal !== undefined) Deferred.unsafeDone(connection.settledSignal, Exit.void)
}

/**
 * Ingest: the frame in arena slot `index` is `connection`'s next one, decoded at `decodedAt`.
 * Returns whether it counts as sent to the sink (one is running).
 */
export const admit = (acks: Ledger, connection: Connection, index: number, decodedAt: number): boolean => {
  acks.connectionOf[index] = connection.id
  acks.sequenceOf[index] = ++connection.received
  acks.decodedAt[index] = decodedAt
  if (acks.sinkRunning) connection.toSink++
  return acks.sinkRunning
}

/**
 * Ingest: a frame that counted as sent to the sink reached only some plugins; it may never
 * become durable, so the connection does not wait for it.
 */
export const unadmit = (connection: Connection): void => {
  connection.toSink--
}

/**
 * Whether the connection waits for no more acks: all frames sent to a sink are durable, no sink
 * runs, or its socket is broken (no ack can reach the client any more).
 */
export const settled = (acks: Ledger, connection: Connection): boolean =>
  connection.broken || !acks.sinkRunning || connection.durable >= connection.toSink

/** The client asked for acks: from now on it gets them (at once, if frames are already durable). */
export const requestAcks = (connection: Connection): void => {
  connection.wantsAcks = true
  sendAck(connection)
}

/**
 * Waits until the connection is {@link settled} (or closed). Used when a client has half-closed:
 * its last ack is written before the gateway closes the socket.
 *
 * Cancellation safety: interrupting the wait changes nothing but the wait.
 */
export const awaitSettled = (acks: Ledger, connection: Connection): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (settled(acks, connection) || !acks.connections.has(connection.id)) return Effect.void
    connection.settledSignal ??= Deferred.unsafeMake<void>(FiberId.none)
    return Deferred.await(connection.settledSignal)
  })

/**
 * Ends the socket gracefully once the connection's latest ack is written: when an ack waits for
 * `drain`, it is written first (ending at once would leave it unwritten). Then discards what the
 * client still sends and resumes when the client has closed its side too (or at once when the
 * socket is broken): closing a socket with unread input sends an RST, and an RST makes the
 * client's kernel drop the acks the client has not read yet.
 *
 * Cancellation safety: interrupting the wait leaves the socket ending; the caller destroys it.
 */
export const endAfterLastAck = (connection: Connection): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const { socket } = connection
    if (connection.broken || socket.destroyed) return resume(Effect.void)
    const end = () => {
      socket.once("close", () => resume(Effect.void))
      socket.on("data", discard)
      socket.resume()
      socket.end()
    }
    // Registered after sendAck's own `drain` listener, so the pending ack is written first.
    if (connection.awaitingDrain) socket.once("drain", end)
    else end()
  })

/** The ack write that failed on this connection, as the failure of its connection loop. */
export const ackFailure = (connection: Connection): Effect.Effect<void, AckWriteFailed> =>
  Effect.suspend(() => connection.ackFailure === undefined ? Effect.void : Effect.fail(connection.ackFailure))

/** Writes the connection's latest cumulative ack, unless the previous one still waits to drain. */
const sendAck = (connection: Connection): void => {
  const { socket } = connection
  if (
    connection.awaitingDrain || connection.broken || connection.sent === connection.durable || !socket.writable
  ) return
  const durable = connection.sent = connection.durable
  // A failed write also emits `error` (and destroys the socket): the listener from `open` wakes waiters.
  const written = socket.write(Frame.encodeAck(durable, connection.through), (error) => {
    if (error == null) return
    connection.broken = true
    connection.ackFailure ??= new AckWriteFailed({ connection: connection.id, code: errorCode(error), durable })
  })
  if (!written) {
    connection.awaitingDrain = true
    socket.once("drain", () => {
      connection.awaitingDrain = false
      sendAck(connection)
    })
  }
}

const discard = () => {}

const errorCode = (error: Error): string | undefined =>
  "code" in error && typeof error.code === "string" ? error.code : undefined

const wake = (acks: Ledger, connection: Connection) => {
  if (connection.settledSignal !== undefined && settled(acks, connection)) {
    Deferred.unsafeDone(connection.settledSignal, Exit.void)
  }
}

/**
 * The sink: the `count` frames described by the arrays (connection id, sequence number, decode
 * time, as read from the frame table when the sink received them) are written and fsynced.
 * Counts them per connection, records their latency, and writes one ack per connection.
 */
export const confirm = (
  acks: Ledger,
  batch: {
    readonly connectionOf: Uint32Array
    readonly sequenceOf: Float64Array
    readonly decodedAt: Float64Array
  },
  count: number
): void => {
  const now = acks.now()
  const touched: Array<Connection> = []
  let lastId = 0
  let last: Connection | undefined
  for (let i = 0; i < count; i++) {
    const ms = Math.max(0, now - batch.decodedAt[i]!)
    durableLatencyMetric.unsafeUpdate(ms, [])
    const id = batch.connectionOf[i]!
    // Frames of one connection usually come in runs: look the connection up once per run.
    if (id !== lastId) {
      lastId = id
      last = acks.connections.get(id)
    }
    if (last === undefined) continue
    last.durable++
    last.through = Math.max(last.through, batch.sequenceOf[i]!)
    if (!last.touched) {
      last.touched = true
      touched.push(last)
    }
  }
  for (const connection of touched) {
    connection.touched = false
    if (connection.wantsAcks) sendAck(connection)
    wake(acks, connection)
  }
}

/** A sink plugin started: frames dispatched from now on can become durable. */
export const sinkStarted = (acks: Ledger): void => {
  acks.sinkRunning = true
}

/** The sink plugin stopped (after its drain): no more acks come; waiting connections may close. */
export const sinkStopped = (acks: Ledger): void => {
  acks.sinkRunning = false
  for (const connection of acks.connections.values()) wake(acks, connection)
}
