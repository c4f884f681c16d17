/**
 * A growable, exclusively owned byte builder, in the manner of tokio's `BytesMut`.
 *
 * Write with `put*` (big-endian unless the name ends in `Le`) and `extend`, then hand the bytes
 * out with `freeze`, `splitTo` or `splitOff`, none of which copy. The builder writes only inside
 * the window it still owns: once a region is frozen or split off, later writes to the builder
 * never change it. When the builder needs more room it moves its own (unfrozen) bytes to a new
 * buffer and leaves the old one to whoever holds views of it.
 *
 * A `BytesMut` is a mutable value: `put*` change it and return it, so calls chain in a `pipe`.
 * Keep one owner; share what `freeze` returns instead.
 *
 * Cancellation safety: every operation is synchronous, so it either happened or did not.
 *
 * @since 0.1.0
 */
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Bytes from "./Bytes.js"
import * as internal from "./internal/bytesMut.js"

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
 * A growable byte builder.
 *
 * @since 0.1.0
 * @category models
 */
export interface BytesMut extends Inspectable, Pipeable {
  readonly [TypeId]: TypeId
  /** The number of bytes written and not yet frozen or split off. */
  readonly length: number
}

/**
 * An empty builder with room for `capacity` bytes (64 by default) before it grows. The capacity
 * is only a hint: a value that is not a positive integer starts with no room.
 *
 * @example
 * ```ts
 * import { pipe } from "effect"
 * import { Bytes, BytesMut } from "@weft/bytes"
 *
 * const frame = pipe(
 *   BytesMut.make(16),
 *   BytesMut.putU16(0x0102),
 *   BytesMut.putU32Le(7),
 *   BytesMut.extend(Bytes.fromString("hi")),
 *   BytesMut.freeze
 * )
 * Bytes.toHex(frame) // => "0102070000006869"
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (capacity?: number) => BytesMut = internal.make

/**
 * Whether a value is a `BytesMut`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isBytesMut: (u: unknown) => u is BytesMut = internal.isBytesMut

/**
 * The number of bytes written and not yet frozen or split off.
 *
 * @since 0.1.0
 * @category getters
 */
export const length: (self: BytesMut) => number = internal.length

/**
 * How many bytes the builder can hold before it must grow.
 *
 * @since 0.1.0
 * @category getters
 */
export const capacity: (self: BytesMut) => number = internal.capacity

/**
 * Makes room for at least `additional` more bytes, so the next writes of that size do not grow
 * the buffer.
 *
 * @since 0.1.0
 * @category writing
 */
export const reserve: {
  (additional: number): (self: BytesMut) => BytesMut
  (self: BytesMut, additional: number): BytesMut
} = internal.reserve

/**
 * Appends an unsigned 8-bit integer. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^8).
 *
 * @since 0.1.0
 * @category writing
 */
export const putU8: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putU8

/**
 * Appends a signed 8-bit integer. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^8).
 *
 * @since 0.1.0
 * @category writing
 */
export const putI8: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putI8

/**
 * Appends an unsigned 16-bit integer, big-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^16).
 *
 * @since 0.1.0
 * @category writing
 */
export const putU16: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putU16

/**
 * Appends an unsigned 16-bit integer, little-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^16).
 *
 * @since 0.1.0
 * @category writing
 */
export const putU16Le: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putU16Le

/**
 * Appends a signed 16-bit integer, big-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^16).
 *
 * @since 0.1.0
 * @category writing
 */
export const putI16: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putI16

/**
 * Appends a signed 16-bit integer, little-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^16).
 *
 * @since 0.1.0
 * @category writing
 */
export const putI16Le: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putI16Le

/**
 * Appends an unsigned 32-bit integer, big-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^32).
 *
 * @since 0.1.0
 * @category writing
 */
export const putU32: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putU32

/**
 * Appends an unsigned 32-bit integer, little-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^32).
 *
 * @since 0.1.0
 * @category writing
 */
export const putU32Le: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putU32Le

/**
 * Appends a signed 32-bit integer, big-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^32).
 *
 * @since 0.1.0
 * @category writing
 */
export const putI32: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putI32

/**
 * Appends a signed 32-bit integer, little-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^32).
 *
 * @since 0.1.0
 * @category writing
 */
export const putI32Le: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putI32Le

/**
 * Appends an unsigned 64-bit integer (a `bigint`), big-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^64).
 *
 * @since 0.1.0
 * @category writing
 */
export const putU64: {
  (value: bigint): (self: BytesMut) => BytesMut
  (self: BytesMut, value: bigint): BytesMut
} = internal.putU64

