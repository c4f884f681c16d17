/**
 * The gateway's wire format: each length-delimited frame (u32 big-endian length, then the frame)
 * holds `topic \0 payload`.
 */
import { Bytes } from "@weft/bytes"
import { Data, Effect, Option } from "effect"

/** The length-field layout shared by the TCP ingest, the sink file and the load generator. */
export const framing = { lengthFieldLength: 4 } as const

/** The default longest frame accepted from a client. */
export const defaultMaxFrameLength = 64 * 1024

/** A frame without the `\0` that ends its topic, or with an empty topic. */
export class MalformedFrame extends Data.TaggedError("MalformedFrame")<{
  readonly reason: "missing topic separator" | "empty topic"
  readonly frameLength: number
}> {
  override get message() {
    return `malformed frame (${this.frameLength} bytes): ${this.reason}`
  }
}

/** A decoded frame: its topic and a zero-copy view of its payload. */
export interface Frame {
  readonly topic: string
  readonly payload: Bytes.Bytes
}

/** Splits `topic \0 payload` without copying the payload. */
export const parse = (frame: Bytes.Bytes): Option.Option<Frame> =>
  Option.flatMap(Bytes.indexOf(frame, 0), (separator) =>
    separator === 0 ? Option.none() : Option.some({
      topic: Bytes.decodeUtf8(Bytes.take(frame, separator)),
      payload: Bytes.drop(frame, separator + 1)
    }))

/** Checks a frame on ingest: it must have a non-empty topic. */
export const validate = (frame: Bytes.Bytes): Effect.Effect<Bytes.Bytes, MalformedFrame> => {
  const separator = Bytes.indexOf(frame, 0)
  if (Option.isNone(separator)) {
    return Effect.fail(new MalformedFrame({ reason: "missing topic separator", frameLength: Bytes.size(frame) }))
  }
  if (separator.value === 0) {
    return Effect.fail(new MalformedFrame({ reason: "empty topic", frameLength: Bytes.size(frame) }))
  }
  return Effect.succeed(frame)
}

/** Builds the body of a frame (without its length header). */
export const make = (topic: string, payload: Uint8Array | string): Uint8Array => {
  const topicBytes = new TextEncoder().encode(topic)
  const payloadBytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload
  const out = new Uint8Array(topicBytes.length + 1 + payloadBytes.length)
  out.set(topicBytes, 0)
  out.set(payloadBytes, topicBytes.length + 1)
  return out
}

/** Builds one frame with its u32 big-endian length header, ready to write to a socket. */
export const encode = (topic: string, payload: Uint8Array | string): Uint8Array => {
  const body = make(topic, payload)
  const out = new Uint8Array(4 + body.length)
  new DataView(out.buffer).setUint32(0, body.length)
  out.set(body, 4)
  return out
}

const crcTable = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** CRC-32 (IEEE 802.3, as zlib) of some bytes. */
export const crc32 = (bytes: Bytes.Bytes): number => {
  const array = Bytes.toUint8Array(bytes)
  let crc = 0xffffffff
  for (let i = 0; i < array.length; i++) crc = crcTable[(crc ^ array[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
