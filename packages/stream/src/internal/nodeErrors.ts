import * as Data from "effect/Data"
import type { EventEmitter } from "node:events"

/** @internal */
export const errorCode = (cause: unknown): string | undefined =>
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

const ignore = () => {}

/**
 * Keeps an `"error"` listener on a Node stream the bridge has let go of, until the stream closes.
 * Node turns an `"error"` event nobody listens to into an uncaught exception, and a stream being
 * destroyed (or finishing, with `autoDestroy`) may still report one after the bridge is done.
 * @internal
 */
export const ignoreErrorsUntilClose = (stream: EventEmitter): void => {
  stream.on("error", ignore)
  stream.once("close", () => stream.off("error", ignore))
}

/**
 * Like {@link ignoreErrorsUntilClose}, but until `release` is called.
 * @internal
 */
export const ignoreErrors = (stream: EventEmitter): () => void => {
  const listener = () => {}
  stream.on("error", listener)
  return () => void stream.off("error", listener)
}
