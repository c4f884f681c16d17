import { assert, describe, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { FastCheck as fc } from "effect"
import * as Frame from "../src/Frame.js"

/** A frame as ingest sees it: a zero-copy view into a larger socket chunk. */
const inChunk = (topic: string, payload: Uint8Array) => {
  const body = Frame.make(topic, payload)
  const chunk = Buffer.alloc(body.length + 16)
  chunk.set(body, 7)
  return Bytes.slice(Bytes.fromUint8Array(chunk), 7, 7 + body.length)
}

const topic = fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }).filter((t) => !t.includes("\0"))

describe("Frame.Index", () => {
  it.prop(
    "a slot's row holds the frame's topic and payload start, whatever topics came before",
    [fc.array(fc.tuple(topic, fc.uint8Array({ maxLength: 16 })), { minLength: 1, maxLength: 200 })],
    ([frames]) => {
      // Few slots, so rows are overwritten, and many topics, so remembered ones are evicted.
      const index = Frame.makeIndex(4)
      frames.forEach(([name, payload], i) => {
        const frame = inChunk(name, payload)
        const slot = i % 4
        Frame.indexFrame(index, slot, frame)
        assert.strictEqual(index.topics[slot], name)
        const start = index.payloadStarts[slot]!
        assert.deepStrictEqual(Array.from(Bytes.toUint8Array(frame).subarray(start)), Array.from(payload))
      })
    }
  )

  it("a remembered topic owns its bytes: the chunk it came from can be reused", () => {
    const index = Frame.makeIndex(2)
    const frame = inChunk("sensors/a", new Uint8Array([1]))
    Frame.indexFrame(index, 0, frame)
    const remembered = index.recentTopics.filter((entry) => entry !== undefined)
    assert.strictEqual(remembered.length, 1)
    assert.notStrictEqual(remembered[0]!.bytes.buffer, Bytes.toUint8Array(frame).buffer)
    // The socket chunk is overwritten by the next read; the same topic still indexes the same.
    Bytes.toUint8Array(frame).fill(0x7a)
    Frame.indexFrame(index, 1, inChunk("sensors/a", new Uint8Array([2])))
    assert.strictEqual(index.topics[1], "sensors/a")
  })

  it("crc32 has CRC-32's check value, over any range", () => {
    const bytes = new TextEncoder().encode("xx123456789")
    // The standard check value of CRC-32/ISO-HDLC (zlib's) for "123456789".
    assert.strictEqual(Frame.crc32(bytes, 2), 0xcbf43926)
    assert.strictEqual(Frame.crc32(bytes, 2, 2), 0)
  })

  it.prop(
    "crc32 (JS four bytes a step, or native from nativeCrcFrom bytes) equals the byte-at-a-time definition, at every alignment and length",
    [
      fc.uint8Array({ maxLength: 3 * Frame.nativeCrcFrom }),
      fc.nat(3 * Frame.nativeCrcFrom),
      fc.nat(3 * Frame.nativeCrcFrom)
    ],
    ([array, a, b]) => {
      const start = Math.min(a, b, array.length)
      const end = Math.min(Math.max(a, b), array.length)
      const expected = bytewiseCrc32(array.subarray(start, end))
      assert.strictEqual(Frame.crc32(array, start, end), expected)
      assert.strictEqual(Frame.crc32Sliced(array, start, end), expected)
    }
  )
})

/** CRC-32 as specified: reflected polynomial 0xedb88320, one bit at a time. */
const bytewiseCrc32 = (array: Uint8Array): number => {
  let crc = 0xffffffff
  for (const byte of array) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}
