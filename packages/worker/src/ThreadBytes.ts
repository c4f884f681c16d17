/**
 * `Bytes` across threads without copying. Use these schemas for `Bytes` fields of a job's
 * request, success or failure:
 *
 * - {@link Transfer}: ownership moves. The bytes' `ArrayBuffer` is in the message's transfer
 *   list, so the receiver gets the memory and the sender's buffer is detached (length 0): after
 *   sending, the sender must not read those `Bytes` again. A `Bytes` that views only part of
 *   its buffer is copied once first (counted), so the sender's other views stay intact.
 * - {@link Shared}: both sides keep reading. The bytes live in a `SharedArrayBuffer`, which
 *   a message carries as a view of the same memory. `Bytes` not in shared memory are copied into
 *   it once (counted); make them with {@link allocShared} to avoid that copy.
 *
 * A `Bytes` field with any other schema is copied by `postMessage`'s structured clone.
 * {@link stats} counts, per thread, what these schemas copied, transferred and shared.
 *
 * Cancellation safety: everything here is synchronous.
 *
 * @since 0.1.0
 */
import type { Bytes } from "@weft/bytes"
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import * as internal from "./internal/threadBytes.js"

/**
 * `Bytes` whose memory moves to the receiving thread (see the module documentation).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { ThreadBytes } from "@weft/worker"
 *
 * export class Compress extends Schema.TaggedRequest<Compress>()("Compress", {
 *   failure: Schema.Never,
 *   success: ThreadBytes.Transfer,
 *   payload: { input: ThreadBytes.Transfer }
 * }) {}
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Transfer: Schema.Schema<Bytes.Bytes, Uint8Array> = internal.Transfer

/**
 * `Bytes` in a `SharedArrayBuffer` that both threads read (see the module documentation).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Shared: Schema.Schema<Bytes.Bytes, Uint8Array> = internal.Shared

/**
 * `size` zeroed bytes in a fresh `SharedArrayBuffer`: fill them, then wrap them with
 * `Bytes.fromUint8Array` to send them as {@link Shared} without a copy.
 *
 * @since 0.1.0
 * @category constructors
 */
export const allocShared: (size: number) => Uint8Array = internal.allocShared

/**
 * `self` in shared memory: itself when it already is, else a copy (counted in {@link stats}).
 *
 * @since 0.1.0
 * @category constructors
 */
export const share: (self: Bytes.Bytes) => Bytes.Bytes = internal.share

/**
 * Whether `self` views a `SharedArrayBuffer`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isShared: (self: Bytes.Bytes) => boolean = internal.isShared

/**
 * What {@link Transfer} and {@link Shared} did in this thread since it started.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Copies made (a partial view sent with `Transfer`, unshared bytes sent with `Shared` or `share`). */
  readonly copies: number
  readonly copiedBytes: number
  /** Buffers put in a transfer list. */
  readonly transfers: number
  readonly transferredBytes: number
  /** Shared-memory views sent. */
  readonly shares: number
  readonly sharedBytes: number
}

/**
 * This thread's counters.
 *
 * @since 0.1.0
 * @category getters
 */
export const stats: Effect.Effect<Stats> = internal.stats
