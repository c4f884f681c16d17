import * as Equal from "effect/Equal"
import { dual } from "effect/Function"
import * as Hash from "effect/Hash"
import { format, NodeInspectSymbol } from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Stream from "effect/Stream"
import type * as Bytes from "../Bytes.js"
import { InvalidChunkSize } from "./errors.js"

/** @internal */
export const TypeId: Bytes.TypeId = Symbol.for("@weft/bytes/Bytes") as Bytes.TypeId

/** How many bytes `toJSON` shows before eliding the rest: enough to recognise a frame header. */
const inspectLimit = 64

const hex = (array: Uint8Array): string => {
  let out = ""
  for (let i = 0; i < array.length; i++) out += array[i]!.toString(16).padStart(2, "0")
  return out
}

/**
 * A `Bytes` is `length` bytes of `source` from `offset`. The `Uint8Array` view of exactly that
 * region is made only when someone asks for it (`array`): a typed-array view costs several times
 * more to create than this object, and the decoder makes one `Bytes` per frame. A class rather
 * than `Object.create(proto)` because V8 allocates a monomorphic constructor's objects fastest.
 *
 * @internal
 */
export class BytesImpl implements Bytes.Bytes {
  declare readonly [TypeId]: Bytes.TypeId
  private view: Uint8Array | undefined
  constructor(readonly source: Uint8Array, readonly offset: number, readonly length: number) {
    this.view = undefined
  }

  /** The region as a `Uint8Array`, created on first use and then kept. */
  get array(): Uint8Array {
    if (this.view === undefined) {
      this.view = this.offset === 0 && this.length === this.source.length
        ? this.source
        : this.source.subarray(this.offset, this.offset + this.length)
    }
    return this.view
  }

  [Equal.symbol](that: Equal.Equal): boolean {
    return isBytes(that) && equalArrays(this.array, arr(that))
  }

  [Hash.symbol](): number {
    // FNV-1a over the content; cached because the content never changes.
    const { length, offset, source } = this
    let h = 0x811c9dc5
    for (let i = offset; i < offset + length; i++) {
      h = Math.imul(h ^ source[i]!, 0x01000193)
    }
    return Hash.cached(this, Hash.optimize(h))
  }

  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }

  toJSON() {
    const shown = this.length > inspectLimit
      ? this.source.subarray(this.offset, this.offset + inspectLimit)
      : this.array
    return {
      _id: "Bytes",
      size: this.length,
      hex: this.length > inspectLimit ? `${hex(shown)}…` : hex(shown)
    }
  }

  toString(): string {
    return format(this.toJSON())
  }

  [NodeInspectSymbol]() {
    return this.toJSON()
  }
}
Object.defineProperty(BytesImpl.prototype, TypeId, { value: TypeId })

/** A `Bytes` over all of `array`. @internal */
export const whole = (array: Uint8Array): BytesImpl => new BytesImpl(array, 0, array.length)

const equalArrays = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a === b) return true
  const n = a.length
  if (n !== b.length) return false
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return false
  }
  return true
}

/**
 * The viewed region of any `Bytes`. `BytesImpl` is the only implementation (the type id is a unique
 * symbol), so the cast cannot fail.
 *
 * @internal
 */
export const arr = (self: Bytes.Bytes): Uint8Array => (self as BytesImpl).array

const impl = (self: Bytes.Bytes): BytesImpl => self as BytesImpl

/** @internal */
export const isBytes = (u: unknown): u is Bytes.Bytes => typeof u === "object" && u !== null && TypeId in u

/** @internal */
export const fromUint8Array = (array: Uint8Array): Bytes.Bytes => whole(array)

/** @internal */
export const fromBuffer = (buffer: Buffer): Bytes.Bytes =>
  whole(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength))

/** @internal */
export const toBuffer = (self: Bytes.Bytes): Buffer => {
  const { length, offset, source } = impl(self)
  return Buffer.from(source.buffer, source.byteOffset + offset, length)
}

