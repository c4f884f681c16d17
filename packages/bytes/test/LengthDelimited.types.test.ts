import { Bytes, LengthDelimited, Lines } from "@weft/bytes"
import type { Either } from "effect"
import { Stream } from "effect"
import { describe, expectTypeOf, it } from "vitest"

declare const chunks: Stream.Stream<Uint8Array, "socket", "Env">

describe("framing types", () => {
  it("decode keeps upstream error and context and adds DecodeError", () => {
    const frames = chunks.pipe(LengthDelimited.decode({ lengthFieldLength: 2 }))
    expectTypeOf(frames).toEqualTypeOf<Stream.Stream<Bytes.Bytes, "socket" | LengthDelimited.DecodeError, "Env">>()
    expectTypeOf(LengthDelimited.decode()(Stream.make(Bytes.empty))).toEqualTypeOf<
      Stream.Stream<Bytes.Bytes, LengthDelimited.DecodeError>
    >()
  })

  it("the error union is discriminated by _tag", () => {
    const describe = (error: LengthDelimited.DecodeError): number => {
      switch (error._tag) {
        case "FrameTooLarge":
          return error.max
        case "TruncatedFrame":
          return error.expected - error.received
        case "InvalidFrameLength":
          return error.lengthAdjustment
        case "VarintTooLong":
          return error.maxBytes
        case "InvalidOptions":
          return 0
      }
    }
    expectTypeOf(describe).returns.toEqualTypeOf<number>()
  })

  it("the length field is a byte count or \"varint\"", () => {
    expectTypeOf(LengthDelimited.decode({ lengthFieldLength: "varint" })).toBeFunction()
    // @ts-expect-error: only "varint" names a variable-length field
    LengthDelimited.decode({ lengthFieldLength: "leb128" })
  })

  it("encode and Lines.decode have the same shape", () => {
    expectTypeOf(chunks.pipe(LengthDelimited.encode())).toEqualTypeOf<
      Stream.Stream<Bytes.Bytes, "socket" | LengthDelimited.EncodeError, "Env">
    >()
    expectTypeOf(chunks.pipe(Lines.decode())).toEqualTypeOf<
      Stream.Stream<Bytes.Bytes, "socket" | Lines.DecodeError, "Env">
    >()
  })

  it("options are checked", () => {
    // @ts-expect-error: endianness is "big" or "little"
    LengthDelimited.decode({ endianness: "native" })
    // @ts-expect-error: lengths are numbers
    LengthDelimited.decode({ lengthFieldLength: "4" })
    // @ts-expect-error: only byte streams can be decoded
    Stream.make("text").pipe(LengthDelimited.decode())
    expectTypeOf(LengthDelimited.makeDecoder()).toEqualTypeOf<
      Either.Either<LengthDelimited.Decoder, LengthDelimited.InvalidOptions>
    >()
  })
})
