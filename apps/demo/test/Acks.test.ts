import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Bytes, LengthDelimited } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import { Effect, FastCheck, Fiber, Stream } from "effect"
import type * as Net from "node:net"
import * as Acks from "../src/Acks.js"
import * as Frame from "../src/Frame.js"
import * as Load from "../src/Load.js"
import * as SinkFile from "../src/SinkFile.js"
import { connect, get, readSink, sendInBatches, start, waitUntil, write } from "./helpers.js"

const frames = (n: number, prefix: string, topics = 3) =>
  Array.from({ length: n }, (_, i) => [`topic-${i % topics}`, `${prefix}-${i}`] as const)

const encodeAll = (list: ReadonlyArray<readonly [string, string]>) =>
  Buffer.concat(list.map(([topic, payload]) => Frame.encode(topic, payload)))

/**
 * A client that asked for acks: every ack it reads is recorded, with what the sink file held
 * (frames of this client, by payload prefix) at that moment. The reader ends when the gateway
 * closes the connection.
 */
const ackClient = (port: number, options: { readonly prefix: string; readonly sinkPath?: string }) =>
  Effect.gen(function*() {
    const socket = yield* connect(port)
    const acks: Array<Frame.Ack & { readonly inFileThen: number }> = []
    const inFile = options.sinkPath === undefined
      ? Effect.succeed(-1)
      : Effect.map(
        readSink(options.sinkPath),
        (all) => all.filter(([, p]) => p.startsWith(`${options.prefix}-`)).length
      )
    const reader = yield* NodeBridge.fromSocket(socket).pipe(
      LengthDelimited.decode(Frame.framing),
      Stream.mapEffect(Frame.decodeAck),
      Stream.runForEach((ack) => Effect.map(inFile, (inFileThen) => acks.push({ ...ack, inFileThen }))),
      Effect.fork
    )
    yield* write(socket, Frame.ackRequest)
    return { socket, acks, reader } as const
  })

const halfClose = (socket: Net.Socket) => Effect.sync(() => socket.end())

const expectCumulative = (acks: ReadonlyArray<Frame.Ack>) => {
  for (let i = 1; i < acks.length; i++) {
    expect(acks[i]!.durable).toBeGreaterThan(acks[i - 1]!.durable)
    expect(acks[i]!.through).toBeGreaterThanOrEqual(acks[i - 1]!.through)
  }
}

