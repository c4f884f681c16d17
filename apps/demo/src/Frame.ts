/**
 * The gateway's wire format. Every frame, in both directions, is length-delimited: a u32
 * big-endian length, then that many bytes.
 *
 * - Client → gateway: a data frame holds `topic \0 payload` (a non-empty topic). The one control
 *   frame is {@link ackRequest}, `\0ack` (empty topic, payload `ack`): it asks for acks on this
 *   connection. It is not data: it gets no sequence number and reaches no plugin.
 * - Gateway → client (only after an ack request): ack frames of {@link ackBodyLength} bytes,
 *   `u64 durable, u64 through` (big-endian). `durable` is how many of this connection's data
 *   frames are in the sink file, written and fsynced; `through` is the sequence number (1-based,
 *   in the order the client sent them) of the newest of them. Both only grow: acks are
 *   cumulative, so the gateway may coalesce them (one per sink batch per connection, or fewer
 *   when the client reads slowly) and a client needs only the last one it read.
 *   `durable === through` means every frame up to `through` is durable. A frame the sink never
 *   got (no sink running, the sink removed, a frame cut off at shutdown) is never acked: then
 *   `durable < through`, and the `through - durable` missing frames are not in the file.
 */
import { Bytes } from "@weft/bytes"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Zlib from "node:zlib"

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

/** The body of the control frame that asks for acks: an empty topic, then `ack`. */
const ackRequestBody = new Uint8Array([0, 0x61, 0x63, 0x6b])

/**
 * The control frame (with its length header) that asks the gateway for acks on this connection.
 * Send it first; acks then cover every data frame of the connection, including earlier ones.
 */
export const ackRequest: Uint8Array = new Uint8Array([0, 0, 0, ackRequestBody.length, ...ackRequestBody])

const isAckRequest = (frame: Bytes.Bytes): boolean => {
  if (Bytes.size(frame) !== ackRequestBody.length) return false
  const array = Bytes.toUint8Array(frame)
  for (let i = 0; i < ackRequestBody.length; i++) if (array[i] !== ackRequestBody[i]) return false
  return true
}

/**
 * Checks a frame on ingest, synchronously (no Effect per frame): a data frame must have a
 * non-empty topic; `\0ack` is the ack request; anything else is a `MalformedFrame`.
 */
export const classify = (frame: Bytes.Bytes): "data" | "ackRequest" | MalformedFrame => {
  const separator = Bytes.indexOf(frame, 0)
  if (Option.isNone(separator)) {
    return new MalformedFrame({ reason: "missing topic separator", frameLength: Bytes.size(frame) })
  }
  if (separator.value > 0) return "data"
  return isAckRequest(frame)
    ? "ackRequest"
    : new MalformedFrame({ reason: "empty topic", frameLength: Bytes.size(frame) })
}

/** The length of an ack frame's body: `u64 durable, u64 through`. */
export const ackBodyLength = 16

/** An ack from the gateway: see the module documentation. */
export interface Ack {
  /** This connection's data frames written and fsynced in the sink file. */
  readonly durable: number
  /** The sequence number (1-based, in send order) of the newest durable frame. */
  readonly through: number
}

const putU64 = (view: DataView, offset: number, value: number) => {
  view.setUint32(offset, Math.floor(value / 2 ** 32))
  view.setUint32(offset + 4, value >>> 0)
}

/** Builds one ack frame with its length header. */
export const encodeAck = (durable: number, through: number): Uint8Array => {
  const out = new Uint8Array(4 + ackBodyLength)
  const view = new DataView(out.buffer)
  view.setUint32(0, ackBodyLength)
  putU64(view, 4, durable)
  putU64(view, 12, through)
  return out
}

/** An ack frame body of the wrong length. */
export class MalformedAck extends Data.TaggedError("MalformedAck")<{ readonly frameLength: number }> {
  override get message() {
    return `malformed ack (${this.frameLength} bytes, expected ${ackBodyLength})`
  }
}

