import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import type * as Gateway from "../src/Gateway.js"
import { get, sendFrames, start, tempDir, waitUntil } from "./helpers.js"
import { spawnDemo, tcpPortIn, urlIn } from "./processes.js"

const frames = (n: number) => Array.from({ length: n }, (_, i) => [`topic-${i % 4}`, `payload-${i}`.repeat(4)] as const)

const payloadBytes = (sent: ReadonlyArray<readonly [string, string]>) =>
  sent.reduce((sum, [, payload]) => sum + payload.length, 0)

/** Every frame the compress plugin took was deflated, inline or on a worker, none dropped. */
const conserved = (snapshot: Gateway.Snapshot, n: number) =>
  snapshot.compress.processed === n
  && snapshot.compress.inlineFrames + snapshot.workers.reduce((sum, worker) => sum + worker.frames, 0) === n
  && snapshot.arena.live === 0

describe("compress on worker threads (--workers)", () => {
  it.scopedLive(
    "--workers 1: every frame is deflated on the worker thread, none lost or twice",
    () =>
      Effect.gen(function*() {
        const { gateway } = yield* start({ plugins: ["compress"], workers: 1 })
        const sent = frames(3000)
        yield* sendFrames(gateway.tcpAddress.port, sent)
        yield* waitUntil("3000 frames deflated", Effect.map(gateway.snapshot(), (s) => conserved(s, 3000)), 60_000)
        const snapshot = yield* gateway.snapshot()
        expect(snapshot.compress).toMatchObject({ processed: 3000, inlineFrames: 0, dropped: 0 })
        expect(snapshot.compress.bytesIn).toBe(payloadBytes(sent))
        expect(snapshot.compress.bytesOut).toBeGreaterThan(0)
        expect(snapshot.compress.bytesOut).toBeLessThan(snapshot.compress.bytesIn)
        expect(snapshot.workers).toHaveLength(1)
        expect(snapshot.workers[0]!.frames).toBe(3000)
        expect(snapshot.workers[0]!.jobs).toBeGreaterThan(0)
        expect(snapshot.deadLetters).toBe(0)
      }),
    120_000
  )

  it.scopedLive("--workers 0: the plugin deflates on the main thread, with the same totals", () =>
    Effect.gen(function*() {
      const { gateway } = yield* start({ plugins: ["compress"], workers: 0 })
      const sent = frames(3000)
      yield* sendFrames(gateway.tcpAddress.port, sent)
      yield* waitUntil("3000 frames deflated", Effect.map(gateway.snapshot(), (s) => conserved(s, 3000)))
      const snapshot = yield* gateway.snapshot()
      expect(snapshot.compress).toMatchObject({ processed: 3000, inlineFrames: 3000, dropped: 0 })
      expect(snapshot.compress.bytesIn).toBe(payloadBytes(sent))
      expect(snapshot.workers).toEqual([])
    }))

  it.scopedLive(
    "weft-demo serve --workers 1 over a real socket: /stats shows the worker and conserves frames",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const child = yield* spawnDemo(
          "serve",
          "--tcp-port",
          "0",
          "--http-port",
          "0",
          "--plugins",
          "compress",
          "--workers",
          "1",
          "--sink",
          Path.join(dir, "sink.log")
        )
        yield* waitUntil("serve printed its addresses", Effect.sync(() => tcpPortIn(child.stdout()) > 0), 60_000)
        yield* sendFrames(tcpPortIn(child.stdout()), frames(2000))
        const stats = Effect.map(
          get(`${urlIn(child.stdout())}/stats`),
          (response) => JSON.parse(response.text) as Gateway.Snapshot
        )
        yield* waitUntil("2000 frames deflated on the worker", Effect.map(stats, (s) => conserved(s, 2000)), 60_000)
        const snapshot = yield* stats
        expect(snapshot.workers.map((worker) => worker.frames)).toEqual([2000])
        expect(snapshot.compress.inlineFrames).toBe(0)
      }),
    180_000
  )
})