describe("acks to TCP clients", () => {
  it.scopedLive("acks are cumulative, follow the fsync, and after shutdown the file holds exactly the acked frames", () =>
    Effect.gen(function*() {
      const running = yield* start({ plugins: ["stats", "sink"], sinkBatch: 64 })
      const { gateway } = running
      const port = gateway.tcpAddress.port
      const sinkPath = running.config.sinkPath
      const a = yield* ackClient(port, { prefix: "a", sinkPath })
      const b = yield* ackClient(port, { prefix: "b", sinkPath })
      const sentA = frames(1000, "a")
      const sentB = frames(600, "b", 2)
      // Several writes per client, so batches of both interleave in the sink.
      for (let i = 0; i < 1000; i += 250) {
        yield* write(a.socket, encodeAll(sentA.slice(i, i + 250)))
        if (i < 600) yield* write(b.socket, encodeAll(sentB.slice(i, i + 250)))
      }
      yield* halfClose(a.socket)
      yield* halfClose(b.socket)
      // The gateway closes each connection after its last ack.
      yield* Fiber.join(a.reader)
      yield* Fiber.join(b.reader)

      for (const [client, total] of [[a, 1000], [b, 600]] as const) {
        expect(client.acks.length).toBeGreaterThan(0)
        // Coalesced: at most one ack per sink batch, far fewer than frames.
        expect(client.acks.length).toBeLessThanOrEqual(gateway.sink.syncs)
        expectCumulative(client.acks)
        expect(client.acks.at(-1)).toMatchObject({ durable: total, through: total })
        for (const ack of client.acks) {
          // Nothing was lost: every frame up to `through` is durable...
          expect(ack.durable).toBe(ack.through)
          // ...and was in the file before the client read the ack.
          expect(ack.inFileThen).toBeGreaterThanOrEqual(ack.durable)
        }
      }

      const snapshot = yield* gateway.snapshot()
      expect(snapshot.latency.count).toBe(1600)
      expect(snapshot.latency.p50Ms).toBeGreaterThan(0)
      expect(snapshot.latency.p50Ms).toBeLessThanOrEqual(snapshot.latency.p99Ms)
      expect(snapshot.latency.p99Ms).toBeLessThanOrEqual(snapshot.latency.maxMs)
      expect(snapshot.sink.writeFailures).toBe(0)
      const metrics = yield* get(`${running.url}/metrics`)
      expect(metrics.text).toContain("# TYPE weft_demo_ingest_to_durable_ms histogram\n")
      expect(metrics.text).toMatch(/^weft_demo_ingest_to_durable_ms_count \d+$/m)

      yield* running.shutdown
      const written = yield* readSink(sinkPath)
      expect(written.length).toBe(a.acks.at(-1)!.durable + b.acks.at(-1)!.durable)
      expect(written.length).toBe(gateway.sink.acked)
      expect(written.filter(([, p]) => p.startsWith("a-"))).toEqual(sentA)
      expect(written.filter(([, p]) => p.startsWith("b-"))).toEqual(sentB)
    }))

  it.scopedLive("without a sink there are no acks, and the connection closes once its frames are in", () =>
    Effect.gen(function*() {
      const { gateway } = yield* start({ plugins: ["stats"] })
      const client = yield* ackClient(gateway.tcpAddress.port, { prefix: "m" })
      yield* write(client.socket, encodeAll(frames(200, "m")))
      yield* halfClose(client.socket)
      yield* Fiber.join(client.reader)
      expect(gateway.counters.framesIn).toBe(200)
      expect(client.acks).toEqual([])
      expect(gateway.sink.acked).toBe(0)
      expect((yield* gateway.snapshot()).latency).toEqual({ count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 })
    }))

  it.scopedLive("a sink removed at runtime acks what it had; later frames are never acked", () =>
    Effect.gen(function*() {
      const running = yield* start({ plugins: ["stats", "sink"], sinkBatch: 16 })
      const { gateway } = running
      const client = yield* ackClient(gateway.tcpAddress.port, { prefix: "m" })
      yield* write(client.socket, encodeAll(frames(100, "m")))
      yield* waitUntil("100 frames acked to the client", Effect.sync(() => client.acks.at(-1)?.durable === 100))
      yield* gateway.removePlugin("sink")
      yield* write(client.socket, encodeAll(frames(50, "late")))
      yield* halfClose(client.socket)
      yield* Fiber.join(client.reader)
      expect(gateway.counters.framesIn).toBe(150)
      expect(client.acks.at(-1)).toMatchObject({ durable: 100, through: 100 })
      expectCumulative(client.acks)
      yield* running.shutdown
      expect(yield* readSink(running.config.sinkPath)).toEqual(frames(100, "m"))
    }))

  it.scopedLive("chaos crashes every 100th message: every frame is acked by the sink or dead-lettered with a reason", () =>
    Effect.gen(function*() {
      const running = yield* start({ plugins: ["stats", "sink", "chaos"], chaosEvery: 100, sinkBatch: 64 })
      const { gateway } = running
      const client = yield* ackClient(gateway.tcpAddress.port, { prefix: "m" })
      const sent = frames(1000, "m", 4)
      // Batches of 50 frames: frames 100, 200, ... end the 2nd, 4th, ... batch, one crash each.
      yield* sendInBatches(client.socket, sent, 50, () => gateway.counters.framesIn)
      yield* halfClose(client.socket)
      yield* Fiber.join(client.reader)
      yield* waitUntil("chaos saw 1000 frames", Effect.sync(() => gateway.chaos.seen === 1000))
      yield* running.shutdown
      // The client: every frame acked (the crashes were in another plugin).
      expect(client.acks.at(-1)).toMatchObject({ durable: 1000, through: 1000 })
      expectCumulative(client.acks)
      // Chaos: each frame processed, or in a batch dead-lettered with its reason (once per batch).
      expect(gateway.chaos.processed + gateway.chaos.crashedFrames).toBe(1000)
      expect(gateway.chaos.crashedFrames).toBe(10 * 50)
      expect(gateway.counters.deadLetters.get("Crashed")).toBe(gateway.chaos.crashes)
      expect(gateway.chaos.crashes).toBe(10)
      expect([...gateway.counters.deadLetters.keys()]).toEqual(["Crashed"])
      expect(gateway.counters.restarts.get("plugin-chaos")).toBe(10)
      expect(yield* readSink(running.config.sinkPath)).toEqual(sent)
    }))

  it.scopedLive("acks may be asked for after the first frames: they count the connection's frames from the start", () =>
    Effect.gen(function*() {
      const running = yield* start({ plugins: ["sink"], sinkBatch: 8 })
      const socket = yield* connect(running.gateway.tcpAddress.port)
      yield* write(socket, encodeAll(frames(20, "early")))
      yield* waitUntil("20 durable", Effect.sync(() => running.gateway.sink.acked === 20))
      const acks: Array<Frame.Ack> = []
      const reader = yield* NodeBridge.fromSocket(socket).pipe(
        LengthDelimited.decode(Frame.framing),
        Stream.mapEffect(Frame.decodeAck),
        Stream.runForEach((ack) => Effect.sync(() => acks.push(ack))),
        Effect.fork
      )
      yield* write(socket, Buffer.concat([Frame.ackRequest, encodeAll(frames(5, "late"))]))
      yield* halfClose(socket)
      yield* Fiber.join(reader)
      expect(acks[0]).toEqual({ durable: 20, through: 20 })
      expect(acks.at(-1)).toEqual({ durable: 25, through: 25 })
    }))
})

