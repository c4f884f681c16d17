import { Bytes } from "@weft/bytes"
import { Chunk, Data, Effect, Exit, Option, Sink, Stream } from "effect"
import type { LazyArg } from "effect/Function"
import type * as Net from "node:net"
import type { Readable, Writable } from "node:stream"

const errorCode = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

const describeCause = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

/** @internal */
export class ReadError extends Data.TaggedError("ReadError")<{
  readonly source: "readable" | "socket"
  readonly code: string | undefined
  readonly cause: unknown
}> {
  override get message() {
    return `reading from a Node ${this.source} failed${this.code ? ` (${this.code})` : ""}: ${
      describeCause(this.cause)
    }`
  }
}

/** @internal */
export class WriteError extends Data.TaggedError("WriteError")<{
  readonly target: "writable" | "socket"
  readonly code: string | undefined
  readonly cause: unknown
}> {
  override get message() {
    return `writing to a Node ${this.target} failed${this.code ? ` (${this.code})` : ""}: ${describeCause(this.cause)}`
  }
}

/** @internal */
export interface ReadOptions {
  readonly closeOnDone?: boolean | undefined
}

// A chunk is a `Buffer` unless someone called `setEncoding` on the readable; strings are the
// only case that has to copy.
const toBytes = (chunk: Uint8Array | string): Bytes.Bytes =>
  typeof chunk === "string" ? Bytes.fromString(chunk) : Bytes.fromUint8Array(chunk)

/**
 * Reads in flowing mode and pauses the readable once a highWaterMark of chunks waits here for the
 * consumer; a pull takes everything waiting and resumes it. `"data"` hands over the `Buffer`s the
 * source pushed, unchanged, where `read()` would concatenate (copy) whatever Node had buffered.
 */
class ReadState {
  private queue: Array<Bytes.Bytes> = []
  private queued = 0
  private ended = false
  private error: ReadError | undefined = undefined
  private readonly latch = Effect.unsafeMakeLatch(false)
  private readonly limit: number

  constructor(readonly readable: Readable, readonly source: ReadError["source"]) {
    this.limit = Math.max(1, readable.readableHighWaterMark)
    readable.on("data", this.onData)
    readable.on("end", this.onEnd)
    readable.on("error", this.onError)
    readable.on("close", this.onClose)
  }

  private readonly onData = (chunk: Uint8Array | string) => {
    const bytes = toBytes(chunk)
    this.queue.push(bytes)
    this.queued += this.readable.readableObjectMode ? 1 : Bytes.size(bytes)
    if (this.queued >= this.limit) this.readable.pause()
    this.latch.unsafeOpen()
  }
  private readonly onEnd = () => {
    this.ended = true
    this.latch.unsafeOpen()
  }
  private readonly onError = (cause: unknown) => {
    this.error ??= new ReadError({ source: this.source, code: errorCode(cause), cause })
    this.latch.unsafeOpen()
  }
  private readonly onClose = () => {
    // Destroyed without an error and without `end`: the data stopped short of its end.
    if (!this.ended) {
      this.onError(Object.assign(new Error("the readable closed before its end"), {
        code: "ERR_STREAM_PREMATURE_CLOSE"
      }))
    }
  }

  readonly pull: Effect.Effect<Chunk.Chunk<Bytes.Bytes>, Option.Option<ReadError>> = Effect.suspend(() => {
    if (this.queue.length > 0) {
      const chunk = Chunk.unsafeFromArray(this.queue)
      this.queue = []
      this.queued = 0
      if (!this.ended) this.readable.resume()
      return Effect.succeed(chunk)
    }
    if (this.error !== undefined) return Effect.fail(Option.some(this.error))
    if (this.ended) return Effect.fail(Option.none())
    this.latch.unsafeClose()
    return Effect.zipRight(this.latch.await, this.pull)
  })

  release(destroy: boolean): void {
    const { readable } = this
    readable.off("data", this.onData)
    readable.off("end", this.onEnd)
    readable.off("error", this.onError)
    readable.off("close", this.onClose)
    if (destroy && !readable.destroyed) readable.destroy()
  }
}

const readStream = (
  evaluate: LazyArg<Readable>,
  source: ReadError["source"],
  destroyOnDone: boolean
): Stream.Stream<Bytes.Bytes, ReadError> =>
  Stream.unwrapScoped(Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new ReadState(evaluate(), source)),
      (state, exit) => Effect.sync(() => state.release(destroyOnDone || Exit.isFailure(exit)))
    ),
    (state) => Stream.repeatEffectChunkOption(state.pull)
  ))

