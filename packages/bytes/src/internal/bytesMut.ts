import { dual } from "effect/Function"
import { format, NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import type * as Bytes from "../Bytes.js"
import type * as BytesMut from "../BytesMut.js"
import { arr, BytesImpl, isBytes } from "./bytes.js"
import { writeUint } from "./uint.js"

/** @internal */
export const TypeId: BytesMut.TypeId = Symbol.for("@weft/bytes/BytesMut") as BytesMut.TypeId

const defaultCapacity = 64

/**
 * The builder owns `buffer[start, limit)`; `buffer[start, end)` holds its bytes. Everything before
 * `start` was frozen or split off and everything from `limit` on was split off: the builder never
 * writes outside its own window, which is why frozen and split regions never change.
 *
 * @internal
 */
export class BytesMutImpl implements BytesMut.BytesMut {
  readonly [TypeId]: BytesMut.TypeId = TypeId
  view: DataView
  constructor(
    public buffer: Uint8Array,
    public start: number,
    public end: number,
    public limit: number
  ) {
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  }

  get length(): number {
    return this.end - this.start
  }

  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }

  toJSON() {
    return { _id: "BytesMut", length: this.end - this.start, capacity: this.limit - this.start }
  }

  toString(): string {
    return format(this.toJSON())
  }

  [NodeInspectSymbol]() {
    return this.toJSON()
  }
}

const impl = (self: BytesMut.BytesMut): BytesMutImpl => self as BytesMutImpl

/** @internal */
export const make = (capacity: number = defaultCapacity): BytesMut.BytesMut => {
  const size = Number.isSafeInteger(capacity) && capacity > 0 ? capacity : 0
  return new BytesMutImpl(new Uint8Array(size), 0, 0, size)
}

/** @internal */
export const isBytesMut = (u: unknown): u is BytesMut.BytesMut => typeof u === "object" && u !== null && TypeId in u

/** @internal */
export const length = (self: BytesMut.BytesMut): number => impl(self).length

/** @internal */
export const capacity = (self: BytesMut.BytesMut): number => impl(self).limit - impl(self).start

/** Moves the builder's bytes to a fresh buffer with room for `additional` more. */
const grow = (self: BytesMutImpl, additional: number): void => {
  const length = self.end - self.start
  const size = Math.max(length * 2, length + additional, defaultCapacity)
  const buffer = new Uint8Array(size)
  buffer.set(self.buffer.subarray(self.start, self.end))
  self.buffer = buffer
  self.view = new DataView(buffer.buffer)
  self.start = 0
  self.end = length
  self.limit = size
}

/** @internal */
export const reserve: {
  (additional: number): (self: BytesMut.BytesMut) => BytesMut.BytesMut
  (self: BytesMut.BytesMut, additional: number): BytesMut.BytesMut
} = dual(2, (self: BytesMut.BytesMut, additional: number): BytesMut.BytesMut => {
  const s = impl(self)
  if (s.limit - s.end < additional) grow(s, additional)
  return self
})

const putter = <A>(width: number, write: (view: DataView, offset: number, value: A) => void): {
  (value: A): (self: BytesMut.BytesMut) => BytesMut.BytesMut
  (self: BytesMut.BytesMut, value: A): BytesMut.BytesMut
} =>
  dual(2, (self: BytesMut.BytesMut, value: A): BytesMut.BytesMut => {
    const s = impl(self)
    if (s.limit - s.end < width) grow(s, width)
    write(s.view, s.end, value)
    s.end += width
    return self
  })

