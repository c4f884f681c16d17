import { assert, describe, it } from "@effect/vitest"
import { Backpressure } from "@weft/stream"
import { Chunk, Effect, FastCheck as fc, Stream } from "effect"

type Variant = "ordered" | "unordered"

/**
 * Runs `elements` through a pool with the given shape and a consumer that stops now and then,
 * measuring from the outside the most elements ever pulled from the upstream and not yet handed
 * downstream. Pulls are counted as the upstream's chunks pass, emissions as the pool's chunks do.
 */
const maxHeld = (options: {
  readonly variant: Variant
  readonly concurrency: number
  readonly bufferSize: number
  readonly upstreamChunk: number
  readonly elements: number
  readonly pauses: ReadonlyArray<number>
}) =>
  Effect.gen(function*() {
    let pulled = 0
    let emitted = 0
    let worst = 0
    const upstream = Stream.range(1, options.elements).pipe(
      Stream.rechunk(options.upstreamChunk),
      Stream.mapChunks((chunk) => {
        pulled += chunk.length
        worst = Math.max(worst, pulled - emitted)
        return chunk
      })
    )
    const work = (n: number) => Effect.as(Effect.yieldNow(), n)
    const mapped = options.variant === "ordered"
      ? Backpressure.mapConcurrent(upstream, options.concurrency, work, { bufferSize: options.bufferSize })
      : Backpressure.mapConcurrentUnordered(upstream, options.concurrency, work, { bufferSize: options.bufferSize })
    let chunks = 0
    const out = yield* mapped.pipe(
      Stream.mapChunksEffect((chunk) => {
        emitted += chunk.length
        const pause = options.pauses[chunks++ % options.pauses.length]!
        return Effect.as(Effect.repeatN(Effect.yieldNow(), pause), chunk)
      }),
      Stream.runCollect
    )
    assert.strictEqual(Chunk.size(out), options.elements)
    return worst
  })

describe("Backpressure bounds, measured from the outside", () => {
  it.effect.prop(
    "held (pulled, not yet emitted) ≤ n + bufferSize + upstream chunk − 1, whatever the shape",
    {
      variant: fc.constantFrom<Variant>("ordered", "unordered"),
      concurrency: fc.integer({ min: 1, max: 8 }),
      bufferSize: fc.integer({ min: 1, max: 32 }),
      upstreamChunk: fc.integer({ min: 1, max: 600 }),
      pauses: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 8 })
    },
    (shape) =>
      Effect.gen(function*() {
        const window = shape.concurrency + shape.bufferSize
        const worst = yield* maxHeld({ ...shape, elements: 3 * (window + shape.upstreamChunk) })
        assert.isAtMost(worst, window + shape.upstreamChunk - 1)
      }),
    { fastCheck: { numRuns: 40 } }
  )

  it.effect("single-element upstream chunks: exactly n + bufferSize at most, and the bound is reached", () =>
    Effect.gen(function*() {
      for (const variant of ["ordered", "unordered"] as const) {
        const worst = yield* maxHeld({
          variant,
          concurrency: 4,
          bufferSize: 8,
          upstreamChunk: 1,
          elements: 2_000,
          pauses: [200]
        })
        assert.strictEqual(worst, 4 + 8, variant)
      }
    }))

  it.effect("500-element upstream chunks: the rest of the chunk being admitted waits beside the window", () =>
    Effect.gen(function*() {
      const worst = yield* maxHeld({
        variant: "ordered",
        concurrency: 2,
        bufferSize: 4,
        upstreamChunk: 500,
        elements: 5_000,
        pauses: [50]
      })
      assert.isAtMost(worst, 2 + 4 + 500 - 1)
      assert.isAtLeast(worst, 500)
    }))
})
