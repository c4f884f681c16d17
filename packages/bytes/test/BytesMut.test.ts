import { assert, describe, it } from "@effect/vitest"
import { Buf, Bytes, BytesMut } from "@weft/bytes"
import { Either, FastCheck as fc, pipe } from "effect"

const hex = (bytes: Bytes.Bytes) => Bytes.toHex(bytes)

describe("BytesMut", () => {
  it("put* write big-endian by default and little-endian with Le", () => {
    const frame = pipe(
      BytesMut.make(2),
      BytesMut.putU8(0xab),
      BytesMut.putU16(0x0102),
      BytesMut.putU16Le(0x0102),
      BytesMut.putU32(0x01020304),
      BytesMut.putU32Le(0x01020304),
      BytesMut.putU64(0x0102030405060708n),
      BytesMut.putU64Le(0x0102030405060708n),
      BytesMut.freeze
    )
    assert.strictEqual(
      hex(frame),
      "ab" + "0102" + "0201" + "01020304" + "04030201" + "0102030405060708" + "0807060504030201"
    )
  })

  it("signed, float and variable-width writes round-trip through Buf", () => {
    const builder = BytesMut.make()
    BytesMut.putI8(builder, -2)
    BytesMut.putI16(builder, -300)
    BytesMut.putI16Le(builder, -300)
    BytesMut.putI32(builder, -70000)
    BytesMut.putI32Le(builder, -70000)
    BytesMut.putI64(builder, -5n)
    BytesMut.putI64Le(builder, -5n)
    BytesMut.putF32(builder, 1.5)
    BytesMut.putF32Le(builder, -1.5)
    BytesMut.putF64(builder, Math.PI)
    BytesMut.putF64Le(builder, Math.E)
    BytesMut.putUint(builder, 0x010203, 3)
    BytesMut.putUintLe(builder, 0x010203, 3)
    const buf = Buf.make(BytesMut.freeze(builder))
    const read = [
      Buf.getI8(buf),
      Buf.getI16(buf),
      Buf.getI16Le(buf),
      Buf.getI32(buf),
      Buf.getI32Le(buf),
      Buf.getI64(buf),
      Buf.getI64Le(buf),
      Buf.getF32(buf),
      Buf.getF32Le(buf),
      Buf.getF64(buf),
      Buf.getF64Le(buf),
      Buf.getUint(buf, 3),
      Buf.getUintLe(buf, 3)
    ].map((result) => Either.getOrThrow<number | bigint, unknown>(result))
    assert.deepStrictEqual(read, [
      -2,
      -300,
      -300,
      -70000,
      -70000,
      -5n,
      -5n,
      1.5,
      -1.5,
      Math.PI,
      Math.E,
      0x010203,
      0x010203
    ])
    assert.strictEqual(Buf.remaining(buf), 0)
  })

  it("out-of-range integers wrap as DataView stores them", () => {
    const bytes = pipe(BytesMut.make(), BytesMut.putU8(0x1ff), BytesMut.putI8(-129), BytesMut.freeze)
    assert.strictEqual(hex(bytes), "ff7f")
  })

  it("reserve grows capacity ahead of writes; growth keeps the bytes", () => {
    const builder = BytesMut.make(4)
    assert.strictEqual(BytesMut.capacity(builder), 4)
    BytesMut.putU32(builder, 7)
    BytesMut.reserve(builder, 1000)
    assert.isAtLeast(BytesMut.capacity(builder), 1004)
    assert.strictEqual(BytesMut.length(builder), 4)
    assert.strictEqual(builder.length, 4)
    assert.strictEqual(hex(BytesMut.freeze(builder)), "00000007")
  })

  it("freeze does not copy, empties the builder, and later writes do not change the frozen bytes", () => {
    const builder = BytesMut.make(64)
    BytesMut.extend(builder, Bytes.fromString("abc"))
    const first = BytesMut.freeze(builder)
    assert.strictEqual(BytesMut.length(builder), 0)
    BytesMut.extend(builder, new Uint8Array([1, 2, 3]))
    const second = BytesMut.freeze(builder)
    assert.isTrue(Bytes.sharesBuffer(first, second), "both frozen from one buffer: no copy")
    assert.strictEqual(Bytes.decodeUtf8(first), "abc")
    assert.strictEqual(hex(second), "010203")
  })

  it("clear discards only unfrozen bytes", () => {
    const builder = BytesMut.make()
    BytesMut.putU8(builder, 1)
    const frozen = BytesMut.freeze(builder)
    BytesMut.putU8(builder, 2)
    BytesMut.clear(builder)
    BytesMut.putU8(builder, 3)
    assert.strictEqual(hex(frozen), "01")
    assert.strictEqual(hex(BytesMut.freeze(builder)), "03")
  })

  it("splitTo hands out the front, splitOff the back; neither writes into the other", () => {
    const builder = BytesMut.make(64)
    BytesMut.extend(builder, Bytes.fromString("headbody"))
    const head = BytesMut.splitTo(builder, 4)
    const tail = pipe(builder, BytesMut.splitOff(2))
    BytesMut.putU8(head, 0x21)
    BytesMut.putU8(builder, 0x3f)
    BytesMut.putU8(tail, 0x2e)
    assert.strictEqual(Bytes.decodeUtf8(BytesMut.freeze(head)), "head!")
    assert.strictEqual(Bytes.decodeUtf8(BytesMut.freeze(builder)), "bo?")
    assert.strictEqual(Bytes.decodeUtf8(BytesMut.freeze(tail)), "dy.")
  })

  it("split counts are clamped to the builder's length", () => {
    const builder = BytesMut.make()
    BytesMut.extend(builder, Bytes.make(1, 2))
    assert.strictEqual(BytesMut.length(BytesMut.splitTo(builder, 10)), 2)
    assert.strictEqual(BytesMut.length(builder), 0)
    BytesMut.extend(builder, Bytes.make(3))
    assert.strictEqual(BytesMut.length(BytesMut.splitOff(builder, -1)), 1)
    assert.strictEqual(BytesMut.length(builder), 0)
  })

  type Op =
    | { readonly _tag: "write"; readonly bytes: Uint8Array }
    | { readonly _tag: "freeze" }
    | { readonly _tag: "splitTo"; readonly n: number; readonly more: Uint8Array }
    | { readonly _tag: "splitOff"; readonly n: number; readonly more: Uint8Array }

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ _tag: fc.constant("write" as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
    fc.record({ _tag: fc.constant("freeze" as const) }),
    fc.record({ _tag: fc.constant("splitTo" as const), n: fc.nat(50), more: fc.uint8Array({ maxLength: 10 }) }),
    fc.record({ _tag: fc.constant("splitOff" as const), n: fc.nat(50), more: fc.uint8Array({ maxLength: 10 }) })
  )

  it.prop("frozen and split-off regions never change, whatever is written afterwards", [
    fc.array(op, { maxLength: 40 }),
    fc.nat(32)
  ], ([ops, capacity]) => {
    const builder = BytesMut.make(capacity)
    let model: Array<number> = []
    const handedOut: Array<{ readonly bytes: Bytes.Bytes; readonly expected: Array<number> }> = []
    const handOut = (part: BytesMut.BytesMut, expected: Array<number>, more: Uint8Array) => {
      // The split-off part is a builder too: writing to it must not disturb the original.
      BytesMut.extend(part, more)
      handedOut.push({ bytes: BytesMut.freeze(part), expected: [...expected, ...more] })
    }
    for (const o of ops) {
      switch (o._tag) {
        case "write":
          BytesMut.extend(builder, o.bytes)
          model.push(...o.bytes)
          break
        case "freeze":
          handedOut.push({ bytes: BytesMut.freeze(builder), expected: model })
          model = []
          break
        case "splitTo": {
          const n = Math.min(o.n, model.length)
          handOut(BytesMut.splitTo(builder, o.n), model.slice(0, n), o.more)
          model = model.slice(n)
          break
        }
        case "splitOff": {
          const n = Math.min(o.n, model.length)
          handOut(BytesMut.splitOff(builder, o.n), model.slice(n), o.more)
          model = model.slice(0, n)
          break
        }
      }
      assert.strictEqual(BytesMut.length(builder), model.length)
    }
    BytesMut.extend(builder, new Uint8Array(100).fill(0xee))
    for (const { bytes, expected } of handedOut) {
      assert.deepStrictEqual(Array.from(Bytes.toUint8Array(bytes)), expected)
    }
    assert.deepStrictEqual(Array.from(Bytes.toUint8Array(BytesMut.freeze(builder))), [
      ...model,
      ...Array(100).fill(0xee)
    ])
  })

  it("inspects as length and capacity", () => {
    const builder = BytesMut.make(8)
    BytesMut.putU16(builder, 1)
    assert.deepStrictEqual(builder.toJSON(), { _id: "BytesMut", length: 2, capacity: 8 })
    assert.isTrue(BytesMut.isBytesMut(builder))
    assert.isFalse(BytesMut.isBytesMut(Bytes.empty))
  })
})
