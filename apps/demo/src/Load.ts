/**
 * A load generator over real TCP: `connections` clients, each writing batches of frames
 * (`topic \0 payload`, length-delimited) as fast as the gateway accepts them. TCP backpressure
 * reaches it through @weft/stream's `toSocket`, which waits for `drain`.
 *
 * Each connection first asks for acks (`Frame.ackRequest`) and reads them while it writes: the
 * acked count and the send → ack latency (from handing a batch to the socket to reading the ack
 * that covers its frames) are in `Progress`. When a connection has sent everything it waits for
 * the gateway to close it, which happens after its last ack.
 */
import { Bytes, LengthDelimited } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import type { MetricHook } from "effect"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Net from "node:net"
import * as Acks from "./Acks.js"
import * as Frame from "./Frame.js"

export interface Options {
  readonly host: string
  readonly port: number
  readonly connections: number
  /**
   * The number of this run's first connection (default 0). It is in every payload, so runs of one
   * load that share a payload size must number their connections apart to send no duplicates.
   */
  readonly firstConnection?: number | undefined
  /** Payload bytes per frame. */
  readonly payloadSize: number
  /** Frames per socket write. */
  readonly batch: number
  /** Distinct topics; traffic is skewed towards the first ones. */
  readonly topics: number
  /** Frames per second per connection (as fast as TCP allows when absent). */
  readonly ratePerConnection?: number | undefined
  /** Stop after this many frames per connection (unbounded when absent). */
  readonly framesPerConnection?: number | undefined
}

/** The gateway could not be reached. */
export class ConnectFailed extends Data.TaggedError("ConnectFailed")<{
  readonly host: string
  readonly port: number
  readonly cause: unknown
}> {
  override get message() {
    return `cannot connect to ${this.host}:${this.port}: ${String(this.cause)}`
  }
}

/**
 * The gateway closed or reset a connection before the load was done with it: it was stopped, or
 * it closed the connection because of an error of its own. `code` is the socket error
 * (`ECONNRESET`, `EPIPE`, …), absent when the gateway closed the connection cleanly while frames
 * were still being sent.
 */
export class ServerClosed extends Data.TaggedError("ServerClosed")<{
  readonly host: string
  readonly port: number
  readonly code: string | undefined
  readonly cause: unknown
}> {
  override get message() {
    return `the gateway at ${this.host}:${this.port} closed the connection${this.code ? ` (${this.code})` : ""}`
  }
}

