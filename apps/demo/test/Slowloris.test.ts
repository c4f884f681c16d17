import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect } from "effect"
import type * as Net from "node:net"
import * as Frame from "../src/Frame.js"
import * as Gateway from "../src/Gateway.js"
import { awaitClose, connect, start, waitUntil, write } from "./helpers.js"

/** Every byte the gateway sends on `socket`, as it arrives. */
const received = (socket: Net.Socket) => {
  const chunks: Array<Buffer> = []
  socket.on("data", (chunk: Buffer) => chunks.push(chunk))
  return () => Buffer.concat(chunks)
}

/** `durable` of the last ack in `bytes` (acks are `u32 length = 16, u64 durable, u64 through`). */
const lastAck = (bytes: Buffer): number => {
  const ackLength = 4 + 16
  if (bytes.length < ackLength) return 0
  const last = Math.floor(bytes.length / ackLength) * ackLength - ackLength
  return Number(bytes.readBigUInt64BE(last + 4))
}

/**
 * A normal client: asks for acks, sends `count` frames, half-closes and waits until the gateway
 * closes. Returns how many of its frames were acked (0 when it was refused).
 */
const sendAcked = (port: number, count: number) =>
  Effect.scoped(Effect.gen(function*() {
    const socket = yield* connect(port)
    const bytes = received(socket)
    const frames = Array.from({ length: count }, (_, i) => Frame.encode("normal", `frame ${i}`))
    yield* Effect.ignore(write(socket, Buffer.concat([Frame.ackRequest, ...frames])))
    socket.end()
    yield* awaitClose(socket)
    return lastAck(bytes())
  }))

/** Opens `count` connections that each send the header of a frame, then one byte every 100 ms. */
const slowClients = (port: number, count: number) =>
  Effect.forEach(Array.from({ length: count }), () =>
    Effect.gen(function*() {
      const socket = yield* connect(port)
      yield* write(socket, new Uint8Array([0, 0, 1, 0]))
      // Bounded: 100 bytes at most, and it stops as soon as the gateway closes the connection.
      yield* Effect.forkScoped(Effect.gen(function*() {
        for (let i = 0; i < 100 && !socket.destroyed; i++) {
          yield* Effect.sleep("100 millis")
          socket.write(new Uint8Array([0x61]))
        }
      }))
      return socket
    }))

describe("slow clients (slowloris)", () => {
  it.scopedLive(
    "slow clients fill every slot; the frame deadline frees them and a normal client gets in and is acked",
    () =>
      Effect.gen(function*() {
        const { gateway } = yield* start({
          plugins: ["stats", "sink"],
          maxConnections: 4,
          frameDeadline: "500 millis",
          idleTimeout: "30 seconds"
        })
        const port = gateway.tcpAddress.port
        const slow = yield* slowClients(port, 4)
        yield* waitUntil("4 slow clients hold every slot", Effect.sync(() => gateway.counters.connectionsActive === 4))
        const startedAt = yield* Clock.currentTimeMillis
        // The normal client retries until it is let in (bounded by waitUntil's limit).
        let acked = 0
        yield* waitUntil(
          "the normal client got in and its 10 frames were acked",
          Effect.map(sendAcked(port, 10), (n) => (acked = n) === 10),
          5_000
        )
        const waitedMs = (yield* Clock.currentTimeMillis) - startedAt
        expect(acked).toBe(10)
        // Within the deadline (500 ms), a sweeper tick (50 ms) and the client's own work.
        expect(waitedMs).toBeLessThan(2_000)
        expect(gateway.counters.connectionsRefused).toBeGreaterThanOrEqual(1)
        // The normal client may get the first freed slot before the sweeper has reached every slow
        // client (their deadlines differ by their connect times): each of them is still timed out.
        yield* waitUntil(
          "every slow client was closed at its frame deadline",
          Effect.sync(() => gateway.counters.frameDeadlines === 4 && slow.every((socket) => socket.destroyed)),
          2_000
        )
        expect(gateway.counters.idleTimeouts).toBe(0)
        const failures = gateway.counters.failures.filter((failure) => failure.error === "FrameDeadline")
        expect(failures).toHaveLength(4)
        expect(failures[0]!.message).toMatch(/did not complete a frame within 500 ms/)
        const snapshot = yield* gateway.snapshot()
        expect(snapshot.connections).toMatchObject({ idleTimeouts: 0, frameDeadlines: 4 })
      }),
    30_000
  )

  it.scopedLive("a connection that sends nothing is closed after idleTimeout, and counted", () =>
    Effect.gen(function*() {
      const { gateway } = yield* start({ plugins: ["stats"], idleTimeout: "300 millis" })
      const socket = yield* connect(gateway.tcpAddress.port)
      const startedAt = yield* Clock.currentTimeMillis
      yield* awaitClose(socket)
      const waitedMs = (yield* Clock.currentTimeMillis) - startedAt
      expect(waitedMs).toBeGreaterThanOrEqual(250)
      expect(waitedMs).toBeLessThan(3_000)
      yield* waitUntil("the timeout was logged", Effect.sync(() => gateway.counters.failures.length === 1))
      expect(gateway.counters.failures[0]).toMatchObject({ error: "IdleTimeout" })
      expect(gateway.counters).toMatchObject({ idleTimeouts: 1, frameDeadlines: 0 })
    }))

  it.scopedLive("a timeout that is not a positive, finite duration is an InvalidConfig", () =>
    Effect.gen(function*() {
      const cases = [
        { idleTimeout: 0 },
        { idleTimeout: Duration.infinity },
        { frameDeadline: "-1 seconds" as Duration.DurationInput },
        { frameDeadline: "soon" as Duration.DurationInput },
        { drainTimeout: "soon" as Duration.DurationInput },
        { drainTimeout: Duration.infinity },
        { maxRequestBodyBytes: 0 }
      ]
      for (const overrides of cases) {
        const error = yield* Effect.flip(start(overrides))
        expect(error).toBeInstanceOf(Gateway.InvalidConfig)
        expect(error).toMatchObject({ option: Object.keys(overrides)[0] })
      }
    }))
})
