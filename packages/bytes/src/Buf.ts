/**
 * A read cursor over `Bytes`, in the manner of tokio's `Buf`.
 *
 * Every read either succeeds and moves the cursor past what it read, or fails with
 * `BufferUnderflow { requested, available }` and leaves the cursor where it was: a failed read
 * consumes nothing. Reads return an `Either`, which is also an `Effect`, so they can be used
 * directly (`Either.isRight`) on a hot path or with `yield*` inside `Effect.gen`.
 *
 * Multi-byte values are big-endian unless the name ends in `Le`.
 *
 * Cancellation safety: every operation is synchronous, so it either happened or did not.
 *
 * @since 0.1.0
 */
import type * as Either from "effect/Either"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as Bytes from "./Bytes.js"
import * as internal from "./internal/buf.js"
import type { BufferUnderflow } from "./internal/errors.js"

export {
  /**
   * A read asked for more bytes than remain; the cursor did not move.
   *
   * @since 0.1.0
   * @category errors
   */
  BufferUnderflow
} from "./internal/errors.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * A read cursor.
 *
 * @since 0.1.0
 * @category models
 */
export interface Buf extends Inspectable, Pipeable {
  readonly [TypeId]: TypeId
  /** How many bytes are left to read. */
  readonly remaining: number
}

/**
 * Whether `u` is a read cursor.
 *
 * @since 0.1.0
 * @category guards
 */
export const isBuf = (u: unknown): u is Buf => Predicate.hasProperty(u, TypeId)

/**
 * A cursor at the start of `bytes`. Does not copy.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Buf, Bytes } from "@weft/bytes"
 *
 * const program = Effect.gen(function*() {
 *   const buf = Buf.make(Bytes.make(0, 2, 0xca, 0xfe, 0xff))
 *   const length = yield* Buf.getU16(buf)
 *   const body = yield* Buf.takeBytes(buf, length)
 *   return { length, body: Bytes.toHex(body), left: Buf.remaining(buf) } // => { length: 2, body: "cafe", left: 1 }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (bytes: Bytes.Bytes | Uint8Array) => Buf = internal.make

/**
 * How many bytes are left to read.
 *
 * @since 0.1.0
 * @category getters
 */
export const remaining: (self: Buf) => number = internal.remaining

/**
 * How many bytes have been read.
 *
 * @since 0.1.0
 * @category getters
 */
export const position: (self: Buf) => number = internal.position

/**
 * The unread bytes, without copying and without moving the cursor.
 *
 * @since 0.1.0
 * @category getters
 */
export const rest: (self: Buf) => Bytes.Bytes = internal.rest

/**
 * Reads an unsigned 8-bit integer and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getU8: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getU8

/**
 * Reads a signed 8-bit integer and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getI8: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getI8

/**
 * Reads an unsigned 16-bit integer, big-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getU16: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getU16

/**
 * Reads an unsigned 16-bit integer, little-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getU16Le: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getU16Le

/**
 * Reads a signed 16-bit integer, big-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getI16: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getI16

/**
 * Reads a signed 16-bit integer, little-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getI16Le: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getI16Le

/**
 * Reads an unsigned 32-bit integer, big-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getU32: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getU32

/**
 * Reads an unsigned 32-bit integer, little-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getU32Le: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getU32Le

/**
 * Reads a signed 32-bit integer, big-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getI32: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getI32

/**
 * Reads a signed 32-bit integer, little-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getI32Le: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getI32Le

/**
 * Reads an unsigned 64-bit integer as a `bigint`, big-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getU64: (self: Buf) => Either.Either<bigint, BufferUnderflow> = internal.getU64

/**
 * Reads an unsigned 64-bit integer as a `bigint`, little-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getU64Le: (self: Buf) => Either.Either<bigint, BufferUnderflow> = internal.getU64Le

/**
 * Reads a signed 64-bit integer as a `bigint`, big-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getI64: (self: Buf) => Either.Either<bigint, BufferUnderflow> = internal.getI64

/**
 * Reads a signed 64-bit integer as a `bigint`, little-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getI64Le: (self: Buf) => Either.Either<bigint, BufferUnderflow> = internal.getI64Le

/**
 * Reads a 32-bit IEEE 754 float, big-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getF32: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getF32

/**
 * Reads a 32-bit IEEE 754 float, little-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getF32Le: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getF32Le

/**
 * Reads a 64-bit IEEE 754 float, big-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getF64: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getF64

/**
 * Reads a 64-bit IEEE 754 float, little-endian and moves past it, or fails with `BufferUnderflow` (the cursor stays put).
 *
 * @since 0.1.0
 * @category reading
 */
export const getF64Le: (self: Buf) => Either.Either<number, BufferUnderflow> = internal.getF64Le

/**
 * Reads an unsigned big-endian integer of `width` (1–8) bytes. Values above 2^53 come back as the
 * nearest double.
 *
 * @since 0.1.0
 * @category reading
 */
export const getUint: {
  (width: number): (self: Buf) => Either.Either<number, BufferUnderflow>
  (self: Buf, width: number): Either.Either<number, BufferUnderflow>
} = internal.getUint

/**
 * `getUint`, little-endian.
 *
 * @since 0.1.0
 * @category reading
 */
export const getUintLe: {
  (width: number): (self: Buf) => Either.Either<number, BufferUnderflow>
  (self: Buf, width: number): Either.Either<number, BufferUnderflow>
} = internal.getUintLe

/**
 * Skips `n` bytes, or fails with `BufferUnderflow` (also for an `n` that is not a non-negative
 * integer) without moving.
 *
 * @since 0.1.0
 * @category reading
 */
export const advance: {
  (n: number): (self: Buf) => Either.Either<void, BufferUnderflow>
  (self: Buf, n: number): Either.Either<void, BufferUnderflow>
} = internal.advance

/**
 * The next `n` bytes as `Bytes` **without copying** (they share the source's buffer), moving
 * past them; or `BufferUnderflow` without moving.
 *
 * @since 0.1.0
 * @category reading
 */
export const takeBytes: {
  (n: number): (self: Buf) => Either.Either<Bytes.Bytes, BufferUnderflow>
  (self: Buf, n: number): Either.Either<Bytes.Bytes, BufferUnderflow>
} = internal.takeBytes
