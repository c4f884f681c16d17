import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { SystemError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Actor, ActorSystem } from "@weft/actor"
import { MessageArena } from "@weft/arena"
import { Bytes } from "@weft/bytes"
import { Dispatcher } from "@weft/dispatch"
import type { Scope } from "effect"
import { Effect } from "effect"
import * as Path from "node:path"
import * as Acks from "../src/Acks.js"
import * as Frame from "../src/Frame.js"
import * as Plugins from "../src/Plugins.js"
import { readSink, tempDir, waitUntil } from "./helpers.js"

/**
 * The real sink actor on a real file, with faults injected at the file boundary: the next
 * `partialWrites` writes write half their bytes and then fail; `sync` and `truncate` fail
 * while their counters are above zero.
 */
const faultyFile = (file: FileSystem.File) => {
  const faults = { partialWrites: 0, failingSyncs: 0, failingTruncates: 0 }
  const calls: Array<string> = []
  const injected = (method: string, call: string) =>
    Effect.zipRight(
      Effect.sync(() => calls.push(call)),
      Effect.fail(new SystemError({ reason: "Unknown", module: "FileSystem", method, description: "EIO (injected)" }))
    )
  const sinkFile: Plugins.SinkFile = {
    writeAll: (buffer) =>
      Effect.suspend(() => {
        if (faults.partialWrites === 0) {
          return Effect.zipLeft(
            file.writeAll(buffer),
            Effect.sync(() => calls.push("write"))
          )
        }
        faults.partialWrites--
        return Effect.zipRight(
          file.writeAll(buffer.subarray(0, Math.max(1, buffer.length >> 1))),
          injected("writeAll", "write (half, then EIO)")
        )
      }),
    sync: Effect.suspend(() => {
      if (faults.failingSyncs === 0) return Effect.zipLeft(file.sync, Effect.sync(() => calls.push("sync")))
      faults.failingSyncs--
      return injected("sync", "sync (EIO)")
    }),
    truncate: (length) =>
      Effect.suspend(() => {
        if (faults.failingTruncates === 0) {
          return Effect.zipLeft(file.truncate(length), Effect.sync(() => calls.push(`truncate ${length}`)))
        }
        faults.failingTruncates--
        return injected("truncate", "truncate (EIO)")
      })
  }
  return { sinkFile, faults, calls }
}

const setup = (batch: number, batchBytes?: number) =>
  Effect.gen(function*() {
    const path = Path.join(yield* tempDir, "sink.log")
    const file = yield* Effect.orDie(Effect.flatMap(FileSystem.FileSystem, (fs) => fs.open(path, { flag: "a" })))
    const arena = yield* MessageArena.make({ capacity: 64 })
    const acks = Acks.make(64, () => performance.now())
    const state = Plugins.makeSinkState(batch, 0, batchBytes)
    const injected = faultyFile(file)
    const dispatcher = yield* Dispatcher.make<Dispatcher.Deliveries>(Dispatcher.broadcast)
    const spawnSink = Effect.gen(function*() {
      const ref = yield* Actor.spawn(Plugins.sink(arena, injected.sinkFile, state, acks), {
        mailbox: { capacity: 64, strategy: "suspend" }
      })
      yield* Dispatcher.add(dispatcher, ref)
      return ref
    })
    // One batch (one `Deliveries` message), as ingest sends a decoded chunk.
    const send = (payloads: ReadonlyArray<string>) =>
      Effect.flatMap(
        arena.allocUpTo(payloads.map((payload) => Bytes.fromUint8Array(Frame.make("t", payload)))),
        (refs) => {
          expect(refs).toHaveLength(payloads.length)
          return Dispatcher.dispatchBatch(dispatcher, arena, refs)
        }
      )
    const live = Effect.map(arena.stats, (stats) => stats.live)
    return { path, file, arena, acks, state, dispatcher, spawnSink, send, live, ...injected } as const
  })

const run = <A, E>(
  effect: Effect.Effect<A, E, ActorSystem.ActorSystem | FileSystem.FileSystem | Scope.Scope>
) => effect.pipe(Effect.scoped, Effect.provide([ActorSystem.layer(), NodeFileSystem.layer]))

