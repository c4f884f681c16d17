import { Bytes } from "@weft/bytes"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as SharedArena from "../SharedArena.js"
import { waitAsync } from "./atomics.js"
import { InvalidSharedArenaOptions, PayloadTooLarge, SharedArenaFull, StaleSharedRef } from "./sharedArenaErrors.js"
import { SharedRef } from "./sharedRef.js"

/**
 * One `SharedArrayBuffer`, laid out as:
 *
 *   slots    BigInt64 × capacity   generation (high 32 bits) | refcount (low 32 bits)
 *   control  Int32 × 4             frees, allocs, stale accesses, next slot to try
 *   lengths  Int32 × capacity      payload length of each slot
 *   data     slotSize × capacity   payloads
 *
 * A slot's generation and refcount share one 64-bit word, so every change is one
 * compare-and-swap: freeing bumps the generation in the same step that drops the count to 0,
 * and a retain of a stale ref cannot succeed on a slot that was freed and reused meanwhile (the
 * ABA a separate generation word would allow).
 */
const FREES = 0
const ALLOCS = 1
const STALE = 2
const HINT = 3
const controlWords = 4
const generationMask = 0x7fffffff
/** How long one wait for a free slot lasts before it looks again (a notify ends it sooner). */
const waitRoundMillis = 1000

const SharedArrayBufferFromSelf = Schema.declare(
  (u): u is SharedArrayBuffer => u instanceof SharedArrayBuffer,
  { identifier: "SharedArrayBuffer" }
)

/** @internal */
export const Handle = Schema.Struct({
  buffer: SharedArrayBufferFromSelf,
  capacity: Schema.Int,
  slotSize: Schema.Int,
  onFull: Schema.Literal("wait", "fail")
})

const word = (generation: number, refs: number): bigint => (BigInt(generation) << 32n) | BigInt(refs)
const generationOf = (w: bigint): number => Number(w >> 32n)
const refsOf = (w: bigint): number => Number(w & 0xffffffffn)

/** The views of one arena buffer and the synchronous slot operations on them. */
const slotsOf = (handle: SharedArena.Handle) => {
  const { buffer, capacity, slotSize } = handle
  const slots = new BigInt64Array(buffer, 0, capacity)
  const control = new Int32Array(buffer, capacity * 8, controlWords)
  const lengths = new Int32Array(buffer, capacity * 8 + controlWords * 4, capacity)
  const data = new Uint8Array(buffer, capacity * 12 + controlWords * 4, capacity * slotSize)

  const stale = (ref: SharedRef, current: bigint) => {
    Atomics.add(control, STALE, 1)
    const currentGeneration = ref.index < capacity ? generationOf(current) : undefined
    return new StaleSharedRef({ ref, currentGeneration })
  }

  const slotOf = (ref: SharedRef): bigint =>
    ref.index >= 0 && ref.index < capacity ? Atomics.load(slots, ref.index) : -1n

  /** Claims a free slot (count 0 → 1) and returns its index, or -1 when every slot is taken. */
  const claim = (): number => {
    const start = Atomics.load(control, HINT)
    for (let n = 0; n < capacity; n++) {
      const index = (start + n) % capacity
      const current = Atomics.load(slots, index)
      if (refsOf(current) === 0 && Atomics.compareExchange(slots, index, current, current + 1n) === current) {
        Atomics.store(control, HINT, (index + 1) % capacity)
        return index
      }
    }
    return -1
  }

  const store = (index: number, payload: Uint8Array): SharedRef => {
    data.set(payload, index * slotSize)
    // Published after the bytes: a thread that loads this length sees the payload written.
    Atomics.store(lengths, index, payload.length)
    Atomics.add(control, ALLOCS, 1)
    // Both fields are integers read from the arena's own memory: nothing for the class to check.
    return new SharedRef({ index, generation: generationOf(Atomics.load(slots, index)) }, true)
  }

  const payloadOf = (index: number): Uint8Array => {
    const start = index * slotSize
    return data.subarray(start, start + Atomics.load(lengths, index))
  }

  const counts = () => {
    const allocs = Atomics.load(control, ALLOCS)
    const frees = Atomics.load(control, FREES)
    return { capacity, slotSize, live: allocs - frees, allocs, frees, staleAccesses: Atomics.load(control, STALE) }
  }

  return { slots, control, stale, slotOf, claim, store, payloadOf, counts }
}

