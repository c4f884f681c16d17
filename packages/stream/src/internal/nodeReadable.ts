import { Bytes } from "@weft/bytes"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { LazyArg } from "effect/Function"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { Readable } from "node:stream"
import { errorCode, ignoreErrorsUntilClose, ReadError } from "./nodeErrors.js"

// A chunk is a `Buffer` unless someone called `setEncoding` on the readable; strings are the
// only case that has to copy.
const toBytes = (chunk: Uint8Array | string): Bytes.Bytes =>
  typeof chunk === "string" ? Bytes.fromString(chunk) : Bytes.fromUint8Array(chunk)

const prematureClose = (source: ReadError["source"]): ReadError =>
  new ReadError({
    source,
    code: "ERR_STREAM_PREMATURE_CLOSE",
    cause: new Error(`the ${source} closed before its end`)
  })

/**
 * How a readable that will never emit again finished, read from its state: a source that ended,
 * failed or was destroyed before the bridge attached has already emitted its last event.
 */
const finishedBefore = (
  readable: Readable,
  source: ReadError["source"]
): "ended" | ReadError | undefined => {
  if (readable.errored !== null) {
    const cause: unknown = readable.errored
    return new ReadError({ source, code: errorCode(cause), cause })
  }
  if (readable.readableEnded) return "ended"
  if (readable.destroyed || readable.closed) return prematureClose(source)
  return undefined
}

/**
 * Reads in flowing mode. `"data"` hands over the `Buffer`s the source pushed, unchanged, where
 * `read()` would concatenate (copy) whatever Node had buffered.
 *
 * Two disciplines, chosen by whether the readable is handed back when the stream ends:
 * - read-ahead (the readable is destroyed at the end): the readable flows until a highWaterMark
 *   of chunks waits here for the consumer, then pauses; a pull takes everything waiting and
 *   resumes it.
 * - on demand (the readable is handed back): the readable is resumed only by a pull that finds
 *   nothing waiting and paused after each chunk, so when the stream ends early nothing has left
 *   the readable that the consumer was not given; a chunk still waiting is pushed back with
 *   `unshift`.
 */
class ReadState {
  private queue: Array<Uint8Array | string> = []
  private queued = 0
  private ended = false
  private error: ReadError | undefined = undefined
  private readonly latch = Effect.unsafeMakeLatch(false)
  private readonly limit: number

  constructor(
    readonly readable: Readable,
    readonly source: ReadError["source"],
    readonly readAhead: boolean
  ) {
    this.limit = readAhead ? Math.max(1, readable.readableHighWaterMark) : 1
    const finished = finishedBefore(readable, source)
    if (finished === "ended") this.ended = true
    else if (finished !== undefined) this.error = finished
    readable.on("data", this.onData)
    readable.on("end", this.onEnd)
    readable.on("error", this.onError)
    readable.on("close", this.onClose)
    if (!readAhead) readable.pause()
  }

  private readonly onData = (chunk: Uint8Array | string) => {
    this.queue.push(chunk)
    this.queued += this.readAhead && !this.readable.readableObjectMode ? chunk.length : 1
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
      this.error ??= prematureClose(this.source)
      this.latch.unsafeOpen()
    }
  }

  readonly pull: Effect.Effect<Chunk.Chunk<Bytes.Bytes>, Option.Option<ReadError>> = Effect.suspend(() => {
    if (this.queue.length > 0) {
      const chunk = Chunk.unsafeFromArray(this.queue.map(toBytes))
      this.queue = []
      this.queued = 0
      if (this.readAhead && !this.ended) this.readable.resume()
      return Effect.succeed(chunk)
    }
    if (this.error !== undefined) return Effect.fail(Option.some(this.error))
    if (this.ended) return Effect.fail(Option.none())
    this.latch.unsafeClose()
    // Also when reading ahead: a readable handed back by an earlier bridge is paused.
    this.readable.resume()
    return Effect.zipRight(this.latch.await, this.pull)
  })

  release(destroy: boolean): void {
    const { readable } = this
    if (!destroy) readable.pause()
    readable.off("data", this.onData)
    readable.off("end", this.onEnd)
    readable.off("error", this.onError)
    readable.off("close", this.onClose)
    if (destroy) {
      if (!readable.destroyed) readable.destroy()
      // `destroy` may report an error (from `_destroy`) after this; with no listener left, Node
      // would turn it into an uncaught exception. The stream is over: the error is ignored.
      ignoreErrorsUntilClose(readable)
      return
    }
    // Handed back: what waits here (at most the chunk a pull was about to take) goes back to the
    // front of the readable, in order. After `end` Node refuses `unshift`, and the chunk is dropped.
    if (!readable.readableEnded && !readable.destroyed) {
      for (let i = this.queue.length - 1; i >= 0; i--) {
        readable.unshift(this.queue[i], readable.readableEncoding ?? undefined)
      }
    }
    this.queue = []
  }
}

/** @internal */
export const readStream = (
  evaluate: LazyArg<Readable>,
  source: ReadError["source"],
  closeOnDone: boolean
): Stream.Stream<Bytes.Bytes, ReadError> =>
  Stream.unwrapScoped(Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new ReadState(evaluate(), source, closeOnDone)),
      (state, exit) => Effect.sync(() => state.release(closeOnDone || Exit.isFailure(exit)))
    ),
    (state) => Stream.repeatEffectChunkOption(state.pull)
  ))
