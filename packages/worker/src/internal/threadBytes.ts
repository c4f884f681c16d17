import * as Transferable from "@effect/platform/Transferable"
import { Bytes } from "@weft/bytes"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as ThreadBytes from "../ThreadBytes.js"

// Per thread: each thread has its own copy of this module.
const counters = { copies: 0, copiedBytes: 0, transfers: 0, transferredBytes: 0, shares: 0, sharedBytes: 0 }

/** @internal */
export const stats: Effect.Effect<ThreadBytes.Stats> = Effect.sync(() => ({ ...counters }))

/** @internal */
export const isShared = (self: Bytes.Bytes): boolean => Bytes.toUint8Array(self).buffer instanceof SharedArrayBuffer

const copyInto = (self: Bytes.Bytes, buffer: ArrayBuffer | SharedArrayBuffer): Uint8Array => {
  const target = new Uint8Array(buffer)
  target.set(Bytes.toUint8Array(self))
  counters.copies++
  counters.copiedBytes += target.length
  return target
}

/** @internal */
export const share = (self: Bytes.Bytes): Bytes.Bytes =>
  isShared(self) ? self : Bytes.fromUint8Array(copyInto(self, new SharedArrayBuffer(Bytes.size(self))))

/** @internal */
export const allocShared = (size: number): Uint8Array => new Uint8Array(new SharedArrayBuffer(size))

const sent = (view: Uint8Array): Uint8Array => {
  counters.shares++
  counters.sharedBytes += view.length
  return view
}

const BytesFromSelf = Schema.declare(Bytes.isBytes, { identifier: "Bytes" })

const fromView = (view: Uint8Array) => ParseResult.succeed(Bytes.fromUint8Array(view))

/** @internal */
export const Transfer: Schema.Schema<Bytes.Bytes, Uint8Array> = Schema.transformOrFail(
  Schema.Uint8ArrayFromSelf,
  BytesFromSelf,
  {
    strict: true,
    decode: fromView,
    encode: (self) => {
      const view = Bytes.toUint8Array(self)
      // Shared memory is never transferred: both threads already see it.
      if (view.buffer instanceof SharedArrayBuffer) return ParseResult.succeed(sent(view))
      // Transferring detaches the whole ArrayBuffer: a view of part of one is copied first, so
      // the sender's other views stay intact.
      const owned = Bytes.spansBuffer(self) ? view : copyInto(self, new ArrayBuffer(view.length))
      counters.transfers++
      counters.transferredBytes += owned.length
      return Effect.as(Transferable.addAll([owned.buffer]), owned)
    }
  }
)

/** @internal */
export const Shared: Schema.Schema<Bytes.Bytes, Uint8Array> = Schema.transformOrFail(
  Schema.Uint8ArrayFromSelf,
  BytesFromSelf,
  {
    strict: true,
    decode: fromView,
    encode: (self) => ParseResult.succeed(sent(Bytes.toUint8Array(share(self))))
  }
)