/** @internal */
export const attach = (handle: SharedArena.Handle): SharedArena.SharedArena => {
  const { capacity, onFull, slotSize } = handle
  const { claim, control, counts, payloadOf, slotOf, slots, stale, store } = slotsOf(handle)

  const checkSize = (payload: Bytes.Bytes) =>
    Bytes.size(payload) > slotSize
      ? Effect.fail(new PayloadTooLarge({ size: Bytes.size(payload), slotSize }))
      : Effect.void

  const tryAlloc = (payload: Bytes.Bytes) =>
    Effect.zipRight(
      checkSize(payload),
      Effect.sync(() => {
        const index = claim()
        return index < 0 ? Option.none() : Option.some(store(index, Bytes.toUint8Array(payload)))
      })
    )

  // Waits for the frees counter to move past `seen`, without blocking this thread's event loop.
  const awaitFree = (seen: number) =>
    Effect.async<void>((resume) => {
      const wait = waitAsync(control, FREES, seen, waitRoundMillis)
      if (!wait.async) resume(Effect.void)
      else wait.value.then(() => resume(Effect.void))
    })

  const alloc = (payload: Bytes.Bytes): Effect.Effect<SharedRef, PayloadTooLarge | SharedArenaFull> =>
    Effect.zipRight(
      checkSize(payload),
      Effect.suspend(function loop(): Effect.Effect<SharedRef, SharedArenaFull> {
        const seen = Atomics.load(control, FREES)
        const index = claim()
        if (index >= 0) return Effect.succeed(store(index, Bytes.toUint8Array(payload)))
        if (onFull === "fail") return Effect.fail(new SharedArenaFull({ capacity }))
        return Effect.zipRight(awaitFree(seen), Effect.suspend(loop))
      })
    )

  const get = (ref: SharedRef) =>
    Effect.suspend(() => {
      const current = slotOf(ref)
      if (current < 0n || refsOf(current) === 0 || generationOf(current) !== ref.generation) {
        return Effect.fail(stale(ref, current))
      }
      return Effect.succeed(Bytes.fromUint8Array(payloadOf(ref.index)))
    })

  /** Applies `next` to the slot's word with compare-and-swap, while the ref is live. */
  const update = (ref: SharedRef, next: (current: bigint, refs: number) => bigint) =>
    Effect.suspend(() => {
      for (;;) {
        const current = slotOf(ref)
        const refs = current < 0n ? 0 : refsOf(current)
        if (refs === 0 || generationOf(current) !== ref.generation) return Effect.fail(stale(ref, current))
        const updated = next(current, refs)
        if (Atomics.compareExchange(slots, ref.index, current, updated) === current) {
          return Effect.succeed(refsOf(updated))
        }
      }
    })

  const retain = (ref: SharedRef) => Effect.asVoid(update(ref, (current) => current + 1n))

  const release = (ref: SharedRef) =>
    update(ref, (current, refs) => refs === 1 ? word((generationOf(current) + 1) & generationMask, 0) : current - 1n)
      .pipe(
        Effect.flatMap((remaining) =>
          remaining > 0 ? Effect.void : Effect.sync(() => {
            Atomics.add(control, FREES, 1)
            Atomics.notify(control, FREES)
          })
        )
      )

  return { handle, alloc, tryAlloc, get, retain, release, stats: Effect.sync(counts) }
}

const validSize = (n: number) => Number.isSafeInteger(n) && n > 0

/** @internal */
export const make = (options: SharedArena.Options): Effect.Effect<SharedArena.SharedArena, InvalidSharedArenaOptions> =>
  Effect.suspend(() => {
    const { capacity, slotSize } = options
    if (!validSize(capacity) || !validSize(slotSize) || capacity * (slotSize + 12) > 2 ** 31) {
      return Effect.fail(new InvalidSharedArenaOptions({ capacity, slotSize }))
    }
    const buffer = new SharedArrayBuffer(capacity * 12 + controlWords * 4 + capacity * slotSize)
    return Effect.succeed(attach({ buffer, capacity, slotSize, onFull: options.onFull ?? "wait" }))
  })
