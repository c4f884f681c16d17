import type { Bytes } from "@weft/bytes"
import type { Sink, Stream } from "effect"
import type { LazyArg } from "effect/Function"
import type * as Net from "node:net"
import type { Readable, Writable } from "node:stream"
import type { ReadError, WriteError } from "./nodeErrors.js"
import { readStream } from "./nodeReadable.js"
import { type WriteOptions, writeSink } from "./nodeWritable.js"

export {
  /** @internal */
  ReadError,
  /** @internal */
  WriteError
} from "./nodeErrors.js"

/** @internal */
export type { WriteOptions } from "./nodeWritable.js"

/** @internal */
export interface ReadOptions {
  readonly closeOnDone?: boolean | undefined
}

/** @internal */
export const fromReadable = (
  evaluate: LazyArg<Readable>,
  options?: ReadOptions
): Stream.Stream<Bytes.Bytes, ReadError> => readStream(evaluate, "readable", options?.closeOnDone ?? true)

/** @internal */
export const fromSocket = (socket: Net.Socket, options?: ReadOptions): Stream.Stream<Bytes.Bytes, ReadError> =>
  // By default the read side ending (the peer's FIN) does not destroy the socket: its write side
  // may still be in use. An interrupted or failed reader always tears the connection down.
  readStream(() => socket, "socket", options?.closeOnDone ?? false)

/** @internal */
export const toWritable = (
  evaluate: LazyArg<Writable>,
  options?: WriteOptions
): Sink.Sink<void, Bytes.Bytes, never, WriteError> => writeSink(evaluate, "writable", options)

/** @internal */
export const toSocket = (
  socket: Net.Socket,
  options?: { readonly endOnDone?: boolean | undefined }
): Sink.Sink<void, Bytes.Bytes, never, WriteError> =>
  writeSink(() => socket, "socket", { endOnDone: options?.endOnDone, destroyOnAbort: true })
