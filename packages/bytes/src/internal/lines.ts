import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import type * as Bytes from "../Bytes.js"
import type * as Lines from "../Lines.js"
import { BytesImpl } from "./bytes.js"
import { InvalidOptions, LineTooLong } from "./errors.js"
import type { Core, Input } from "./framing.js"
import { decodeWith } from "./framing.js"

/** @internal */
export const defaultMaxLength = 64 * 1024

const newline = 10
const carriageReturn = 13

/**
 * Lines as views of the chunk they lie in. A line that spans chunks is kept as views of its parts
 * until its newline arrives, then copied once; a line that passes `maxLength` fails as soon as it
 * does, so at most `maxLength + 1` bytes of one line are ever held.
 *
 * @internal
 */
export class LinesDecoder implements Core<Bytes.Bytes, LineTooLong> {
  private pending: Array<Uint8Array> = []
  private pendingLength = 0
  constructor(readonly maxLength: number) {}

  /** The line ending at `chunk[end]` (exclusive), starting at `start` or in `pending`. */
  private line(chunk: Uint8Array, start: number, end: number): Bytes.Bytes | LineTooLong {
    let source = chunk
    let from = start
    let to = end
    if (this.pendingLength > 0) {
      if (end > start) this.pending.push(chunk.subarray(start, end))
      const parts = this.pending
      if (parts.length === 1) {
        source = parts[0]!
      } else {
        source = new Uint8Array(this.pendingLength + end - start)
        let offset = 0
        for (const part of parts) {
          source.set(part, offset)
          offset += part.length
        }
      }
      from = 0
      to = source.length
      this.pending = []
      this.pendingLength = 0
    }
    if (to > from && source[to - 1] === carriageReturn) to--
    if (to - from > this.maxLength) return new LineTooLong({ length: to - from, max: this.maxLength })
    return new BytesImpl(source, from, to - from)
  }

  decode(chunk: Uint8Array, out: Array<Bytes.Bytes>): LineTooLong | undefined {
    let position = 0
    let end = chunk.indexOf(newline)
    while (end >= 0) {
      const line = this.line(chunk, position, end)
      if (line instanceof LineTooLong) return line
      out.push(line)
      position = end + 1
      end = chunk.indexOf(newline, position)
    }
    if (position < chunk.length) {
      this.pending.push(position === 0 ? chunk : chunk.subarray(position))
      this.pendingLength += chunk.length - position
      // One byte of slack: the line may still turn out to end in "\r\n".
      if (this.pendingLength > this.maxLength + 1) {
        return new LineTooLong({ length: this.pendingLength, max: this.maxLength })
      }
    }
    return undefined
  }

  finish(out: Array<Bytes.Bytes>): LineTooLong | undefined {
    if (this.pendingLength === 0) return undefined
    const line = this.line(new Uint8Array(0), 0, 0)
    if (line instanceof LineTooLong) return line
    out.push(line)
    return undefined
  }
}

/** @internal */
export const decode = (options?: Lines.Options) => {
  const maxLength = options?.maxLength ?? defaultMaxLength
  const config = Number.isSafeInteger(maxLength) && maxLength >= 0
    ? Either.right(maxLength)
    : Either.left(new InvalidOptions({ option: "maxLength", value: maxLength, expected: "a non-negative integer" }))
  return <E, R>(self: Stream.Stream<Input, E, R>): Stream.Stream<Bytes.Bytes, E | Lines.DecodeError, R> =>
    Either.isLeft(config)
      ? Stream.fail(config.left)
      : decodeWith(() => new LinesDecoder(config.right))(self)
}