/** Reads an ack frame's body (the frame without its length header). */
export const decodeAck = (body: Bytes.Bytes): Effect.Effect<Ack, MalformedAck> => {
  if (Bytes.size(body) !== ackBodyLength) return Effect.fail(new MalformedAck({ frameLength: Bytes.size(body) }))
  const array = Bytes.toUint8Array(body)
  const view = new DataView(array.buffer, array.byteOffset, array.byteLength)
  return Effect.succeed({
    durable: view.getUint32(0) * 2 ** 32 + view.getUint32(4),
    through: view.getUint32(8) * 2 ** 32 + view.getUint32(12)
  })
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

/**
 * CRC-32 lookup tables for slicing by 4 (four bytes per step): table 0 is the classic byte-wise
 * table, table k (at `256 * k`) advances a byte's contribution through k more bytes.
 */
const crcTables = (() => {
  const tables = new Uint32Array(4 * 256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    tables[n] = c >>> 0
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) {
      const previous = tables[256 * (k - 1) + n]!
      tables[256 * k + n] = (previous >>> 8) ^ tables[previous & 0xff]!
    }
  }
  return tables
})()

/** CRC-32 (IEEE 802.3, as zlib) of `array[start..end)`, in JavaScript (slicing by 4). */
export const crc32Sliced = (array: Uint8Array, start = 0, end = array.length): number => {
  const t = crcTables
  let crc = 0xffffffff
  let i = start
  for (; i + 4 <= end; i += 4) {
    crc ^= array[i]! | (array[i + 1]! << 8) | (array[i + 2]! << 16) | (array[i + 3]! << 24)
    crc = t[768 + (crc & 0xff)]! ^ t[512 + ((crc >>> 8) & 0xff)]! ^ t[256 + ((crc >>> 16) & 0xff)]! ^ t[crc >>> 24]!
  }
  for (; i < end; i++) crc = t[(crc ^ array[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/**
 * Below this many bytes the JavaScript CRC beats `zlib.crc32`, whose call into native code costs
 * more than the bytes it saves (the demo bench's CRC rows measure both sides of the line).
 */
export const nativeCrcFrom = 128

/** CRC-32 (IEEE 802.3, as zlib) of `array[start..end)`: native `zlib.crc32`, or JS for short inputs. */
export const crc32 = (array: Uint8Array, start = 0, end = array.length): number =>
  end - start < nativeCrcFrom
    ? crc32Sliced(array, start, end)
    : Zlib.crc32(start === 0 && end === array.length ? array : array.subarray(start, end))

// ---------------------------------------------------------------------------------------------
// the frame index: each frame parsed once, at ingest, for every plugin

/**
 * What ingest learned about each stored data frame, by arena slot index: its topic (decoded once,
 * for every plugin) and where its payload starts. Ingest writes a slot's row after storing the
 * frame and before dispatching its ref, and the row is read only through a live ref: the arena
 * does not reuse a slot before every plugin has settled it, so a row never changes under a reader.
 */
export interface Index {
  readonly topics: Array<string>
  readonly payloadStarts: Uint32Array
  /** Recently decoded topics (a gateway sees few distinct ones), by a hash of their bytes. */
  readonly recentTopics: Array<{ readonly bytes: Uint8Array; readonly topic: string } | undefined>
}

/** Recently decoded topics remembered (a power of two). */
const recentTopicSlots = 64

/** An index for an arena of `slots` slots. */
export const makeIndex = (slots: number): Index => ({
  topics: new Array<string>(slots).fill(""),
  payloadStarts: new Uint32Array(slots),
  recentTopics: new Array(recentTopicSlots).fill(undefined)
})

const utf8 = new TextDecoder()

/**
 * The topic `array[0..end)` as a string: the one decoded before for the same bytes when it is
 * still remembered, so the common case decodes nothing and allocates nothing.
 */
const decodeTopic = (index: Index, array: Uint8Array, end: number): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < end; i++) hash = Math.imul(hash ^ array[i]!, 0x01000193)
  const slot = hash & (recentTopicSlots - 1)
  const recent = index.recentTopics[slot]
  if (recent !== undefined && recent.bytes.length === end) {
    let same = true
    for (let i = 0; i < end && same; i++) same = recent.bytes[i] === array[i]
    if (same) return recent.topic
  }
  // A copy of the topic's bytes (`new Uint8Array(view)`: a Buffer's `slice` would be a view).
  const bytes = new Uint8Array(array.subarray(0, end))
  const topic = utf8.decode(bytes)
  index.recentTopics[slot] = { bytes, topic }
  return topic
}

/** Fills `slot`'s row for a data frame (one `classify` found to be `"data"`). */
export const indexFrame = (index: Index, slot: number, frame: Bytes.Bytes): void => {
  const array = Bytes.toUint8Array(frame)
  const separator = array.indexOf(0)
  index.topics[slot] = decodeTopic(index, array, separator)
  index.payloadStarts[slot] = separator + 1
}