/** @internal */
export const fromReadable = (
  evaluate: LazyArg<Readable>,
  options?: ReadOptions
): Stream.Stream<Bytes.Bytes, ReadError> => readStream(evaluate, "readable", options?.closeOnDone ?? true)

/** @internal */
export const fromSocket = (socket: Net.Socket): Stream.Stream<Bytes.Bytes, ReadError> =>
  // The read side ending (the peer's FIN) must not destroy the socket: its write side may still
  // be in use. Only an interrupted or failed reader tears the connection down.
  readStream(() => socket, "socket", false)

/** @internal */
export interface WriteOptions {
  readonly endOnDone?: boolean | undefined
  readonly destroyOnAbort?: boolean | undefined
}

/**
 * The writable's state as seen by the sink: the first error it reported and whether it closed.
 * Listeners are attached once, for the sink's lifetime, so an error emitted between two writes is
 * not missed.
 */
class WriteState {
  error: WriteError | undefined = undefined
  closed = false
  constructor(readonly writable: Writable, readonly target: WriteError["target"]) {}
  readonly onError = (cause: unknown) => {
    this.error ??= new WriteError({ target: this.target, code: errorCode(cause), cause })
  }
  readonly onClose = () => {
    this.closed = true
  }
  failure(): WriteError | undefined {
    if (this.error !== undefined) return this.error
    if (this.closed || this.writable.destroyed) {
      return new WriteError({
        target: this.target,
        code: "ERR_STREAM_DESTROYED",
        cause: new Error("the writable was closed before the stream ended")
      })
    }
    return undefined
  }
}

// Waits for one of the writable's events; interruption removes the listeners.
const awaitEvent = (state: WriteState, event: "drain" | "finish"): Effect.Effect<void, WriteError> =>
  Effect.async<void, WriteError>((resume) => {
    const { writable } = state
    const cleanup = () => {
      writable.off(event, onEvent)
      writable.off("error", onFailure)
      writable.off("close", onFailure)
    }
    const onEvent = () => {
      cleanup()
      resume(Effect.void)
    }
    const onFailure = () => {
      cleanup()
      // `state.onError` is registered first, so the error is already recorded.
      resume(Effect.fail(state.failure() ?? new WriteError({ target: state.target, code: undefined, cause: event })))
    }
    writable.once(event, onEvent)
    writable.once("error", onFailure)
    writable.once("close", onFailure)
    return Effect.sync(cleanup)
  })

const writeChunk = (state: WriteState, chunk: Chunk.Chunk<Bytes.Bytes>): Effect.Effect<void, WriteError> => {
  const failure = state.failure()
  if (failure !== undefined) return Effect.fail(failure)
  const items = Chunk.toReadonlyArray(chunk)
  let index = 0
  const loop = (): Effect.Effect<void, WriteError> => {
    while (index < items.length) {
      // Waiting for `drain` after *every* refused write, including the chunk's last one, is what
      // keeps the writable's buffer bounded by its highWaterMark plus one element.
      if (!state.writable.write(Bytes.toUint8Array(items[index++]!))) {
        return Effect.flatMap(awaitEvent(state, "drain"), loop)
      }
    }
    return Effect.void
  }
  return loop()
}

const end = (state: WriteState): Effect.Effect<void, WriteError> =>
  Effect.suspend(() => {
    const failure = state.failure()
    if (failure !== undefined) return Effect.fail(failure)
    if (state.writable.writableFinished) return Effect.void
    const finished = awaitEvent(state, "finish")
    state.writable.end()
    return finished
  })

const writeSink = (
  evaluate: LazyArg<Writable>,
  target: WriteError["target"],
  options: WriteOptions | undefined
): Sink.Sink<void, Bytes.Bytes, never, WriteError> =>
  Sink.unwrapScoped(
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => {
          const state = new WriteState(evaluate(), target)
          state.writable.on("error", state.onError)
          state.writable.on("close", state.onClose)
          return state
        }),
        (state, exit) =>
          Effect.sync(() => {
            state.writable.off("error", state.onError)
            state.writable.off("close", state.onClose)
            if (Exit.isFailure(exit) && (options?.destroyOnAbort ?? true)) state.writable.destroy()
          })
      ),
      (state) => {
        const writeAll = Sink.forEachChunk((chunk: Chunk.Chunk<Bytes.Bytes>) => writeChunk(state, chunk))
        return (options?.endOnDone ?? true) ? Sink.mapEffect(writeAll, () => end(state)) : writeAll
      }
    )
  )

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
