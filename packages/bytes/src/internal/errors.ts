/**
 * Every error of @weft/bytes, declared once here so that implementation modules can raise them
 * without importing the public modules that re-export them (which would be an import cycle).
 */
import * as Data from "effect/Data"

/**
 * `Bytes.chunks` was asked for chunks of a size that is not a positive safe integer.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidChunkSize extends Data.TaggedError("InvalidChunkSize")<{
  readonly size: number
}> {
  override get message() {
    return `chunk size must be a positive integer, got ${this.size}`
  }
}

/**
 * A `Buf` read asked for more bytes than remain. The cursor did not move.
 *
 * @since 0.1.0
 * @category errors
 */
export class BufferUnderflow extends Data.TaggedError("BufferUnderflow")<{
  /** Bytes the read needed. */
  readonly requested: number
  /** Bytes that were left in the buffer. */
  readonly available: number
}> {
  override get message() {
    return `read of ${this.requested} bytes with only ${this.available} remaining`
  }
}

/**
 * A frame header announced a frame longer than `maxFrameLength`, or a frame to encode is longer
 * than the limit or than the length field can express. Raised on the header, before any of the
 * frame's payload is buffered.
 *
 * @since 0.1.0
 * @category errors
 */
export class FrameTooLarge extends Data.TaggedError("FrameTooLarge")<{
  /** The frame length (after `lengthAdjustment`). Above 2^53 it is the nearest double. */
  readonly length: number
  /** The limit that was exceeded. */
  readonly max: number
}> {
  override get message() {
    return `frame of ${this.length} bytes exceeds the limit of ${this.max}`
  }
}

/**
 * The input ended in the middle of a frame (its header or its payload).
 *
 * @since 0.1.0
 * @category errors
 */
export class TruncatedFrame extends Data.TaggedError("TruncatedFrame")<{
  /** Bytes the unfinished frame needs in total, from its first header byte; while the header
   * itself is incomplete this is the header's length. */
  readonly expected: number
  /** Bytes of that frame that had arrived when the input ended. */
  readonly received: number
}> {
  override get message() {
    return `input ended inside a frame: ${this.received} of ${this.expected} bytes received`
  }
}

/**
 * A header's length field, after `lengthAdjustment`, gives a frame that is negative in length or
 * ends inside its own header: the input is not framed as the options say.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidFrameLength extends Data.TaggedError("InvalidFrameLength")<{
  /** The raw value of the length field. */
  readonly length: number
  /** The configured `lengthAdjustment`. */
  readonly lengthAdjustment: number
}> {
  override get message() {
    return `length field ${this.length} with adjustment ${this.lengthAdjustment} gives an impossible frame length`
  }
}

/**
 * A varint length field that still continues after `maxBytes` bytes: no frame length needs that
 * many, so the input is not varint-framed (or is hostile). Raised without reading further.
 *
 * @since 0.1.0
 * @category errors
 */
export class VarintTooLong extends Data.TaggedError("VarintTooLong")<{
  /** The most bytes a varint length field may take. */
  readonly maxBytes: number
}> {
  override get message() {
    return `varint length field continues past ${this.maxBytes} bytes`
  }
}

/**
 * Codec options that cannot work, e.g. `lengthFieldLength: 9`. Reported when the stream runs,
 * before any input is read.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOptions extends Data.TaggedError("InvalidOptions")<{
  /** The option at fault. */
  readonly option: string
  /** Its value, as given. */
  readonly value: unknown
  /** What the option must be. */
  readonly expected: string
}> {
  override get message() {
    return `invalid option ${this.option} = ${String(this.value)}: expected ${this.expected}`
  }
}

/**
 * `Lines.decode` met a line longer than `maxLength` (without its terminator). Raised as soon as
 * the limit is passed, without buffering the rest of the line.
 *
 * @since 0.1.0
 * @category errors
 */
export class LineTooLong extends Data.TaggedError("LineTooLong")<{
  /** How long the line had grown when it was rejected: at least `max + 1`. */
  readonly length: number
  readonly max: number
}> {
  override get message() {
    return `line of at least ${this.length} bytes exceeds the limit of ${this.max}`
  }
}
