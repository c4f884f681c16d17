/**
 * @weft/arena benchmarks.
 *
 * 1. One message's life — store, read, release — in the arena, beside what a user would write to
 *    keep messages by id: a plain `Map<number, Uint8Array>` with a counter (no generations, no
 *    refcounts, no bounds, no Effect) and an Effect `Ref<HashMap>`; Effect's `Pool` (a resource
 *    pool: scoped borrow/return) is shown for context. The limit row is the same Map behind three
 *    `Effect.sync` steps: no per-message Effect API can beat it.
 * 2. Memory retained by live 64 B frames cut from 64 KiB chunks, with and without `copyIn`.
 */
import { Arena, MessageArena } from "@weft/arena"
import { Bytes } from "@weft/bytes"
import { Effect, HashMap, Option, Pool, Ref, Scope } from "effect"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { benchmark, type BenchmarkFile, expect } from "./harness.js"

const frameSize = 64
const chunkSize = 64 * 1024

/** Holds the cycle benchmark's arena and pool; it lives as long as the bench process. */
const scope = Effect.runSync(Scope.make())

// ---------------------------------------------------------------------------------------------
// 1. alloc + get + release

const cycleFrame = Bytes.fromUint8Array(new Uint8Array(frameSize).fill(1))

const arena = Effect.runSync(Scope.extend(MessageArena.make({ capacity: 1024, name: "bench" }), scope))

const arenaCycles = (n: number) =>
  Effect.gen(function*() {
    let bytes = 0
    for (let i = 0; i < n; i++) {
      const ref = yield* arena.alloc(cycleFrame)
      bytes += Bytes.size(yield* arena.get(ref))
      yield* arena.release(ref)
    }
    return bytes
  })

/** Messages per batch in the batch row: about one decoded socket chunk of small frames. */
const batchSize = 64
const batchFrames = Array.from({ length: batchSize }, () => cycleFrame)

/** The same life, a batch at a time: allocUpTo, getAll, releaseAll (n a multiple of the batch). */
const arenaBatchCycles = (n: number) =>
  Effect.gen(function*() {
    let bytes = 0
    for (let i = 0; i < n;) {
      const refs = yield* Arena.allocUpTo(arena, batchFrames)
      for (const frame of yield* Arena.getAll(arena, refs)) bytes += Bytes.size(frame)
      yield* Arena.releaseAll(arena, refs)
      i += refs.length
    }
    return bytes
  })

let pool: Pool.Pool<Uint8Array> | undefined
const getPool = async () =>
  pool ??= await Effect.runPromise(
    Scope.extend(
      Pool.make({ acquire: Effect.sync((): Uint8Array => new Uint8Array(frameSize).fill(1)), size: 1024 }),
      scope
    )
  )

const poolCycles = (p: Pool.Pool<Uint8Array>, n: number) =>
  Effect.gen(function*() {
    let bytes = 0
    for (let i = 0; i < n; i++) {
      bytes += yield* Effect.scoped(Effect.map(Pool.get(p), (buffer) => buffer.length))
    }
    return bytes
  })

const refHashMapCycles = (n: number) =>
  Effect.gen(function*() {
    const store = yield* Ref.make(HashMap.empty<number, Uint8Array>())
    const frame = Bytes.toUint8Array(cycleFrame)
    let next = 0
    let bytes = 0
    for (let i = 0; i < n; i++) {
      const id = next++
      yield* Ref.update(store, HashMap.set(id, frame))
      bytes += Option.getOrThrow(HashMap.get(yield* Ref.get(store), id)).length
      yield* Ref.update(store, HashMap.remove(id))
    }
    return bytes
  })

const mapCycles = (n: number) => {
  const map = new Map<number, Uint8Array>()
  const frame = Bytes.toUint8Array(cycleFrame)
  let next = 0
  let bytes = 0
  for (let i = 0; i < n; i++) {
    const id = next++
    map.set(id, frame)
    bytes += map.get(id)!.length
    map.delete(id)
  }
  return bytes
}

/**
 * The runtime's floor for any per-message Effect API over a store: the same Map, each of the three
 * steps one `Effect.sync` yielded from a generator, as `arena.alloc`/`get`/`release` are.
 */
const effectFloorCycles = (n: number) =>
  Effect.gen(function*() {
    const map = new Map<number, Uint8Array>()
    const frame = Bytes.toUint8Array(cycleFrame)
    let next = 0
    let bytes = 0
    for (let i = 0; i < n; i++) {
      const id = yield* Effect.sync(() => {
        const id = next++
        map.set(id, frame)
        return id
      })
      bytes += (yield* Effect.sync(() => map.get(id)!)).length
      yield* Effect.sync(() => map.delete(id))
    }
    return bytes
  })

// ---------------------------------------------------------------------------------------------
// 2. memory retained with and without copyIn

/**
 * `global.gc` without `--expose-gc` on the command line: the flag can be set at run time, and a
 * fresh context then sees `gc`.
 */
const gc = (() => {
  v8.setFlagsFromString("--expose-gc")
  return vm.runInNewContext("gc") as () => void
})()

interface Retained {
  readonly frames: number
  /** The stored frames' bytes, read back through the arena. */
  readonly sumOfBytes: number
  /** Measured on the first run only (see `retainContender`). */
  readonly memory: Memory | undefined
}

interface Memory {
  /** Sum of the distinct ArrayBuffers the stored frames keep alive: exact, by construction. */
  readonly pinnedBytes: number
  /** `process.memoryUsage().arrayBuffers` after gc, minus the same before the run. */
  readonly measuredBytes: number
}