const payloads = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)
const asWritten = (list: ReadonlyArray<string>) => list.map((payload) => ["t", payload] as const)

/**
 * Starts the sink with fsync failing, and sends three batches of 3, 7 and 12 frames ("a", "b",
 * "c"): the first is being retried while the others queue behind it. fsync keeps failing.
 */
const queueBehindRetry = (sink: Effect.Effect.Success<ReturnType<typeof setup>>) =>
  Effect.gen(function*() {
    yield* sink.spawnSink
    sink.faults.failingSyncs = Number.MAX_SAFE_INTEGER
    yield* sink.send(payloads(3, "a"))
    yield* waitUntil("a failed attempt", Effect.sync(() => sink.state.writeFailures >= 1))
    yield* sink.send(payloads(7, "b"))
    yield* sink.send(payloads(12, "c"))
  })

describe("sink crash safety", () => {
  it.live("a write that fails half-way is truncated away and retried: every frame is in the file once", () =>
    run(Effect.gen(function*() {
      const sink = yield* setup(8)
      yield* sink.spawnSink
      yield* sink.send(payloads(8, "a"))
      yield* waitUntil("the first batch acked", Effect.sync(() => sink.state.acked === 8))
      sink.faults.partialWrites = 1
      yield* sink.send(payloads(8, "b"))
      yield* waitUntil("the second batch acked", Effect.sync(() => sink.state.acked === 16))
      expect(sink.state.writeFailures).toBe(1)
      const firstBatchBytes = sink.state.durableSize / 2
      expect(sink.calls.slice(-4)).toEqual([
        "write (half, then EIO)",
        `truncate ${firstBatchBytes}`,
        "write",
        "sync"
      ])
      expect(yield* readSink(sink.path)).toEqual(asWritten([...payloads(8, "a"), ...payloads(8, "b")]))
      expect(Acks.latency(sink.acks).count).toBe(16)
      expect(yield* sink.live).toBe(0)
    })))

  it.live("while fsync fails nothing is acked and every frame stays held; then the batch is written once", () =>
    run(Effect.gen(function*() {
      const sink = yield* setup(8)
      yield* sink.spawnSink
      sink.faults.failingSyncs = Number.MAX_SAFE_INTEGER
      sink.faults.failingTruncates = 1
      yield* sink.send(payloads(8, "a"))
      yield* waitUntil("three failed attempts", Effect.sync(() => sink.state.writeFailures >= 3))
      expect(sink.state.acked).toBe(0)
      expect(sink.state.pending).toHaveLength(1)
      expect(sink.state.frames).toHaveLength(8)
      expect(sink.state.dirty).toBe(true)
      expect(Acks.latency(sink.acks).count).toBe(0)
      expect(yield* sink.live).toBe(8)
      sink.faults.failingSyncs = 0
      yield* waitUntil("the batch acked", Effect.sync(() => sink.state.acked === 8))
      expect(sink.calls).toContain("truncate (EIO)")
      expect(sink.calls.slice(-3)).toEqual(["truncate 0", "write", "sync"])
      expect(yield* readSink(sink.path)).toEqual(asWritten(payloads(8, "a")))
      expect(sink.state.dirty).toBe(false)
      expect(yield* sink.live).toBe(0)
    })))

  it.live("a sink killed while retrying and started again writes each frame once, in order", () =>
    run(Effect.gen(function*() {
      const sink = yield* setup(8)
      const first = yield* sink.spawnSink
      sink.faults.failingSyncs = Number.MAX_SAFE_INTEGER
      yield* sink.send(payloads(8, "a"))
      yield* waitUntil("two failed attempts", Effect.sync(() => sink.state.writeFailures >= 2))
      yield* Dispatcher.remove(sink.dispatcher, first)
      yield* Actor.stop(first, { mode: "kill" })
      expect(sink.state.acked).toBe(0)
      expect(sink.state.frames).toHaveLength(8)

      sink.faults.failingSyncs = 0
      yield* sink.spawnSink
      yield* sink.send(payloads(4, "b"))
      yield* waitUntil("every frame acked", Effect.sync(() => sink.state.acked === 12))
      expect(yield* readSink(sink.path)).toEqual(asWritten([...payloads(8, "a"), ...payloads(4, "b")]))
      expect(yield* sink.live).toBe(0)
    })))

  it.live("batches: a batch is held until every frame of it is durable; a flush writes whole batches", () =>
    run(Effect.gen(function*() {
      const sink = yield* setup(8)
      yield* queueBehindRetry(sink)
      yield* waitUntil("another failed attempt", Effect.sync(() => sink.state.writeFailures >= 2))
      expect(sink.state.pending).toHaveLength(1)
      expect(sink.state.frames).toHaveLength(3)
      expect(sink.state.acked).toBe(0)
      // Nothing settled: every frame of every batch (taken or still queued) holds its slot.
      expect(yield* sink.live).toBe(22)
      sink.faults.failingSyncs = 0
      yield* waitUntil("every frame acked", Effect.sync(() => sink.state.acked === 22))
      // The first batch alone (it was being written when the others came), then "b" (7 < 8, more
      // queued: no flush) and "c" together (19 >= 8): two durable writes, of whole batches.
      expect(sink.state.syncs).toBe(2)
      expect(sink.calls.filter((call) => call === "sync")).toHaveLength(2)
      expect(sink.state.durableSize).toBe(sink.state.bytesWritten)
      expect(yield* readSink(sink.path)).toEqual(
        asWritten([...payloads(3, "a"), ...payloads(7, "b"), ...payloads(12, "c")])
      )
      expect(sink.state.pending).toEqual([])
      expect(sink.state.frames).toEqual([])
      expect(Acks.latency(sink.acks).count).toBe(22)
      expect(yield* sink.live).toBe(0)
    })))

  it.live("batches: frames that weigh batchBytes are written at once, however few and whatever is queued", () =>
    run(Effect.gen(function*() {
      // Frames are "t\0b-0" and so on: 5 or 6 bytes. 7 of them pass 30 bytes; 1000 frames never come.
      const sink = yield* setup(1000, 30)
      yield* queueBehindRetry(sink)
      sink.faults.failingSyncs = 0
      yield* waitUntil("every frame acked", Effect.sync(() => sink.state.acked === 22))
      // "a" alone, then "b" alone (its 7 frames weigh more than 30 bytes, though "c" was queued),
      // then "c": three durable writes. By frame count alone "b" would have waited for "c".
      expect(sink.state.syncs).toBe(3)
      expect(sink.state.pendingBytes).toBe(0)
      expect(yield* readSink(sink.path)).toEqual(
        asWritten([...payloads(3, "a"), ...payloads(7, "b"), ...payloads(12, "c")])
      )
    })))

  it.live("closing the file drops a batch that never became durable", () =>
    run(Effect.gen(function*() {
      const sink = yield* setup(4)
      const ref = yield* sink.spawnSink
      yield* sink.send(payloads(4, "a"))
      yield* waitUntil("the first batch acked", Effect.sync(() => sink.state.acked === 4))
      sink.faults.failingSyncs = Number.MAX_SAFE_INTEGER
      yield* sink.send(payloads(4, "b"))
      yield* waitUntil("a failed attempt", Effect.sync(() => sink.state.writeFailures >= 1))
      yield* Actor.stop(ref, { mode: "kill" })
      // The failed attempt's bytes are in the file, past the durable length...
      const fs = yield* FileSystem.FileSystem
      expect(Number((yield* Effect.orDie(fs.stat(sink.path))).size)).toBeGreaterThan(sink.state.durableSize)
      const copy = yield* Effect.orDie(fs.open(sink.path, { flag: "a" }))
      yield* Plugins.closeSinkFile(copy, sink.state)
      // ...and closing cuts them off: the file holds exactly the acked frames.
      expect(yield* readSink(sink.path)).toEqual(asWritten(payloads(4, "a")))
    })))
})