describe("the load generator", () => {
  it.scopedLive("reads acks: every frame it sent is acked, with its send → ack latency", () =>
    Effect.gen(function*() {
      const running = yield* start({ plugins: ["stats", "sink"], sinkBatch: 64 })
      const progress = Load.makeProgress()
      const options = {
        host: "127.0.0.1",
        port: running.gateway.tcpAddress.port,
        connections: 2,
        payloadSize: 16,
        batch: 50,
        topics: 3,
        framesPerConnection: 500
      }
      // Returns once the gateway closed both connections, after their last acks.
      yield* Load.run(options, progress)
      expect(progress.sent).toBe(1000)
      expect(progress.acked).toBe(1000)
      const latency = Load.latency(progress)
      expect(latency.count).toBe(1000)
      expect(latency.p50Ms).toBeGreaterThan(0)
      expect(latency.p50Ms).toBeLessThanOrEqual(latency.p99Ms)
      expect(latency.p99Ms).toBeLessThanOrEqual(latency.maxMs)
      yield* running.shutdown
      expect(yield* readSink(running.config.sinkPath)).toHaveLength(1000)
    }))

  it.scopedLive("shut down under load: every frame acked to a client is in the file, once", () =>
    Effect.gen(function*() {
      const running = yield* start({ plugins: ["stats", "sink"], sinkBatch: 128 })
      const load = yield* Load.start({
        host: "127.0.0.1",
        port: running.gateway.tcpAddress.port,
        connections: 3,
        payloadSize: 16,
        batch: 64,
        topics: 4
      })
      yield* waitUntil("5000 frames acked to the load", Effect.sync(() => load.progress.acked >= 5000))
      // Cut off mid-stream: connections are interrupted, the sink drains and fsyncs.
      yield* running.shutdown
      const ackedToClients = load.progress.acked
      const written = yield* readSink(running.config.sinkPath)
      expect(written.length).toBe(running.gateway.sink.acked)
      expect(written.length).toBeGreaterThanOrEqual(ackedToClients)
      // Payloads are unique (connection and sequence number in their first bytes): no duplicates.
      const bodies = yield* SinkFile.readAll(running.config.sinkPath).pipe(Effect.provide(NodeFileSystem.layer))
      expect(new Set(bodies.map((body) => Buffer.from(body).toString("hex"))).size).toBe(written.length)
    }))

  it.scopedLive("against a gateway without a sink: nothing acked, and it still finishes", () =>
    Effect.gen(function*() {
      const { gateway } = yield* start({ plugins: ["stats"] })
      const progress = Load.makeProgress()
      yield* Load.run({
        host: "127.0.0.1",
        port: gateway.tcpAddress.port,
        connections: 1,
        payloadSize: 8,
        batch: 10,
        topics: 1,
        framesPerConnection: 100
      }, progress)
      expect(progress).toMatchObject({ sent: 100, acked: 0 })
      expect(Load.latency(progress).count).toBe(0)
      expect(gateway.counters.framesIn).toBe(100)
    }))
})

