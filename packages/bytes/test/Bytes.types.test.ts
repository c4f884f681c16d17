import { Buf, Bytes, BytesMut } from "@weft/bytes"
import type { Either, Option, Stream } from "effect"
import { pipe } from "effect"
import { describe, expectTypeOf, it } from "vitest"

declare const bytes: Bytes.Bytes
declare const builder: BytesMut.BytesMut
declare const buf: Buf.Buf

describe("Bytes types", () => {
  it("slicing is dual: data-first and data-last give Bytes", () => {
    expectTypeOf(Bytes.slice(bytes, 1, 2)).toEqualTypeOf<Bytes.Bytes>()
    expectTypeOf(pipe(bytes, Bytes.slice(1))).toEqualTypeOf<Bytes.Bytes>()
    expectTypeOf(Bytes.take(bytes, 1)).toEqualTypeOf<Bytes.Bytes>()
    expectTypeOf(pipe(bytes, Bytes.drop(1))).toEqualTypeOf<Bytes.Bytes>()
    expectTypeOf(Bytes.splitAt(bytes, 1)).toEqualTypeOf<[Bytes.Bytes, Bytes.Bytes]>()
    expectTypeOf(bytes.pipe(Bytes.splitAt(1))).toEqualTypeOf<[Bytes.Bytes, Bytes.Bytes]>()
  })

  it("lookups return Option, chunks a typed stream", () => {
    expectTypeOf(Bytes.get(bytes, 0)).toEqualTypeOf<Option.Option<number>>()
    expectTypeOf(pipe(bytes, Bytes.indexOf(10))).toEqualTypeOf<Option.Option<number>>()
    expectTypeOf(Bytes.chunks(bytes, 4)).toEqualTypeOf<Stream.Stream<Bytes.Bytes, Bytes.InvalidChunkSize>>()
  })

  it("Bytes is read-only and not a Uint8Array", () => {
    // @ts-expect-error: length is readonly
    bytes.length = 3
    // @ts-expect-error: a Uint8Array is not a Bytes; wrap it with fromUint8Array
    Bytes.size(new Uint8Array(1))
    // @ts-expect-error: slice needs a number
    Bytes.slice(bytes, "1")
  })

  it("BytesMut writes are dual and chain; 64-bit writes take bigint", () => {
    expectTypeOf(pipe(builder, BytesMut.putU16(1), BytesMut.putU64(1n))).toEqualTypeOf<BytesMut.BytesMut>()
    expectTypeOf(BytesMut.putF64Le(builder, 1.5)).toEqualTypeOf<BytesMut.BytesMut>()
    expectTypeOf(BytesMut.freeze(builder)).toEqualTypeOf<Bytes.Bytes>()
    expectTypeOf(pipe(builder, BytesMut.splitTo(2))).toEqualTypeOf<BytesMut.BytesMut>()
    // @ts-expect-error: u64 takes a bigint
    BytesMut.putU64(builder, 1)
    // @ts-expect-error: u32 takes a number
    BytesMut.putU32(builder, 1n)
    // @ts-expect-error: a BytesMut is not a Bytes until frozen
    Bytes.size(builder)
  })

  it("Buf reads return Either with BufferUnderflow", () => {
    expectTypeOf(Buf.getU32(buf)).toEqualTypeOf<Either.Either<number, Buf.BufferUnderflow>>()
    expectTypeOf(Buf.getI64Le(buf)).toEqualTypeOf<Either.Either<bigint, Buf.BufferUnderflow>>()
    expectTypeOf(pipe(buf, Buf.takeBytes(3))).toEqualTypeOf<Either.Either<Bytes.Bytes, Buf.BufferUnderflow>>()
    expectTypeOf(Buf.advance(buf, 3)).toEqualTypeOf<Either.Either<void, Buf.BufferUnderflow>>()
  })
})
