/**
 * The demo benchmarks' wire side, shared by `demo.bench.ts` and the overload child: building
 * length-delimited `topic \0 payload` frames once, and writing them to a socket with backpressure.
 * (Not a `*.bench.ts`: the bench runner does not load it.)
 */
import * as Frame from "@weft/demo/Frame"
import * as Net from "node:net"

/** Fixed-size frames so a chunk of them can be cut at any frame boundary. */
export interface Wire {
  /** `framesPerChunk` whole frames, each `frameSize` bytes on the wire (header included). */
  readonly chunk: Uint8Array
  readonly frameSize: number
  readonly framesPerChunk: number
}

/** About 64 KiB of frames with `payloadSize`-byte payloads over 8 topics (same-length names). */
export const makeWire = (payloadSize: number): Wire => {
  const frames = Array.from({ length: 8 }, (_, topic) => {
    const payload = new Uint8Array(payloadSize).fill(topic + 1)
    return Frame.encode(`sensor/${topic}`, payload)
  })
  const frameSize = frames[0]!.length
  const framesPerChunk = Math.max(1, Math.floor((64 * 1024) / frameSize))
  const chunk = new Uint8Array(framesPerChunk * frameSize)
  for (let i = 0; i < framesPerChunk; i++) chunk.set(frames[i % frames.length]!, i * frameSize)
  return { chunk, frameSize, framesPerChunk }
}

/** Opens a client connection. */
export const connect = (port: number): Promise<Net.Socket> =>
  new Promise((resolve, reject) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    socket.once("error", reject)
    socket.once("connect", () => {
      socket.off("error", reject)
      resolve(socket)
    })
  })

const drained = (socket: Net.Socket): Promise<void> =>
  new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      socket.off("drain", onDrain)
      reject(error)
    }
    const onDrain = () => {
      socket.off("error", onError)
      resolve()
    }
    socket.once("drain", onDrain)
    socket.once("error", onError)
  })

/**
 * Writes `frames` frames (reusing the wire's chunk, never copying it), waiting for `drain`
 * whenever the socket's buffer is full. `pace`, when given, is awaited before each chunk.
 */
export const writeFrames = async (
  socket: Net.Socket,
  wire: Wire,
  frames: number,
  pace?: (sent: number) => Promise<void>
): Promise<void> => {
  let sent = 0
  while (sent < frames) {
    if (pace !== undefined) await pace(sent)
    const count = Math.min(wire.framesPerChunk, frames - sent)
    const bytes = count === wire.framesPerChunk ? wire.chunk : wire.chunk.subarray(0, count * wire.frameSize)
    sent += count
    if (!socket.write(bytes)) await drained(socket)
  }
}

/** Half-closes the socket and resolves when the peer has closed it too. */
export const endAndAwaitClose = (socket: Net.Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.closed) return resolve()
    socket.once("close", () => resolve())
    socket.end()
  })