/** @internal */
export const empty: Bytes.Bytes = whole(new Uint8Array(0))

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** @internal */
export const fromString = (text: string): Bytes.Bytes => whole(encoder.encode(text))

/** @internal */
export const decodeUtf8 = (self: Bytes.Bytes): string => decoder.decode(arr(self))

/** @internal */
export const make = (...bytes: ReadonlyArray<number>): Bytes.Bytes => whole(Uint8Array.from(bytes))

/** @internal */
export const size = (self: Bytes.Bytes): number => self.length

/** @internal */
export const isEmpty = (self: Bytes.Bytes): boolean => self.length === 0

/** @internal */
export const toUint8Array = (self: Bytes.Bytes): Uint8Array => arr(self)

/** `Uint8Array.prototype.subarray`'s index rule: negative counts from the end, then clamp. */
const relativeIndex = (index: number, length: number): number => {
  const i = Math.trunc(index) || 0
  return i < 0 ? Math.max(length + i, 0) : Math.min(i, length)
}

/** The bytes `[start, end)` of `self`, both already within `0…length`. @internal */
export const unsafeSlice = (self: Bytes.Bytes, start: number, end: number): BytesImpl => {
  const s = impl(self)
  return new BytesImpl(s.source, s.offset + start, Math.max(end - start, 0))
}

const sliceTo = (self: Bytes.Bytes, start: number, end: number | undefined): Bytes.Bytes =>
  unsafeSlice(
    self,
    relativeIndex(start, self.length),
    end === undefined ? self.length : relativeIndex(end, self.length)
  )

/**
 * Written out rather than with `dual`: the optional `end` would need `dual`'s predicate form,
 * which goes through `arguments` and costs several times the slice itself.
 *
 * @internal
 */
export function slice(start: number, end?: number): (self: Bytes.Bytes) => Bytes.Bytes
/** @internal */
export function slice(self: Bytes.Bytes, start: number, end?: number): Bytes.Bytes
/** @internal */
export function slice(
  selfOrStart: Bytes.Bytes | number,
  startOrEnd?: number,
  end?: number
): Bytes.Bytes | ((self: Bytes.Bytes) => Bytes.Bytes) {
  if (typeof selfOrStart === "number") return (self: Bytes.Bytes) => sliceTo(self, selfOrStart, startOrEnd)
  return sliceTo(selfOrStart, startOrEnd ?? 0, end)
}

const clampCount = (n: number, length: number): number => Math.min(Math.max(Math.trunc(n) || 0, 0), length)

/** @internal */
export const take: {
  (n: number): (self: Bytes.Bytes) => Bytes.Bytes
  (self: Bytes.Bytes, n: number): Bytes.Bytes
} = dual(2, (self: Bytes.Bytes, n: number): Bytes.Bytes => unsafeSlice(self, 0, clampCount(n, self.length)))

/** @internal */
export const drop: {
  (n: number): (self: Bytes.Bytes) => Bytes.Bytes
  (self: Bytes.Bytes, n: number): Bytes.Bytes
} = dual(2, (self: Bytes.Bytes, n: number): Bytes.Bytes => unsafeSlice(self, clampCount(n, self.length), self.length))

/** @internal */
export const splitAt: {
  (n: number): (self: Bytes.Bytes) => [Bytes.Bytes, Bytes.Bytes]
  (self: Bytes.Bytes, n: number): [Bytes.Bytes, Bytes.Bytes]
} = dual(2, (self: Bytes.Bytes, n: number): [Bytes.Bytes, Bytes.Bytes] => {
  const at = clampCount(n, self.length)
  return [unsafeSlice(self, 0, at), unsafeSlice(self, at, self.length)]
})

/** @internal */
export const get: {
  (index: number): (self: Bytes.Bytes) => Option.Option<number>
  (self: Bytes.Bytes, index: number): Option.Option<number>
} = dual(2, (self: Bytes.Bytes, index: number): Option.Option<number> => {
  const s = impl(self)
  return Number.isInteger(index) && index >= 0 && index < s.length
    ? Option.some(s.source[s.offset + index]!)
    : Option.none()
})