describe("ack frames", () => {
  it.effect("encode and decode u64 counts beyond 2^32", () =>
    Effect.gen(function*() {
      const frame = Frame.encodeAck(2 ** 40 + 7, 2 ** 40 + 9)
      expect(new DataView(frame.buffer).getUint32(0)).toBe(Frame.ackBodyLength)
      const ack = yield* Frame.decodeAck(Bytes.fromUint8Array(frame.subarray(4)))
      expect(ack).toEqual({ durable: 2 ** 40 + 7, through: 2 ** 40 + 9 })
      const error = yield* Effect.flip(Frame.decodeAck(Bytes.fromUint8Array(new Uint8Array(3))))
      expect(error).toMatchObject({ _tag: "MalformedAck", frameLength: 3 })
    }))

  it("an empty topic is malformed unless the frame is exactly the ack request", () => {
    expect(Frame.classify(Bytes.fromUint8Array(Frame.ackRequest.subarray(4)))).toBe("ackRequest")
    expect(Frame.classify(Bytes.fromUint8Array(Frame.make("t", "x")))).toBe("data")
    expect(Frame.classify(Bytes.fromUint8Array(Frame.make("", "acks")))).toMatchObject({ reason: "empty topic" })
    expect(Frame.classify(Bytes.fromString("abc"))).toMatchObject({ reason: "missing topic separator" })
  })
})

describe("latency histogram", () => {
  it.prop(
    "quantiles are monotonic, at most the max, and within 5% of the exact ones",
    [FastCheck.array(FastCheck.double({ min: 0.001, max: 6e4, noNaN: true }), { minLength: 1, maxLength: 300 })],
    ([samples]) => {
      const recorder = Acks.makeRecorder()
      for (const ms of samples) Acks.record(recorder, ms)
      const histogram = recorder.get()
      const sorted = [...samples].sort((x, y) => x - y)
      let previous = 0
      for (const q of [0.01, 0.5, 0.9, 0.99, 1]) {
        const estimate = Acks.quantile(histogram, q)
        const exact = sorted[Math.ceil(q * sorted.length) - 1]!
        expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(exact * 0.05)
        expect(estimate).toBeGreaterThanOrEqual(previous)
        expect(estimate).toBeLessThanOrEqual(histogram.max)
        previous = estimate
      }
      expect(histogram.count).toBe(samples.length)
      expect(histogram.max).toBe(sorted.at(-1))
    }
  )

  it("records many observations at once; beyond the last bound, quantiles are the exact max", () => {
    const recorder = Acks.makeRecorder()
    Acks.record(recorder, 2, 99)
    Acks.record(recorder, 500)
    expect(Acks.summarize(recorder.get())).toMatchObject({ count: 100, maxMs: 500 })
    expect(Acks.quantile(recorder.get(), 0.5)).toBeCloseTo(2, 0)
    Acks.record(recorder, 1e12) // beyond the last bound (about 67 s): counted in +Inf, max exact
    expect(recorder.get().buckets.length).toBe(210)
    expect(Acks.summarize(recorder.get()).maxMs).toBe(1e12)
    expect(Acks.quantile(recorder.get(), 1)).toBe(1e12)
  })

  it("one histogram serves both: the durable latency metric is what /metrics exports and snapshots read", () => {
    const before = Acks.durableLatencies()
    const ledger = Acks.make(4, () => 10)
    const batch = {
      connectionOf: new Uint32Array(2),
      sequenceOf: new Float64Array(2),
      decodedAt: Float64Array.of(6, 8)
    }
    Acks.confirm(ledger, batch, 2)
    // Recorded once, in Effect's metric: the ledger's since-start view is read off it.
    expect(Acks.durableLatencies().count - before.count).toBe(2)
    expect(Acks.summarize(Acks.latency(ledger))).toMatchObject({ count: 2 })
    expect(Acks.latency(ledger).max).toBeGreaterThanOrEqual(4 / 2 ** (1 / 8))
    expect(Acks.latency(ledger).max).toBeLessThanOrEqual(4)
  })
})
