import { assert, describe, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { Effect } from "effect"
import { ThreadBytes } from "../src/index.js"
import { ByteStats, Fill, Invert } from "./fixtures/jobs.js"
import { makeJobsPool } from "./helpers.js"

const MiB = 1024 * 1024

const pattern = (size: number): Uint8Array => {
  const array = new Uint8Array(size)
  for (let i = 0; i < size; i++) array[i] = (i * 31) & 0xff
  return array
}

describe("ThreadBytes", () => {
  it.scopedLive("Transfer: 1 MiB moves to a job and back with 0 bytes copied", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool()
      const before = yield* ThreadBytes.stats
      const input = pattern(MiB)
      const result = yield* pool.run(new Invert({ payload: Bytes.fromUint8Array(input) }))
      // Ownership moved: the sender's buffer is detached, its memory went to the worker.
      assert.strictEqual(input.buffer.byteLength, 0)
      const output = Bytes.toUint8Array(result)
      assert.strictEqual(output.length, MiB)
      assert.strictEqual(output.buffer.byteLength, MiB, "the result owns exactly the transferred buffer")
      const expected = pattern(MiB).map((b) => ~b & 0xff)
      assert.deepStrictEqual(output, expected)
      const after = yield* ThreadBytes.stats
      assert.strictEqual(after.copies - before.copies, 0)
      assert.strictEqual(after.transferredBytes - before.transferredBytes, MiB)
      const worker = yield* pool.run(new ByteStats())
      assert.deepStrictEqual(worker, { copies: 0, transfers: 1, shares: 0 })
    }))

  it.scopedLive("Transfer: a view of part of a buffer is copied once (counted) and the sender keeps its buffer", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool()
      const before = yield* ThreadBytes.stats
      const chunk = pattern(4096)
      const frame = Bytes.slice(Bytes.fromUint8Array(chunk), 100, 1124)
      const result = yield* pool.run(new Invert({ payload: frame }))
      assert.strictEqual(chunk.buffer.byteLength, 4096, "the chunk is not detached")
      assert.deepStrictEqual(Bytes.toUint8Array(result), pattern(4096).subarray(100, 1124).map((b) => ~b & 0xff))
      const after = yield* ThreadBytes.stats
      assert.deepStrictEqual([after.copies - before.copies, after.copiedBytes - before.copiedBytes], [1, 1024])
    }))

  it.scopedLive("Shared: both threads read and write the same memory; nothing is copied", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool()
      const before = yield* ThreadBytes.stats
      const memory = ThreadBytes.allocShared(MiB)
      const shared = Bytes.fromUint8Array(memory)
      const head = yield* pool.run(new Fill({ payload: shared, value: 7, size: 16 }))
      // The worker's writes are in this thread's memory, and the result views that memory too.
      assert.strictEqual(memory[MiB - 1], 7)
      assert.isTrue(ThreadBytes.isShared(head))
      memory[0] = 9
      assert.strictEqual(Bytes.toUint8Array(head)[0], 9)
      assert.strictEqual(Bytes.size(head), 16)
      const after = yield* ThreadBytes.stats
      assert.strictEqual(after.copies - before.copies, 0)
      assert.strictEqual(after.sharedBytes - before.sharedBytes, MiB)
      assert.deepStrictEqual(yield* pool.run(new ByteStats()), { copies: 0, transfers: 0, shares: 1 })
    }))

  it.effect("share copies unshared bytes once and returns shared bytes as they are", () =>
    Effect.gen(function*() {
      const before = yield* ThreadBytes.stats
      const local = Bytes.fromString("hello")
      const shared = ThreadBytes.share(local)
      assert.isTrue(ThreadBytes.isShared(shared))
      assert.isFalse(ThreadBytes.isShared(local))
      assert.strictEqual(ThreadBytes.share(shared), shared)
      assert.isTrue(Bytes.equals(shared, local))
      const after = yield* ThreadBytes.stats
      assert.deepStrictEqual([after.copies - before.copies, after.copiedBytes - before.copiedBytes], [1, 5])
    }))
})
