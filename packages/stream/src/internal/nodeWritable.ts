import { Bytes } from "@weft/bytes"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { LazyArg } from "effect/Function"
import * as Sink from "effect/Sink"
import type { Writable } from "node:stream"
import { errorCode, ignoreErrors, ignoreErrorsUntilClose, WriteError } from "./nodeErrors.js"

/** @internal */
export interface WriteOptions {
  readonly endOnDone?: boolean | undefined
  readonly destroyOnAbort?: boolean | undefined
}

/**
 * The writable's state as seen by the sink: the first error it reported, whether it closed, and
 * how many of the sink's writes Node has not yet called back. Listeners are attached once, for
 * the sink's lifetime, so an error emitted between two writes is not missed.
 */
class WriteState {
  error: WriteError | undefined = undefined
  closed = false
  /** Writes handed to `write` whose callback has not run yet. */
  unsettled = 0
  /** Called when `unsettled` drops to 0. */
  onSettled: (() => void) | undefined = undefined

  constructor(readonly writable: Writable, readonly target: WriteError["target"]) {
    writable.on("error", this.onError)
    writable.on("close", this.onClose)
  }
  readonly onError = (cause: unknown) => {
    this.error ??= new WriteError({ target: this.target, code: errorCode(cause), cause })
  }
  readonly onClose = () => {
    this.closed = true
  }
  // One callback shared by every write: Node calls it, in order, once the chunk is flushed or
  // has failed (also with `ERR_STREAM_DESTROYED` for writes a `destroy` discarded).
  readonly onWritten = (error?: Error | null) => {
    this.unsettled--
    if (error) this.onError(error)
    if (this.unsettled === 0) this.onSettled?.()
  }
  write(bytes: Bytes.Bytes): boolean {
    this.unsettled++
    return this.writable.write(Bytes.toUint8Array(bytes), this.onWritten)
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

  /**
   * Lets go of the writable. An error Node reports after this — from `destroy`, from the
   * `autoDestroy` that follows `finish`, or from a write still in flight — must still find a
   * listener, or the process crashes; the sink is over, so it is ignored.
   */
  release(how: "destroy" | "ended" | "open"): void {
    const { writable } = this
    writable.off("error", this.onError)
    writable.off("close", this.onClose)
    if (how === "destroy") writable.destroy()
    // A failed write calls back before Node emits its `"error"` (and destroys the writable).
    if (how !== "open" || this.error !== undefined) return ignoreErrorsUntilClose(writable)
    if (this.unsettled > 0) {
      const stopIgnoring = ignoreErrors(writable)
      this.onSettled = () => {
        stopIgnoring()
        if (this.error !== undefined) ignoreErrorsUntilClose(writable)
      }
    }
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
      if (!state.write(items[index++]!)) {
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

/**
 * Without `end`, nothing tells the sink its last writes succeeded but their callbacks: it waits
 * for every one, so a write that fails late fails the sink instead of surfacing (unheard) later.
 * The writable may be closed meanwhile; only a write that did not make it is a failure.
 */
const settle = (state: WriteState): Effect.Effect<void, WriteError> =>
  Effect.async<void, WriteError>((resume) => {
    const result = () => state.error === undefined ? Effect.void : Effect.fail(state.error)
    if (state.unsettled === 0) return resume(result())
    state.onSettled = () => {
      state.onSettled = undefined
      resume(result())
    }
    return Effect.sync(() => {
      state.onSettled = undefined
    })
  })

/** @internal */
export const writeSink = (
  evaluate: LazyArg<Writable>,
  target: WriteError["target"],
  options: WriteOptions | undefined
): Sink.Sink<void, Bytes.Bytes, never, WriteError> => {
  const endOnDone = options?.endOnDone ?? true
  const destroyOnAbort = options?.destroyOnAbort ?? true
  return Sink.unwrapScoped(
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => new WriteState(evaluate(), target)),
        (state, exit) =>
          Effect.sync(() =>
            state.release(
              Exit.isFailure(exit)
                ? (destroyOnAbort ? "destroy" : "open")
                : (endOnDone ? "ended" : "open")
            )
          )
      ),
      (state) =>
        Sink.mapEffect(
          Sink.forEachChunk((chunk: Chunk.Chunk<Bytes.Bytes>) => writeChunk(state, chunk)),
          () => endOnDone ? end(state) : settle(state)
        )
    )
  )
}
