import { NodeContext } from "@effect/platform-node"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Bytes, LengthDelimited } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import { Console, Effect, Exit, Option, Stream } from "effect"
import * as FileSystem from "node:fs/promises"
import * as Path from "node:path"
import * as Cli from "../src/Cli.js"
import * as Frame from "../src/Frame.js"
import * as SinkFile from "../src/SinkFile.js"
import { connect, readSink, start, tempDir, waitUntil, write } from "./helpers.js"
import { awaitExit, spawnServe, tcpPortIn } from "./processes.js"

/** `count` frames of `size`-byte payloads, each starting with `prefix-i.` so it is recognisable. */
const frames = (count: number, prefix: string, size: number) =>
  Array.from({ length: count }, (_, i) => {
    const payload = Buffer.alloc(size, 0x2e)
    payload.write(`${prefix}-${i}.`)
    return ["big", payload] as const
  })

const payloadOf = (prefix: string, i: number, size: number) => {
  const payload = Buffer.alloc(size, 0x2e)
  payload.write(`${prefix}-${i}.`)
  return payload.toString("utf8")
}

/**
 * Sends frames over one connection that asked for acks, half-closes, reads acks until the
 * gateway closes it, and returns the last ack.
 */
const sendAcked = (port: number, list: ReadonlyArray<readonly [string, Uint8Array]>) =>
  Effect.scoped(Effect.gen(function*() {
    const socket = yield* connect(port)
    const last = yield* Effect.fork(
      NodeBridge.fromSocket(socket).pipe(
        LengthDelimited.decode(Frame.framing),
        Stream.mapEffect(Frame.decodeAck),
        Stream.runLast
      )
    )
    yield* write(socket, Frame.ackRequest)
    for (const [topic, payload] of list) yield* write(socket, Frame.encode(topic, payload))
    socket.end()
    return Option.getOrThrow(yield* last)
  }))

/** One gateway run on `sinkPath`: sends `list` acked, shuts down gracefully. */
const runOnce = (sinkPath: string, list: ReadonlyArray<readonly [string, Uint8Array]>) =>
  Effect.scoped(Effect.gen(function*() {
    const running = yield* start({ sinkPath, plugins: ["stats", "sink"] })
    const ack = yield* sendAcked(running.gateway.tcpAddress.port, list)
    yield* running.shutdown
    return ack
  }))

const record = (body: string) => SinkFile.encodeRecords([Bytes.fromUint8Array(Buffer.from(body))])

