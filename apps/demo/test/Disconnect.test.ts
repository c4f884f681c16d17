import { describe, expect, it } from "@effect/vitest"
import { LengthDelimited } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import { Effect, Option, Stream } from "effect"
import * as Path from "node:path"
import * as Frame from "../src/Frame.js"
import { connect, get, tempDir, waitUntil, write } from "./helpers.js"
import { awaitExit, exited, spawnDemo, spawnServe, tcpPortIn, urlIn } from "./processes.js"

const frames = (n: number, prefix: string) =>
  Buffer.concat(Array.from({ length: n }, (_, i) => Frame.encode(`topic-${i % 4}`, `${prefix}-${i}`.padEnd(256, "."))))

/** The gateway's `/stats`, parsed. */
const stats = (url: string) => Effect.map(get(`${url}/stats`), (response) => JSON.parse(response.text))

/**
 * A client that asks for acks, writes `count` frames and then resets the connection (RST): at
 * once, or after half-closing (when the gateway owes it its last acks).
 */
const resettingClient = (port: number, count: number, halfCloseFirst: boolean) =>
  Effect.scoped(Effect.gen(function*() {
    const socket = yield* connect(port)
    yield* write(socket, Buffer.concat([Frame.ackRequest, frames(count, "rst")]))
    if (halfCloseFirst) socket.end()
    socket.resetAndDestroy()
  }))

/** A client that sends `count` frames, half-closes, and returns the last ack it read before `close`. */
const ackedClient = (port: number, count: number) =>
  Effect.scoped(Effect.gen(function*() {
    const socket = yield* connect(port)
    const acks = NodeBridge.fromSocket(socket).pipe(
      LengthDelimited.decode(Frame.framing),
      Stream.mapEffect((body) => Frame.decodeAck(body)),
      Stream.runLast
    )
    yield* write(socket, Buffer.concat([Frame.ackRequest, frames(count, "last")]))
    socket.end()
    return yield* acks
  }))

describe("clients that go away", () => {
  it.scopedLive(
    "load ended normally, by SIGINT, SIGTERM or SIGKILL, and clients that reset: the gateway stays up and acks new clients",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const gateway = yield* spawnServe(Path.join(dir, "sink.log"))
        const port = tcpPortIn(gateway.stdout())
        const url = urlIn(gateway.stdout())
        const alive = Effect.gen(function*() {
          expect(exited(gateway), gateway.stderr()).toBe(false)
          return yield* stats(url)
        })

        // Started together (a tsx child takes seconds to start on a busy machine); each ends its own way.
        const endings = ["natural", "SIGINT", "SIGTERM", "SIGKILL"] as const
        const loads = yield* Effect.forEach(endings, (ending) =>
          spawnDemo(
            "load",
            "--port",
            String(port),
            "--rate",
            "5000",
            ...(ending === "natural" ? ["--duration", "2"] : [])
          ))
        for (const [i, ending] of endings.entries()) {
          const load = loads[i]!
          if (ending !== "natural") {
            // Killed mid-stream, while the gateway owes it acks.
            yield* waitUntil(
              `load (${ending}) has acks`,
              Effect.sync(() => /[1-9]\d* acked/.test(load.stdout()) || exited(load)),
              60_000
            )
            load.process.kill(ending)
          }
          yield* awaitExit(load)
          yield* alive
        }
        yield* waitUntil("the load's connections are closed", Effect.map(alive, (s) => s.connections.active === 0))
        for (let round = 0; round < 10; round++) yield* resettingClient(port, 2000, round % 2 === 0)
        yield* waitUntil("the reset connections are closed", Effect.map(alive, (s) => s.connections.active === 0))

        expect(Option.getOrThrow(yield* ackedClient(port, 100))).toEqual({ durable: 100, through: 100 })
        const after = yield* alive
        expect(after.connections.accepted).toBe(4 * 4 + 10 + 1)
        expect(gateway.stderr()).not.toMatch(/EPIPE|ECONNRESET/)
      }),
    400_000
  )
})