/** One 64 KiB read, fresh as a socket read would be, and the 64 B frame of it that stays live. */
const readFrame = (c: number): Bytes.Bytes => {
  const chunk = Bytes.fromUint8Array(new Uint8Array(chunkSize).fill(c & 0xff))
  const kept = (c * 7) % (chunkSize / frameSize)
  return Bytes.slice(chunk, kept * frameSize, (kept + 1) * frameSize)
}

/**
 * Each iteration reads one 64 KiB chunk (a fresh buffer, as a socket read would be), cuts a 64 B
 * frame from it and stores that frame in the arena, as a gateway does with the few messages that
 * stay in flight while most are handled at once. The timed runs store and release; the first run
 * also measures what the live frames keep alive. (Reading `.buffer` to find the pinned buffers
 * would itself cost time, and more so for the small on-heap copies, so timed runs skip it.)
 */
const retain = (copyIn: MessageArena.CopyIn, chunks: number, measure: boolean): Retained =>
  Effect.runSync(Effect.scoped(Effect.gen(function*() {
    if (measure) gc()
    const before = process.memoryUsage().arrayBuffers
    const arena = yield* MessageArena.make({ capacity: chunks, copyIn })
    const refs = []
    for (let c = 0; c < chunks; c++) refs.push(yield* arena.alloc(readFrame(c)))
    let sumOfBytes = 0
    for (const ref of refs) sumOfBytes += Bytes.size(yield* arena.get(ref))
    let memory: Memory | undefined
    if (measure) {
      const buffers = new Set<ArrayBufferLike>()
      for (const ref of refs) buffers.add(Bytes.toUint8Array(yield* arena.get(ref)).buffer)
      let pinnedBytes = 0
      for (const buffer of buffers) pinnedBytes += buffer.byteLength
      buffers.clear()
      // Twice: V8 frees ArrayBuffer memory in a sweep that can trail the first collection.
      gc()
      gc()
      memory = { pinnedBytes, measuredBytes: process.memoryUsage().arrayBuffers - before }
    }
    for (const ref of refs) yield* arena.release(ref)
    return { frames: chunks, sumOfBytes, memory }
  })))

/** The first run of a contender is the one main.ts checks and reports: only it measures memory. */
const retainContender = (copyIn: MessageArena.CopyIn, chunks: number) => {
  let first = true
  return () => {
    const measure = first
    first = false
    return retain(copyIn, chunks, measure)
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

const reportRetained = ({ frames, memory }: Retained) =>
  memory === undefined
    ? ""
    : `${frames} live 64 B frames pin ${kib(memory.pinnedBytes)} (${
      (memory.pinnedBytes / frames).toFixed(0)
    } B/frame, exact: distinct backing buffers); process.memoryUsage().arrayBuffers after gc: +${
      kib(memory.measuredBytes)
    }`

export const benchmarks: BenchmarkFile = ({ quick }) => {
  const cycles = quick ? 128 : 20_032 // multiples of batchSize
  const chunks = quick ? 8 : 512
  return [
    benchmark<number>({
      package: "arena",
      name: "alloc + get + release, one 64 B message at a time",
      unit: "message",
      opsPerRun: cycles,
      goal: "≥ 0.25× the Map per message; the allocUpTo path ≥ 0.8× the Map",
      contenders: [
        { name: "MessageArena alloc/get/release", role: "weft", run: () => Effect.runPromise(arenaCycles(cycles)) },
        {
          name: `MessageArena allocUpTo/getAll/releaseAll, ${batchSize} at a time`,
          role: "variant",
          run: () => Effect.runPromise(arenaBatchCycles(cycles))
        },
        { name: "Map<number, Uint8Array> + counter", role: "peer", run: () => mapCycles(cycles) },
        {
          name: "Effect floor: the same Map, each step one Effect.sync",
          role: "limit",
          run: () => Effect.runPromise(effectFloorCycles(cycles))
        },
        {
          name: "Effect Ref<HashMap<number, Uint8Array>> + counter",
          role: "peer",
          run: () => Effect.runPromise(refHashMapCycles(cycles))
        },
        {
          name: "Effect Pool.get (scoped), for context",
          role: "peer",
          run: async () => Effect.runPromise(poolCycles(await getPool(), cycles))
        }
      ],
      check: (bytes) =>
        expect(bytes === cycles * frameSize, () => `read ${bytes} bytes, expected ${cycles * frameSize}`)
    }),
    benchmark<Retained>({
      package: "arena",
      name: "memory retained: 64 B frames cut from 64 KiB chunks, one kept per chunk",
      unit: "frame",
      opsPerRun: chunks,
      contenders: [
        {
          name: "copyIn { belowBytes: 1024 }",
          role: "weft",
          run: retainContender({ belowBytes: 1024 }, chunks),
          report: reportRetained
        },
        {
          name: "copyIn never (zero-copy)",
          role: "peer",
          run: retainContender("never", chunks),
          report: reportRetained
        }
      ],
      check: (r, contender) => {
        expect(r.sumOfBytes === chunks * frameSize, () => `frames hold ${r.sumOfBytes} bytes`)
        const expected = contender.role === "weft" ? chunks * frameSize : chunks * chunkSize
        const pinned = r.memory?.pinnedBytes
        expect(pinned === expected, () => `pinned ${pinned} bytes, expected ${expected}`)
      }
    })
  ]
}
