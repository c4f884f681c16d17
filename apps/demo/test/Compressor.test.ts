import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Zlib from "node:zlib"
import { deflateRecord, deflateRecords, recordHeader } from "../src/workers/Compressor.js"

/** Payloads over small and large alphabets (compressible and not), from empty to past 32 KiB. */
const payload = fc.integer({ min: 1, max: 256 }).chain((alphabet) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 600, size: "max" }),
    fc.uint8Array({ minLength: 600, maxLength: 40_000, size: "max" })
  ).map((bytes) => bytes.map((byte) => byte % alphabet))
)

describe("the compress plugin's deflating", () => {
  it.prop(
    "a record deflated with zlib's state sized to it is the same bytes as with zlib's defaults, and inflates back",
    [payload],
    ([bytes]) => {
      const deflated = deflateRecord(bytes)
      expect(deflated.equals(Zlib.deflateRawSync(bytes))).toBe(true)
      expect(Zlib.inflateRawSync(deflated).equals(bytes)).toBe(true)
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop("deflateRecords deflates each record on its own and counts the bytes in and out", [
    fc.array(payload, { maxLength: 20 })
  ], ([payloads]) => {
    const records = new Uint8Array(payloads.reduce((size, bytes) => size + recordHeader + bytes.length, 0))
    const view = new DataView(records.buffer)
    let at = 0
    for (const bytes of payloads) {
      view.setUint32(at, bytes.length)
      records.set(bytes, at + recordHeader)
      at += recordHeader + bytes.length
    }
    expect(deflateRecords(records)).toEqual({
      bytesIn: payloads.reduce((size, bytes) => size + bytes.length, 0),
      bytesOut: payloads.reduce((size, bytes) => size + Zlib.deflateRawSync(bytes).length, 0)
    })
  }, { fastCheck: { numRuns: 50 } })
})
