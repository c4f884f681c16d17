import { describe, expect, it } from "@effect/vitest"
import { LengthDelimited } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import { Effect, FastCheck as fc, Fiber, Stream } from "effect"
import * as Frame from "../src/Frame.js"
import { awaitClose, connect, readSink, start, waitUntil, write } from "./helpers.js"

const encodeFrames = (prefix: string, from: number, count: number, size = 0) =>
  Buffer.concat(Array.from(
    { length: count },
    (_, i) => Frame.encode(`t-${(from + i) % 3}`, `${prefix}-${from + i}`.padEnd(size, "."))
  ))

/** A client that asked for acks; `acks` records every ack it read, `sent` the frames written so far. */
const ackingClient = (port: number) =>
  Effect.gen(function*() {
    const socket = yield* connect(port)
    const client = { socket, sent: 0, acks: [] as Array<Frame.Ack & { readonly sentThen: number }> }
    const reader = yield* Effect.fork(
      NodeBridge.fromSocket(socket).pipe(
        LengthDelimited.decode(Frame.framing),
        Stream.mapEffect(Frame.decodeAck),
        Stream.runForEach((ack) => Effect.sync(() => void client.acks.push({ ...ack, sentThen: client.sent }))),
        Effect.ignore
      )
    )
    yield* write(socket, Frame.ackRequest)
    const send = (prefix: string, count: number, size?: number) =>
      Effect.suspend(() => {
        const from = client.sent
        client.sent += count
        return write(socket, encodeFrames(prefix, from, count, size))
      })
    return { client, reader, send } as const
  })

describe("ack accounting", () => {
  it.scopedLive("the sink acks a batch while another plugin's lane is full: acked never runs ahead of frames in", () =>
    Effect.gen(function*() {
      // `slow` after `sink`, with a lane of one batch and 1 s per frame: the third batch reaches
      // the sink (which acks it) while its dispatch waits for the slow plugin's lane.
      const { gateway } = yield* start({
        plugins: ["sink", "slow"],
        mailboxCapacity: 1,
        slowDelay: "1 second",
        sinkBatch: 1,
        drainTimeout: "100 millis"
      })
      const socket = yield* connect(gateway.tcpAddress.port)
      for (const [batch, expectedIn] of [[0, 5], [1, 10]] as const) {
        yield* write(socket, encodeFrames("b", batch * 5, 5))
        yield* waitUntil(`${expectedIn} frames in`, Effect.sync(() => gateway.counters.framesIn >= expectedIn))
      }
      yield* write(socket, encodeFrames("b", 10, 5))
      yield* waitUntil("the sink acked the third batch", Effect.sync(() => gateway.sink.acked >= 15))
      const snapshot = yield* gateway.snapshot()
      expect(snapshot.acked).toBe(15)
      expect(snapshot.framesIn).toBeGreaterThanOrEqual(snapshot.acked)
    }))

  it.scopedLive.prop(
    "acked ≤ frames in at every snapshot, and each ack ≤ the client's frames, whatever the plugins, lanes and cut-off",
    {
      plugins: fc.constantFrom(
        ["sink", "slow"] as const,
        ["slow", "sink"] as const,
        ["stats", "sink", "slow"] as const,
        ["sink", "stats"] as const
      ),
      mailboxCapacity: fc.integer({ min: 1, max: 3 }),
      slowDelayMs: fc.integer({ min: 0, max: 20 }),
      // Large frames make several socket reads, so several batches, per write.
      payloadBytes: fc.constantFrom(16, 4096, 20_000),
      sinkBatch: fc.integer({ min: 1, max: 64 }),
      writes: fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 8 }),
      cutOff: fc.boolean()
    },
    ({ cutOff, mailboxCapacity, payloadBytes, plugins, sinkBatch, slowDelayMs, writes }) =>
      Effect.gen(function*() {
        const running = yield* start({
          plugins,
          mailboxCapacity,
          slowDelay: `${slowDelayMs} millis`,
          sinkBatch,
          drainTimeout: "2 seconds"
        })
        const { gateway } = running
        const violations: Array<string> = []
        const check = Effect.map(gateway.snapshot(), (s) => {
          if (s.acked > s.framesIn) violations.push(`acked ${s.acked} > frames in ${s.framesIn}`)
        })
        const sampler = yield* Effect.fork(Effect.forever(Effect.zipRight(check, Effect.sleep("1 millis"))))
        const { client, reader, send } = yield* ackingClient(gateway.tcpAddress.port)
        for (const count of writes) yield* send("p", count, payloadBytes)
        if (cutOff) yield* running.shutdown
        else {
          client.socket.end()
          yield* awaitClose(client.socket)
        }
        yield* Fiber.interrupt(sampler)
        yield* check
        yield* running.shutdown
        yield* Fiber.join(reader)
        expect(violations).toEqual([])
        expect(gateway.sink.acked).toBeLessThanOrEqual(gateway.counters.framesIn)
        for (const ack of client.acks) {
          expect(ack.durable).toBeLessThanOrEqual(ack.through)
          expect(ack.through).toBeLessThanOrEqual(ack.sentThen)
        }
        if (!cutOff) expect(client.acks.at(-1)).toMatchObject({ durable: client.sent, through: client.sent })
      }),
    { timeout: 240_000, fastCheck: { numRuns: 25 } }
  )

  it.scopedLive("at shutdown under load, a client's final ack covers every frame of it in the sink", () =>
    Effect.gen(function*() {
      const running = yield* start({ plugins: ["stats", "sink"], sinkBatch: 256 })
      const { client, reader, send } = yield* ackingClient(running.gateway.tcpAddress.port)
      // Keeps writing until the gateway closes the connection; paced, so that the gateway and the
      // ack reader (in this process too) get their turns.
      const writer = yield* Effect.fork(
        Effect.ignore(Effect.forever(Effect.zipRight(send("d", 64), Effect.sleep("1 millis"))))
      )
      yield* waitUntil("2000 frames acked", Effect.sync(() => (client.acks.at(-1)?.durable ?? 0) >= 2000))
      yield* running.shutdown
      yield* Fiber.join(reader)
      yield* Fiber.interrupt(writer)
      const inSink = (yield* readSink(running.config.sinkPath)).length
      expect(inSink).toBe(running.gateway.sink.acked)
      expect(client.acks.at(-1)).toMatchObject({ durable: inSink, through: inSink })
    }))
})