/** @internal */
export const indexOf: {
  (byte: number, fromIndex?: number): (self: Bytes.Bytes) => Option.Option<number>
  (self: Bytes.Bytes, byte: number, fromIndex?: number): Option.Option<number>
} = dual(
  (args) => isBytes(args[0]),
  (self: Bytes.Bytes, byte: number, fromIndex?: number): Option.Option<number> => {
    const index = arr(self).indexOf(byte, fromIndex)
    return index < 0 ? Option.none() : Option.some(index)
  }
)

/**
 * @internal
 * `new Uint8Array(view)`, not `view.slice()`: on a Node `Buffer`, `slice` is a view (an alias
 * of `subarray`), so a "copy" of a socket chunk's frame would keep the whole chunk alive.
 */
export const copy = (self: Bytes.Bytes): Bytes.Bytes => whole(new Uint8Array(arr(self)))

/** @internal */
export const copyShared = (parts: ReadonlyArray<Bytes.Bytes>): Array<Bytes.Bytes> => {
  let total = 0
  for (const part of parts) total += part.length
  const buffer = new Uint8Array(total)
  const copies = new Array<Bytes.Bytes>(parts.length)
  let at = 0
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!
    buffer.set(arr(part), at)
    copies[i] = new BytesImpl(buffer, at, part.length)
    at += part.length
  }
  return copies
}

/** @internal */
export const spansBuffer = (self: Bytes.Bytes): boolean => {
  const { length, source } = impl(self)
  return length === source.length && source.byteLength === source.buffer.byteLength
}

/** @internal */
export const concatAll = (all: Iterable<Bytes.Bytes | Uint8Array>): Bytes.Bytes => {
  const parts = Array.from(all, (part) => (isBytes(part) ? arr(part) : part))
  let total = 0
  for (const part of parts) total += part.length
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return whole(out)
}

/** @internal */
export const concat: {
  (that: Bytes.Bytes): (self: Bytes.Bytes) => Bytes.Bytes
  (self: Bytes.Bytes, that: Bytes.Bytes): Bytes.Bytes
} = dual(2, (self: Bytes.Bytes, that: Bytes.Bytes): Bytes.Bytes => concatAll([self, that]))

/** @internal */
export const equals: {
  (that: Bytes.Bytes): (self: Bytes.Bytes) => boolean
  (self: Bytes.Bytes, that: Bytes.Bytes): boolean
} = dual(2, (self: Bytes.Bytes, that: Bytes.Bytes): boolean => equalArrays(arr(self), arr(that)))

/** @internal */
export const sharesBuffer: {
  (that: Bytes.Bytes | Uint8Array): (self: Bytes.Bytes) => boolean
  (self: Bytes.Bytes, that: Bytes.Bytes | Uint8Array): boolean
} = dual(
  2,
  (self: Bytes.Bytes, that: Bytes.Bytes | Uint8Array): boolean =>
    impl(self).source.buffer === (isBytes(that) ? impl(that).source.buffer : that.buffer)
)

/** @internal */
export const toHex = (self: Bytes.Bytes): string => hex(arr(self))

/** @internal */
export const chunks: {
  (size: number): (self: Bytes.Bytes) => Stream.Stream<Bytes.Bytes, InvalidChunkSize>
  (self: Bytes.Bytes, size: number): Stream.Stream<Bytes.Bytes, InvalidChunkSize>
} = dual(2, (self: Bytes.Bytes, size: number): Stream.Stream<Bytes.Bytes, InvalidChunkSize> => {
  if (!Number.isSafeInteger(size) || size < 1) return Stream.fail(new InvalidChunkSize({ size }))
  const slices: Array<Bytes.Bytes> = []
  for (let start = 0; start < self.length; start += size) {
    slices.push(unsafeSlice(self, start, Math.min(start + size, self.length)))
  }
  return Stream.fromIterable(slices)
})
