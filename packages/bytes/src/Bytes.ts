/**
 * Immutable, zero-copy views over bytes.
 *
 * A `Bytes` is a read-only window onto a region of a `Uint8Array`. Slicing (`slice`, `take`,
 * `drop`, `splitAt`) never copies: the result is another window onto the same `ArrayBuffer`.
 * Only the functions whose names or docs say so copy: `copy`, `concat`, `concatAll`,
 * `fromString`, `make`.
 *
 * Two `Bytes` are `Equal` when their contents are equal, wherever they live; their `Hash` is a
 * hash of the content.
 *
 * Ownership: wrapping a `Uint8Array` does not copy it, so the `Bytes` sees later writes to that
 * array. Wrap arrays you have stopped writing to (a socket chunk, a frozen `BytesMut`), and treat
 * the array returned by `toUint8Array` as read-only.
 *
 * Cancellation safety: every function here is synchronous and pure except `chunks`, whose stream
 * holds no resources, so interruption can never leave a `Bytes` half-built.
 *
 * @since 0.1.0
 */
import type * as Equal from "effect/Equal"
import type * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import type * as Stream from "effect/Stream"
import * as internal from "./internal/bytes.js"
import type { InvalidChunkSize } from "./internal/errors.js"

export {
  /**
   * `chunks` was asked for a chunk size that is not a positive safe integer.
   *
   * @since 0.1.0
   * @category errors
   */
  InvalidChunkSize
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
 * An immutable view over a region of a `Uint8Array`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Bytes extends Equal.Equal, Inspectable.Inspectable, Pipeable {
  readonly [TypeId]: TypeId
  /** The number of bytes in the view. */
  readonly length: number
}

/**
 * Whether a value is a `Bytes`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isBytes: (u: unknown) => u is Bytes = internal.isBytes

/**
 * The empty `Bytes`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: Bytes = internal.empty

/**
 * Wraps a `Uint8Array` (or a `Buffer`) without copying: the `Bytes` views exactly the array's
 * region of its `ArrayBuffer`. Do not write to the array afterwards.
 *
 * @example
 * ```ts
 * import { Bytes } from "@weft/bytes"
 *
 * const chunk = new Uint8Array([1, 2, 3])
 * const bytes = Bytes.fromUint8Array(chunk)
 * Bytes.toUint8Array(bytes) === chunk // => true — same view, nothing copied
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromUint8Array: (array: Uint8Array) => Bytes = internal.fromUint8Array

/**
 * Wraps a Node `Buffer` without copying; the result shares the buffer's memory.
 *
 * @since 0.1.0
 * @category interop
 */
export const fromBuffer: (buffer: Buffer) => Bytes = internal.fromBuffer

/**
 * A Node `Buffer` over the same memory as `self`, without copying.
 *
 * @since 0.1.0
 * @category interop
 */
export const toBuffer: (self: Bytes) => Buffer = internal.toBuffer

/**
 * Encodes a string as UTF-8 into a fresh buffer. **Copies**: the result owns new memory.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromString: (text: string) => Bytes = internal.fromString

/**
 * Builds `Bytes` from byte values (each taken modulo 256). **Copies** into a fresh buffer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (...bytes: ReadonlyArray<number>) => Bytes = internal.make

/**
 * Decodes the bytes as UTF-8 (invalid sequences become U+FFFD).
 *
 * @since 0.1.0
 * @category conversions
 */
export const decodeUtf8: (self: Bytes) => string = internal.decodeUtf8

/**
 * The bytes as lowercase hexadecimal.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toHex: (self: Bytes) => string = internal.toHex

/**
 * The viewed region as a `Uint8Array`, without copying: it shares memory with `self`. Treat it as
 * read-only; writing to it would change every `Bytes` over the same memory.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toUint8Array: (self: Bytes) => Uint8Array = internal.toUint8Array

/**
 * The number of bytes.
 *
 * @since 0.1.0
 * @category getters
 */
export const size: (self: Bytes) => number = internal.size

/**
 * Whether there are no bytes.
 *
 * @since 0.1.0
 * @category getters
 */
export const isEmpty: (self: Bytes) => boolean = internal.isEmpty

/**
 * The byte at `index`, or `None` outside `0 ≤ index < size`.
 *
 * @since 0.1.0
 * @category getters
 */
export const get: {
  (index: number): (self: Bytes) => Option.Option<number>
  (self: Bytes, index: number): Option.Option<number>
} = internal.get

/**
 * The first index of `byte` at or after `fromIndex`, or `None`.
 *
 * @since 0.1.0
 * @category getters
 */
export const indexOf: {
  (byte: number, fromIndex?: number): (self: Bytes) => Option.Option<number>
  (self: Bytes, byte: number, fromIndex?: number): Option.Option<number>
} = internal.indexOf

/**
 * The bytes from `start` up to (not including) `end`, **without copying**: the result shares
 * `self`'s `ArrayBuffer`. Indices follow `Uint8Array.prototype.subarray`: negative values count
 * from the end and out-of-range values are clamped.
 *
 * @example
 * ```ts
 * import { Bytes } from "@weft/bytes"
 *
 * const bytes = Bytes.fromString("hello world")
 * const world = Bytes.slice(bytes, 6)
 * Bytes.decodeUtf8(world) // => "world"
 * Bytes.sharesBuffer(world, bytes) // => true
 * ```
 *
 * @since 0.1.0
 * @category slicing
 */
export const slice: {
  (start: number, end?: number): (self: Bytes) => Bytes
  (self: Bytes, start: number, end?: number): Bytes
} = internal.slice

/**
 * The first `n` bytes (all of them if there are fewer), without copying.
 *
 * @since 0.1.0
 * @category slicing
 */
export const take: {
  (n: number): (self: Bytes) => Bytes
  (self: Bytes, n: number): Bytes
} = internal.take

/**
 * All but the first `n` bytes, without copying.
 *
 * @since 0.1.0
 * @category slicing
 */
export const drop: {
  (n: number): (self: Bytes) => Bytes
  (self: Bytes, n: number): Bytes
} = internal.drop

/**
 * `[take(n), drop(n)]`, without copying; `n` is clamped to `0…size`.
 *
 * @example
 * ```ts
 * import { Bytes } from "@weft/bytes"
 *
 * const [header, body] = Bytes.splitAt(Bytes.make(0, 3, 7, 8, 9), 2)
 * Bytes.size(header) // => 2
 * Bytes.size(body) // => 3
 * ```
 *
 * @since 0.1.0
 * @category slicing
 */
export const splitAt: {
  (n: number): (self: Bytes) => [Bytes, Bytes]
  (self: Bytes, n: number): [Bytes, Bytes]
} = internal.splitAt

/**
 * A copy of the bytes in a fresh `ArrayBuffer` of exactly that size. **Copies**: use it to stop a
 * small view from keeping a large chunk alive.
 *
 * @since 0.1.0
 * @category copying
 */
export const copy: (self: Bytes) => Bytes = internal.copy

/**
 * Copies of all `parts`, made with one allocation: every part is copied into one fresh buffer of
 * exactly their total size, and the i-th result views the i-th part's copy. **Copies**, like
 * {@link copy}, but the copies share their buffer, which stays alive until the last of them is
 * gone: use it for parts that are released together (one batch of frames), where it costs one
 * allocation instead of one per part.
 *
 * @example
 * ```ts
 * import { Bytes } from "@weft/bytes"
 *
 * const chunk = Bytes.fromString("hello world")
 * const [hello, world] = Bytes.copyShared([Bytes.take(chunk, 5), Bytes.drop(chunk, 6)])
 * Bytes.decodeUtf8(world!) // => "world"
 * Bytes.sharesBuffer(hello!, world!) // => true — one buffer of 10 bytes
 * Bytes.sharesBuffer(hello!, chunk) // => false
 * ```
 *
 * @since 0.1.0
 * @category copying
 */
export const copyShared: (parts: ReadonlyArray<Bytes>) => Array<Bytes> = internal.copyShared

/**
 * Whether `self` views its whole `ArrayBuffer`, so that holding it keeps no other bytes alive (a
 * zero-copy slice of a larger chunk does not; a {@link copy} does).
 *
 * @since 0.1.0
 * @category getters
 */
export const spansBuffer: (self: Bytes) => boolean = internal.spansBuffer

/**
 * `self` followed by `that`. **Copies** both into one fresh buffer.
 *
 * @since 0.1.0
 * @category copying
 */
export const concat: {
  (that: Bytes): (self: Bytes) => Bytes
  (self: Bytes, that: Bytes): Bytes
} = internal.concat

/**
 * All parts, in order. **Copies** every part into one fresh buffer.
 *
 * @since 0.1.0
 * @category copying
 */
export const concatAll: (parts: Iterable<Bytes | Uint8Array>) => Bytes = internal.concatAll

/**
 * Content equality (the same as `Equal.equals` on two `Bytes`).
 *
 * @since 0.1.0
 * @category equality
 */
export const equals: {
  (that: Bytes): (self: Bytes) => boolean
  (self: Bytes, that: Bytes): boolean
} = internal.equals

/**
 * Whether `self` views the same `ArrayBuffer` as `that`: the way to check that an operation did
 * not copy.
 *
 * @since 0.1.0
 * @category getters
 */
export const sharesBuffer: {
  (that: Bytes | Uint8Array): (self: Bytes) => boolean
  (self: Bytes, that: Bytes | Uint8Array): boolean
} = internal.sharesBuffer

/**
 * A stream of consecutive zero-copy slices of `size` bytes (the last may be shorter). Useful to
 * feed a decoder as a socket would. Fails with `InvalidChunkSize` unless `size` is a positive
 * safe integer.
 *
 * Cancellation safety: the stream holds no resources; interrupting it loses nothing.
 *
 * @example
 * ```ts
 * import { Chunk, Effect, Stream } from "effect"
 * import { Bytes } from "@weft/bytes"
 *
 * const parts = Bytes.chunks(Bytes.fromString("abcdefg"), 3).pipe(
 *   Stream.map(Bytes.decodeUtf8),
 *   Stream.runCollect
 * )
 * Effect.runPromise(parts).then(Chunk.toArray) // => ["abc", "def", "g"]
 * ```
 *
 * @since 0.1.0
 * @category interop
 */
export const chunks: {
  (size: number): (self: Bytes) => Stream.Stream<Bytes, InvalidChunkSize>
  (self: Bytes, size: number): Stream.Stream<Bytes, InvalidChunkSize>
} = internal.chunks
