/**
 * A bounded, refcounted message arena in one `SharedArrayBuffer`, usable from every thread at
 * once: the main thread and workers alloc, retain, get and release the same slots, and a
 * {@link SharedRef} allocated in one thread is valid in every other. Slots, generations and
 * refcounts are updated with `Atomics` compare-and-swap; a stale ref (its slot freed, maybe
 * reused by another thread) is detected in every thread exactly as in one, and a stale
 * `release` never frees another message's slot.
 *
 * - Send the arena to a worker as its {@link Handle} (a job payload field; the buffer is shared,
 *   not copied) and {@link attach} it there; send refs as `SharedRef` fields.
 * - `alloc` copies the payload into its slot once (slots are `slotSize` bytes); `get` returns a
 *   zero-copy view of the slot, valid while someone holds a reference to it.
 * - Bounded: with every slot taken, `alloc` waits until any thread frees one (`onFull:
 *   "wait"`, the default; `Atomics.waitAsync`, so the event loop keeps running) or fails with
 *   `SharedArenaFull`.
 *
 * Cancellation safety: `alloc` interrupted while it waits has claimed no slot. Every other
 * operation is synchronous: it completed or did not start.
 *
 * @since 0.1.0
 */
import type { Bytes } from "@weft/bytes"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as internal from "./internal/sharedArena.js"
import type {
  InvalidSharedArenaOptions,
  PayloadTooLarge,
  SharedArenaFull,
  StaleSharedRef
} from "./internal/sharedArenaErrors.js"
import type { SharedRef } from "./internal/sharedRef.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  InvalidSharedArenaOptions,
  /**
   * @since 0.1.0
   * @category errors
   */
  PayloadTooLarge,
  /**
   * @since 0.1.0
   * @category errors
   */
  SharedArenaFull,
  /**
   * @since 0.1.0
   * @category errors
   */
  StaleSharedRef
} from "./internal/sharedArenaErrors.js"

export {
  /**
   * @since 0.1.0
   * @category models
   */
  SharedRef
} from "./internal/sharedRef.js"

/**
 * What a worker needs to attach the arena: the shared buffer and its shape. A Schema, so it is
 * a job payload field; `postMessage` shares the buffer, it does not copy it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Handle: Schema.Schema<Handle> = internal.Handle

/**
 * @since 0.1.0
 * @category models
 */
export interface Handle {
  readonly buffer: SharedArrayBuffer
  readonly capacity: number
  readonly slotSize: number
  readonly onFull: "wait" | "fail"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Number of slots. */
  readonly capacity: number
  /** Bytes per slot: the largest payload. */
  readonly slotSize: number
  /** With every slot taken, `alloc` waits (default) or fails with `SharedArenaFull`. */
  readonly onFull?: "wait" | "fail" | undefined
}

/**
 * Counters shared by every thread attached to the arena.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly capacity: number
  readonly slotSize: number
  readonly live: number
  readonly allocs: number
  readonly frees: number
  readonly staleAccesses: number
}

/**
 * One thread's view of a shared arena.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedArena {
  readonly handle: Handle
  /** Copies `payload` into a free slot (refcount 1); waits or fails when all are taken. */
  readonly alloc: (payload: Bytes.Bytes) => Effect.Effect<SharedRef, PayloadTooLarge | SharedArenaFull>
  /** Like `alloc`, but `None` at once when every slot is taken. */
  readonly tryAlloc: (payload: Bytes.Bytes) => Effect.Effect<Option.Option<SharedRef>, PayloadTooLarge>
  /** The payload, as a zero-copy view of the slot. */
  readonly get: (ref: SharedRef) => Effect.Effect<Bytes.Bytes, StaleSharedRef>
  readonly retain: (ref: SharedRef) => Effect.Effect<void, StaleSharedRef>
  /** Drops one reference; the last one frees the slot and bumps its generation. */
  readonly release: (ref: SharedRef) => Effect.Effect<void, StaleSharedRef>
  readonly stats: Effect.Effect<Stats>
}

/**
 * A new arena in a fresh `SharedArrayBuffer` of `capacity × (slotSize + 12) + 16` bytes.
 *
 * @example
 * ```ts
 * import { Bytes } from "@weft/bytes"
 * import { Effect } from "effect"
 * import { SharedArena } from "@weft/worker"
 *
 * Effect.gen(function*() {
 *   const arena = yield* SharedArena.make({ capacity: 1024, slotSize: 4096 })
 *   const ref = yield* arena.alloc(Bytes.fromString("frame"))
 *   // send arena.handle and ref to a worker in a job; there: SharedArena.attach(handle).get(ref)
 *   yield* arena.release(ref)
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: Options) => Effect.Effect<SharedArena, InvalidSharedArenaOptions> = internal.make

/**
 * The same arena in this thread, from the handle another thread sent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const attach: (handle: Handle) => SharedArena = internal.attach