describe("the sink file", () => {
  it.scopedLive("records: length, CRC-32, body; a scan reads them back and finds each kind of damage", () =>
    Effect.gen(function*() {
      const path = Path.join(yield* tempDir, "sink.log")
      const whole = Buffer.concat([record("a\0one"), record("b\0two")])
      expect(whole.readUInt32BE(0)).toBe(5)
      expect(whole.readUInt32BE(4)).toBe(Frame.crc32(Buffer.from("a\0one")))
      yield* Effect.promise(() => FileSystem.writeFile(path, whole))
      expect(yield* SinkFile.verify(path).pipe(Effect.provide(NodeFileSystem.layer))).toEqual({
        records: 2,
        validBytes: 26,
        fileBytes: 26,
        damage: undefined
      })

      const cases = [
        { bytes: Buffer.concat([whole, Buffer.from([0, 0, 0])]), damage: { offset: 26, reason: "truncated header" } },
        {
          bytes: Buffer.concat([whole, record("c\0three").subarray(0, 12)]),
          damage: { offset: 26, reason: "truncated body", length: 7 }
        },
        {
          // One bit of the first record's body flipped.
          bytes: Buffer.from(whole.map((byte, i) => i === 9 ? byte ^ 0x10 : byte)),
          damage: { offset: 0, reason: "checksum mismatch", length: 5 }
        }
      ] as const
      for (const { bytes, damage } of cases) {
        yield* Effect.promise(() => FileSystem.writeFile(path, bytes))
        const error = yield* Effect.flip(SinkFile.verify(path).pipe(Effect.provide(NodeFileSystem.layer)))
        if (error._tag !== "SinkDamaged") throw error
        expect(error.damage).toEqual(damage)
        expect(error.scan.fileBytes).toBe(bytes.length)
        expect(error.message).toContain(`damaged record at byte ${damage.offset}: ${damage.reason}`)
      }
    }))

  it.scopedLive("a torn tail (a 60,000-byte record cut short) is cut on open: every frame acked after the restart reads back", () =>
    Effect.gen(function*() {
      const sinkPath = Path.join(yield* tempDir, "sink.log")
      const size = 60_000
      expect(yield* runOnce(sinkPath, frames(20, "before", size))).toEqual({ durable: 20, through: 20 })
      const { size: intact } = yield* Effect.promise(() => FileSystem.stat(sinkPath))
      // What a SIGKILL mid-write leaves: a header and part of the body.
      const torn = SinkFile.encodeRecords([Bytes.fromUint8Array(Frame.make("big", Buffer.alloc(size, 1)))])
      yield* Effect.promise(() => FileSystem.appendFile(sinkPath, torn.subarray(0, 30_000)))

      expect(yield* runOnce(sinkPath, frames(100, "after", size))).toEqual({ durable: 100, through: 100 })
      const written = yield* readSink(sinkPath)
      expect(written).toHaveLength(120)
      expect(written.slice(20).map(([, payload]) => payload)).toEqual(
        Array.from({ length: 100 }, (_, i) => payloadOf("after", i, size))
      )
      // The cut bytes are kept next to the file.
      const cut = yield* Effect.promise(() => FileSystem.readFile(`${sinkPath}.cut-${intact}`))
      expect(Buffer.compare(cut, torn.subarray(0, 30_000))).toBe(0)
    }))

  it.scopedLive("a flipped bit in the last record: it is cut on open, frames acked afterwards read back", () =>
    Effect.gen(function*() {
      const sinkPath = Path.join(yield* tempDir, "sink.log")
      yield* runOnce(sinkPath, frames(10, "before", 1000))
      const content = yield* Effect.promise(() => FileSystem.readFile(sinkPath))
      const last = content.length - 500
      content[last] = content[last]! ^ 0x01
      yield* Effect.promise(() => FileSystem.writeFile(sinkPath, content))

      expect(yield* runOnce(sinkPath, frames(30, "after", 1000))).toEqual({ durable: 30, through: 30 })
      const written = yield* readSink(sinkPath)
      expect(written.map(([, payload]) => payload)).toEqual([
        ...Array.from({ length: 9 }, (_, i) => payloadOf("before", i, 1000)),
        ...Array.from({ length: 30 }, (_, i) => payloadOf("after", i, 1000))
      ])
    }))

  it.scopedLive("verify-sink prints records and bytes, and fails with SinkDamaged (exit 1) on damage", () =>
    Effect.gen(function*() {
      const path = Path.join(yield* tempDir, "sink.log")
      yield* Effect.promise(() => FileSystem.writeFile(path, Buffer.concat([record("a\0one"), record("b\0two")])))
      const lines: Array<string> = []
      const console = yield* Console.consoleWith(Effect.succeed)
      const captured: Console.Console = {
        ...console,
        log: (...args) => Effect.sync(() => void lines.push(args.join(" ")))
      }
      const run = Cli.run(["node", "weft-demo", "verify-sink", path]).pipe(
        Effect.provide(NodeContext.layer),
        Console.withConsole(captured)
      )
      expect(yield* Effect.exit(run)).toEqual(Exit.void)
      expect(lines).toEqual([`${path}: 2 whole record(s), 26 bytes, no damage`])

      yield* Effect.promise(() => FileSystem.appendFile(path, Buffer.from([0, 0])))
      const error = yield* Effect.flip(run)
      if (!(error instanceof SinkFile.SinkDamaged)) throw error
      expect(error.message).toBe(
        `${path}: 2 whole record(s), 26 bytes, then a damaged record at byte 26: truncated header; 2 bytes from there to the end of the file`
      )
    }))

  it.scopedLive(
    "SIGKILL of a real gateway mid large writes: after the restart every frame acked before the kill and after it reads back",
    () =>
      Effect.gen(function*() {
        const sinkPath = Path.join(yield* tempDir, "sink.log")
        const size = 60_000
        const gateway = yield* spawnServe(sinkPath, { plugins: "stats,sink", timeoutMs: 120_000 })
        const socket = yield* connect(tcpPortIn(gateway.stdout()))
        let lastAck: Frame.Ack = { durable: 0, through: 0 }
        yield* Effect.fork(
          NodeBridge.fromSocket(socket).pipe(
            LengthDelimited.decode(Frame.framing),
            Stream.mapEffect(Frame.decodeAck),
            Stream.runForEach((ack) => Effect.sync(() => void (lastAck = ack))),
            Effect.ignore
          )
        )
        yield* write(socket, Frame.ackRequest)
        // Writes until the gateway dies (bounded: 2000 frames of 60 KB).
        const writer = yield* Effect.fork(Effect.ignore(Effect.forEach(
          frames(2000, "killed", size),
          ([topic, payload]) => write(socket, Frame.encode(topic, payload)),
          { discard: true }
        )))
        yield* waitUntil("200 frames acked", Effect.sync(() => lastAck.durable >= 200), 120_000)
        gateway.process.kill("SIGKILL")
        yield* awaitExit(gateway)
        const ackedBeforeKill = lastAck
        yield* Effect.ignore(writer.await)
        expect(ackedBeforeKill.durable).toBe(ackedBeforeKill.through)
        // Whatever the kill left (often a torn record), the restart recovers it.
        const left = yield* SinkFile.scan(sinkPath).pipe(Effect.provide(NodeFileSystem.layer))
        expect(left.records).toBeGreaterThanOrEqual(ackedBeforeKill.durable)

        expect(yield* runOnce(sinkPath, frames(100, "after", size))).toEqual({ durable: 100, through: 100 })
        const payloads = (yield* readSink(sinkPath)).map(([, payload]) => payload)
        expect(payloads.slice(0, ackedBeforeKill.durable)).toEqual(
          Array.from({ length: ackedBeforeKill.durable }, (_, i) => payloadOf("killed", i, size))
        )
        expect(payloads.slice(-100)).toEqual(Array.from({ length: 100 }, (_, i) => payloadOf("after", i, size)))
        expect(payloads).toHaveLength(left.records + 100)
      }),
    300_000
  )
})