/** Opens a TCP connection; closing the scope destroys it. */
export const connect = (host: string, port: number) =>
  Effect.acquireRelease(
    Effect.async<Net.Socket, ConnectFailed>((resume) => {
      const socket = Net.connect({ host, port })
      const onError = (cause: Error) => resume(Effect.fail(new ConnectFailed({ host, port, cause })))
      socket.once("error", onError)
      socket.once("connect", () => {
        socket.off("error", onError)
        resume(Effect.succeed(socket))
      })
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

/** Frames sent so far, across connections (counted per batch handed to the socket), and acked. */
export interface Progress {
  sent: number
  /** Frames the gateway acked as durable in its sink, across connections. */
  acked: number
  /** Send → ack latency of every acked frame (fixed memory). */
  readonly latency: MetricHook.MetricHook.Histogram
}

export const makeProgress = (): Progress => ({ sent: 0, acked: 0, latency: Acks.makeRecorder() })

/** The client-side send → ack latency so far: count, p50, p99, max (milliseconds). */
export const latency = (progress: Progress): Acks.LatencySummary => Acks.summarize(progress.latency.get())

/**
 * One connection's batches handed to the socket and not yet fully acked: the sequence number of
 * each batch's last frame and when it was sent. Normally bounded by what TCP and the gateway
 * hold; when no acks come (the gateway runs no sink) the oldest are forgotten beyond
 * `maxTracked`.
 */
interface InFlight {
  readonly lastSeq: Array<number>
  readonly sentAt: Array<number>
  head: number
  /** Frames up to this sequence number have had their latency recorded. */
  covered: number
  /** The last ack's `durable`. */
  durable: number
}

const maxTracked = 1 << 16

const compact = (inFlight: InFlight) => {
  // Drop what was consumed once it is most of the arrays.
  if (inFlight.head > 1024 && inFlight.head * 2 > inFlight.lastSeq.length) {
    inFlight.lastSeq.splice(0, inFlight.head)
    inFlight.sentAt.splice(0, inFlight.head)
    inFlight.head = 0
  }
}

const track = (inFlight: InFlight, lastSeq: number, now: number) => {
  inFlight.lastSeq.push(lastSeq)
  inFlight.sentAt.push(now)
  if (inFlight.lastSeq.length - inFlight.head > maxTracked) {
    // Forgotten: these frames' latency will not be recorded.
    inFlight.covered = inFlight.lastSeq[inFlight.head++]!
    compact(inFlight)
  }
}

const onAck = (inFlight: InFlight, progress: Progress, ack: Frame.Ack, now: number) => {
  progress.acked += ack.durable - inFlight.durable
  inFlight.durable = ack.durable
  while (inFlight.head < inFlight.lastSeq.length && inFlight.covered < ack.through) {
    const last = inFlight.lastSeq[inFlight.head]!
    const upTo = Math.min(last, ack.through)
    Acks.record(progress.latency, now - inFlight.sentAt[inFlight.head]!, upTo - inFlight.covered)
    inFlight.covered = upTo
    if (upTo === last) inFlight.head++
  }
  compact(inFlight)
}

/** Reads the connection's acks until the gateway closes it. */
const readAcks = (socket: Net.Socket, inFlight: InFlight, progress: Progress, now: () => number) =>
  NodeBridge.fromSocket(socket).pipe(
    LengthDelimited.decode(Frame.framing),
    Stream.runForEach((body) => Effect.map(Frame.decodeAck(body), (ack) => onAck(inFlight, progress, ack, now())))
  )

const topicName = (topics: number, n: number) => {
  // Skewed: topic i gets about twice the traffic of topic i + 1.
  let t = 0
  while (t < topics - 1 && (n >> t) & 1) t++
  return `sensor/${t}`
}

/** One connection's frames, in batches of `batch` frames (each batch one buffer). */
const batches = (
  options: Options,
  connection: number,
  progress: Progress,
  onBatch: (lastSeq: number) => void
) => {
  const payload = new Uint8Array(options.payloadSize)
  let n = 0
  const total = options.framesPerConnection ?? Infinity
  const next = (): Bytes.Bytes => {
    const count = Math.min(options.batch, total - n)
    const parts: Array<Uint8Array> = []
    for (let i = 0; i < count; i++, n++) {
      // Unique payloads (sequence number in the first bytes), so checksum sees no duplicates.
      const view = new DataView(payload.buffer)
      if (payload.length >= 8) {
        view.setUint32(0, connection)
        view.setUint32(4, n)
      }
      parts.push(Frame.encode(topicName(options.topics, n), payload))
    }
    progress.sent += count
    onBatch(n)
    return Bytes.concatAll(parts.map(Bytes.fromUint8Array))
  }
  const batch = Effect.suspend(() => (n < total ? Effect.succeed(next()) : Effect.fail(Option.none())))
  const rate = options.ratePerConnection
  if (rate === undefined) return Stream.repeatEffectOption(batch)
  // Paced: before each batch, wait until the frames sent so far are within the rate budget.
  return Stream.unwrap(Effect.map(Clock.currentTimeMillis, (startedAt) =>
    Stream.repeatEffectOption(
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const due = startedAt + (n / rate) * 1000
        return due > now ? Effect.zipRight(Effect.sleep(due - now), batch) : batch
      })
    )))
}

const ackRequest = Bytes.fromUint8Array(Frame.ackRequest)

/**
 * Runs the load until every connection sent `framesPerConnection` (forever when absent) and the
 * gateway closed it (after its last ack). Fails with `ServerClosed` as soon as the gateway closes
 * or resets any connection earlier (the other connections are then cut off); `progress` has the
 * totals up to that point.
 */
export const run = (options: Options, progress: Progress) =>
  Effect.forEach(
    Array.from({ length: options.connections }, (_, i) => i),
    (connection) =>
      Effect.scoped(Effect.gen(function*() {
        const socket = yield* connect(options.host, options.port)
        const clock = yield* Effect.clock
        const now = () => Number(clock.unsafeCurrentTimeNanos()) / 1e6
        const inFlight: InFlight = { lastSeq: [], sentAt: [], head: 0, covered: 0, durable: 0 }
        const closed = (code: string | undefined, cause: unknown) =>
          new ServerClosed({ host: options.host, port: options.port, code, cause })
        let sentAll = false
        const frames = batches(
          options,
          (options.firstConnection ?? 0) + connection,
          progress,
          (lastSeq) => track(inFlight, lastSeq, now())
        )
        // toSocket half-closes the connection when the frames end.
        const write = Stream.concat(Stream.succeed(ackRequest), frames).pipe(
          Stream.run(NodeBridge.toSocket(socket)),
          Effect.mapError((error) => closed(error.code, error)),
          Effect.zipRight(Effect.sync(() => {
            sentAll = true
          }))
        )
        // The gateway closes the connection after its last ack; before everything was sent, it
        // went away (a writer pacing itself with --rate would only find out at its next write).
        const read = readAcks(socket, inFlight, progress, now).pipe(
          Effect.mapError((error) => error._tag === "ReadError" ? closed(error.code, error) : error),
          Effect.zipRight(Effect.suspend(() => sentAll ? Effect.void : Effect.fail(closed(undefined, "end of stream"))))
        )
        // Either failing interrupts the other.
        yield* Effect.all([write, read], { concurrency: 2, discard: true })
      })),
    { concurrency: "unbounded", discard: true }
  )

/**
 * Starts the load in the background of the current scope. Interrupting the returned fiber cuts
 * the connections off (frames still in the kernel's buffers are never ingested).
 */
export const start = (options: Options) =>
  Effect.gen(function*() {
    const progress = makeProgress()
    const fiber = yield* Effect.forkScoped(run(options, progress))
    return { progress, fiber } as const
  })
