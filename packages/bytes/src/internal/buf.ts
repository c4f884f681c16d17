import * as Either from "effect/Either"
import { dual } from "effect/Function"
import { format, NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import type * as Buf from "../Buf.js"
import type * as Bytes from "../Bytes.js"
import { arr, BytesImpl, isBytes } from "./bytes.js"
import { BufferUnderflow } from "./errors.js"
import { readUint } from "./uint.js"

/** @internal */
export const TypeId: Buf.TypeId = Symbol.for("@weft/bytes/Buf") as Buf.TypeId

/** @internal */
export class BufImpl implements Buf.Buf {
  readonly [TypeId]: Buf.TypeId = TypeId
  readonly view: DataView
  position = 0
  constructor(readonly array: Uint8Array) {
    this.view = new DataView(array.buffer, array.byteOffset, array.byteLength)
  }

  get remaining(): number {
    return this.array.length - this.position
  }

  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }

  toJSON() {
    return { _id: "Buf", position: this.position, remaining: this.array.length - this.position }
  }

  toString(): string {
    return format(this.toJSON())
  }

  [NodeInspectSymbol]() {
    return this.toJSON()
  }
}

const impl = (self: Buf.Buf): BufImpl => self as BufImpl

/** @internal */
export const make = (bytes: Bytes.Bytes | Uint8Array): Buf.Buf => new BufImpl(isBytes(bytes) ? arr(bytes) : bytes)

/** @internal */
export const remaining = (self: Buf.Buf): number => impl(self).remaining

/** @internal */
export const position = (self: Buf.Buf): number => impl(self).position

/** @internal */
export const rest = (self: Buf.Buf): Bytes.Bytes => {
  const s = impl(self)
  return new BytesImpl(s.array, s.position, s.array.length - s.position)
}

const underflow = (self: BufImpl, requested: number) =>
  Either.left(new BufferUnderflow({ requested, available: self.array.length - self.position }))

const getter =
  <A>(width: number, read: (view: DataView, offset: number) => A) =>
  (self: Buf.Buf): Either.Either<A, BufferUnderflow> => {
    const s = impl(self)
    if (s.array.length - s.position < width) return underflow(s, width)
    const value = read(s.view, s.position)
    s.position += width
    return Either.right(value)
  }

/** @internal */
export const getU8 = getter(1, (v, o) => v.getUint8(o))
/** @internal */
export const getI8 = getter(1, (v, o) => v.getInt8(o))
/** @internal */
export const getU16 = getter(2, (v, o) => v.getUint16(o))
/** @internal */
export const getU16Le = getter(2, (v, o) => v.getUint16(o, true))
/** @internal */
export const getI16 = getter(2, (v, o) => v.getInt16(o))
/** @internal */
export const getI16Le = getter(2, (v, o) => v.getInt16(o, true))
/** @internal */
export const getU32 = getter(4, (v, o) => v.getUint32(o))
/** @internal */
export const getU32Le = getter(4, (v, o) => v.getUint32(o, true))
/** @internal */
export const getI32 = getter(4, (v, o) => v.getInt32(o))
/** @internal */
export const getI32Le = getter(4, (v, o) => v.getInt32(o, true))
/** @internal */
export const getU64 = getter(8, (v, o) => v.getBigUint64(o))
/** @internal */
export const getU64Le = getter(8, (v, o) => v.getBigUint64(o, true))
/** @internal */
export const getI64 = getter(8, (v, o) => v.getBigInt64(o))
/** @internal */
export const getI64Le = getter(8, (v, o) => v.getBigInt64(o, true))
/** @internal */
export const getF32 = getter(4, (v, o) => v.getFloat32(o))
/** @internal */
export const getF32Le = getter(4, (v, o) => v.getFloat32(o, true))
/** @internal */
export const getF64 = getter(8, (v, o) => v.getFloat64(o))
/** @internal */
export const getF64Le = getter(8, (v, o) => v.getFloat64(o, true))

const getUintWith = (littleEndian: boolean): {
  (width: number): (self: Buf.Buf) => Either.Either<number, BufferUnderflow>
  (self: Buf.Buf, width: number): Either.Either<number, BufferUnderflow>
} =>
  dual(2, (self: Buf.Buf, width: number): Either.Either<number, BufferUnderflow> => {
    const s = impl(self)
    if (s.array.length - s.position < width) return underflow(s, width)
    const value = readUint(s.array, s.position, width, littleEndian)
    s.position += width
    return Either.right(value)
  })

/** @internal */
export const getUint = getUintWith(false)
/** @internal */
export const getUintLe = getUintWith(true)

/** Counts that are not non-negative integers are refused as if they asked for too much. */
const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0

/** @internal */
export const advance: {
  (n: number): (self: Buf.Buf) => Either.Either<void, BufferUnderflow>
  (self: Buf.Buf, n: number): Either.Either<void, BufferUnderflow>
} = dual(2, (self: Buf.Buf, n: number): Either.Either<void, BufferUnderflow> => {
  const s = impl(self)
  if (!isCount(n) || s.array.length - s.position < n) return underflow(s, n)
  s.position += n
  return Either.void
})

/** @internal */
export const takeBytes: {
  (n: number): (self: Buf.Buf) => Either.Either<Bytes.Bytes, BufferUnderflow>
  (self: Buf.Buf, n: number): Either.Either<Bytes.Bytes, BufferUnderflow>
} = dual(2, (self: Buf.Buf, n: number): Either.Either<Bytes.Bytes, BufferUnderflow> => {
  const s = impl(self)
  if (!isCount(n) || s.array.length - s.position < n) return underflow(s, n)
  const taken = new BytesImpl(s.array, s.position, n)
  s.position += n
  return Either.right(taken)
})