/**
 * Appends an unsigned 64-bit integer (a `bigint`), little-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^64).
 *
 * @since 0.1.0
 * @category writing
 */
export const putU64Le: {
  (value: bigint): (self: BytesMut) => BytesMut
  (self: BytesMut, value: bigint): BytesMut
} = internal.putU64Le

/**
 * Appends a signed 64-bit integer (a `bigint`), big-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^64).
 *
 * @since 0.1.0
 * @category writing
 */
export const putI64: {
  (value: bigint): (self: BytesMut) => BytesMut
  (self: BytesMut, value: bigint): BytesMut
} = internal.putI64

/**
 * Appends a signed 64-bit integer (a `bigint`), little-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^64).
 *
 * @since 0.1.0
 * @category writing
 */
export const putI64Le: {
  (value: bigint): (self: BytesMut) => BytesMut
  (self: BytesMut, value: bigint): BytesMut
} = internal.putI64Le

/**
 * Appends a 32-bit IEEE 754 float, big-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^32).
 *
 * @since 0.1.0
 * @category writing
 */
export const putF32: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putF32

/**
 * Appends a 32-bit IEEE 754 float, little-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^32).
 *
 * @since 0.1.0
 * @category writing
 */
export const putF32Le: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putF32Le

/**
 * Appends a 64-bit IEEE 754 float, big-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^64).
 *
 * @since 0.1.0
 * @category writing
 */
export const putF64: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putF64

/**
 * Appends a 64-bit IEEE 754 float, little-endian. Integers out of range wrap as `DataView` stores them (two's complement, modulo
 * 2^64).
 *
 * @since 0.1.0
 * @category writing
 */
export const putF64Le: {
  (value: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number): BytesMut
} = internal.putF64Le

/**
 * Appends `value` as an unsigned integer of `width` (1–8) bytes, big-endian. `value` must be a
 * non-negative safe integer that fits in `width` bytes; other values are written modulo 256^width.
 *
 * @since 0.1.0
 * @category writing
 */
export const putUint: {
  (value: number, width: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number, width: number): BytesMut
} = internal.putUint

/**
 * `putUint`, little-endian.
 *
 * @since 0.1.0
 * @category writing
 */
export const putUintLe: {
  (value: number, width: number): (self: BytesMut) => BytesMut
  (self: BytesMut, value: number, width: number): BytesMut
} = internal.putUintLe

/**
 * Appends bytes. **Copies** them into the builder.
 *
 * @since 0.1.0
 * @category writing
 */
export const extend: {
  (bytes: Bytes.Bytes | Uint8Array): (self: BytesMut) => BytesMut
  (self: BytesMut, bytes: Bytes.Bytes | Uint8Array): BytesMut
} = internal.extend

/**
 * Everything written so far as immutable `Bytes`, without copying. The builder is left empty and
 * keeps its remaining capacity; its later writes never touch the frozen bytes.
 *
 * @example
 * ```ts
 * import { Bytes, BytesMut } from "@weft/bytes"
 *
 * const builder = BytesMut.make()
 * BytesMut.putU8(builder, 1)
 * const first = BytesMut.freeze(builder)
 * BytesMut.putU8(builder, 2)
 * Bytes.toHex(first) // => "01" — the later write did not change it
 * ```
 *
 * @since 0.1.0
 * @category splitting
 */
export const freeze: (self: BytesMut) => Bytes.Bytes = internal.freeze

/**
 * Removes the first `n` bytes (clamped to `0…length`) and returns them as a builder of their own,
 * without copying; `self` keeps the rest. The two never write into each other's bytes.
 *
 * @since 0.1.0
 * @category splitting
 */
export const splitTo: {
  (n: number): (self: BytesMut) => BytesMut
  (self: BytesMut, n: number): BytesMut
} = internal.splitTo

/**
 * Removes the bytes from index `n` (clamped to `0…length`) on and returns them, with the spare
 * capacity, as a builder of their own, without copying; `self` keeps the first `n` bytes and its
 * next write moves them to a new buffer rather than overwrite the split-off part.
 *
 * @since 0.1.0
 * @category splitting
 */
export const splitOff: {
  (n: number): (self: BytesMut) => BytesMut
  (self: BytesMut, n: number): BytesMut
} = internal.splitOff

/**
 * Discards the unfrozen bytes, keeping the capacity. Frozen and split-off bytes are unaffected.
 *
 * @since 0.1.0
 * @category writing
 */
export const clear: (self: BytesMut) => BytesMut = internal.clear