/** @internal */
export const putU8 = putter<number>(1, (v, o, x) => v.setUint8(o, x))
/** @internal */
export const putI8 = putter<number>(1, (v, o, x) => v.setInt8(o, x))
/** @internal */
export const putU16 = putter<number>(2, (v, o, x) => v.setUint16(o, x))
/** @internal */
export const putU16Le = putter<number>(2, (v, o, x) => v.setUint16(o, x, true))
/** @internal */
export const putI16 = putter<number>(2, (v, o, x) => v.setInt16(o, x))
/** @internal */
export const putI16Le = putter<number>(2, (v, o, x) => v.setInt16(o, x, true))
/** @internal */
export const putU32 = putter<number>(4, (v, o, x) => v.setUint32(o, x))
/** @internal */
export const putU32Le = putter<number>(4, (v, o, x) => v.setUint32(o, x, true))
/** @internal */
export const putI32 = putter<number>(4, (v, o, x) => v.setInt32(o, x))
/** @internal */
export const putI32Le = putter<number>(4, (v, o, x) => v.setInt32(o, x, true))
/** @internal */
export const putU64 = putter<bigint>(8, (v, o, x) => v.setBigUint64(o, x))
/** @internal */
export const putU64Le = putter<bigint>(8, (v, o, x) => v.setBigUint64(o, x, true))
/** @internal */
export const putI64 = putter<bigint>(8, (v, o, x) => v.setBigInt64(o, x))
/** @internal */
export const putI64Le = putter<bigint>(8, (v, o, x) => v.setBigInt64(o, x, true))
/** @internal */
export const putF32 = putter<number>(4, (v, o, x) => v.setFloat32(o, x))
/** @internal */
export const putF32Le = putter<number>(4, (v, o, x) => v.setFloat32(o, x, true))
/** @internal */
export const putF64 = putter<number>(8, (v, o, x) => v.setFloat64(o, x))
/** @internal */
export const putF64Le = putter<number>(8, (v, o, x) => v.setFloat64(o, x, true))

const putUintWith = (littleEndian: boolean): {
  (value: number, width: number): (self: BytesMut.BytesMut) => BytesMut.BytesMut
  (self: BytesMut.BytesMut, value: number, width: number): BytesMut.BytesMut
} =>
  dual(3, (self: BytesMut.BytesMut, value: number, width: number): BytesMut.BytesMut => {
    const s = impl(self)
    if (s.limit - s.end < width) grow(s, width)
    writeUint(s.buffer, s.end, value, width, littleEndian)
    s.end += width
    return self
  })

/** @internal */
export const putUint = putUintWith(false)
/** @internal */
export const putUintLe = putUintWith(true)

/** @internal */
export const extend: {
  (bytes: Bytes.Bytes | Uint8Array): (self: BytesMut.BytesMut) => BytesMut.BytesMut
  (self: BytesMut.BytesMut, bytes: Bytes.Bytes | Uint8Array): BytesMut.BytesMut
} = dual(2, (self: BytesMut.BytesMut, bytes: Bytes.Bytes | Uint8Array): BytesMut.BytesMut => {
  const s = impl(self)
  const source = isBytes(bytes) ? arr(bytes) : bytes
  if (s.limit - s.end < source.length) grow(s, source.length)
  s.buffer.set(source, s.end)
  s.end += source.length
  return self
})

/** @internal */
export const freeze = (self: BytesMut.BytesMut): Bytes.Bytes => {
  const s = impl(self)
  const frozen = new BytesImpl(s.buffer, s.start, s.end - s.start)
  s.start = s.end
  return frozen
}

const clampLength = (s: BytesMutImpl, n: number): number => Math.min(Math.max(0, Math.trunc(n) || 0), s.end - s.start)

/** @internal */
export const splitTo: {
  (n: number): (self: BytesMut.BytesMut) => BytesMut.BytesMut
  (self: BytesMut.BytesMut, n: number): BytesMut.BytesMut
} = dual(2, (self: BytesMut.BytesMut, n: number): BytesMut.BytesMut => {
  const s = impl(self)
  const at = s.start + clampLength(s, n)
  const front = new BytesMutImpl(s.buffer, s.start, at, at)
  s.start = at
  return front
})

/** @internal */
export const splitOff: {
  (n: number): (self: BytesMut.BytesMut) => BytesMut.BytesMut
  (self: BytesMut.BytesMut, n: number): BytesMut.BytesMut
} = dual(2, (self: BytesMut.BytesMut, n: number): BytesMut.BytesMut => {
  const s = impl(self)
  const at = s.start + clampLength(s, n)
  const back = new BytesMutImpl(s.buffer, at, s.end, s.limit)
  s.end = at
  s.limit = at
  return back
})

/** @internal */
export const clear = (self: BytesMut.BytesMut): BytesMut.BytesMut => {
  const s = impl(self)
  s.end = s.start
  return self
}
