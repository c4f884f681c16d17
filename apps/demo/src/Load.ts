/**
 * A load generator over real TCP: `connections` clients, each writing batches of frames
 * (`topic \0 payload`, length-delimited) as fast as the gateway accepts them. TCP backpressure
 * reaches it through @weft/stream's `toSocket`, which waits for `drain`.
 */
import { Bytes } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import { Clock, Data, Effect, Option, Stream } from "effect"
import * as Net from "node:net"
import * as Frame from "./Frame.js"

export interface Options {
  readonly host: string
  readonly port: number
  readonly connections: number
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

/** Frames sent so far, across connections (counted per batch handed to the socket). */
export interface Progress {
  sent: number
}

const topicName = (topics: number, n: number) => {
  // Skewed: topic i gets about twice the traffic of topic i + 1.
  let t = 0
  while (t < topics - 1 && (n >> t) & 1) t++
  return `sensor/${t}`
}

/** One connection's frames, in batches of `batch` frames (each batch one buffer). */
const batches = (options: Options, connection: number, progress: Progress) => {
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

/** Runs the load until every connection sent `framesPerConnection` (forever when absent). */
export const run = (options: Options, progress: Progress) =>
  Effect.forEach(
    Array.from({ length: options.connections }, (_, i) => i),
    (connection) =>
      Effect.scoped(Effect.gen(function*() {
        const socket = yield* connect(options.host, options.port)
        // toSocket half-closes the connection when the frames end.
        yield* batches(options, connection, progress).pipe(Stream.run(NodeBridge.toSocket(socket)))
      })),
    { concurrency: "unbounded", discard: true }
  )

/**
 * Starts the load in the background of the current scope. Interrupting the returned fiber cuts
 * the connections off (frames still in the kernel's buffers are never ingested).
 */
export const start = (options: Options) =>
  Effect.gen(function*() {
    const progress: Progress = { sent: 0 }
    const fiber = yield* Effect.forkScoped(run(options, progress))
    return { progress, fiber } as const
  })
