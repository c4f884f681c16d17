/**
 * Every error of @weft/worker, declared once here so that the implementation can raise them
 * without importing the public modules that re-export them (which would be an import cycle).
 */
import * as Data from "effect/Data"

/**
 * `run` is at capacity (`onFull: "fail"`): `running + queued` jobs are admitted of `capacity`.
 *
 * @since 0.1.0
 * @category errors
 */
export class PoolFull extends Data.TaggedError("PoolFull")<{
  readonly running: number
  readonly queued: number
  readonly capacity: number
}> {
  override get message() {
    return `blocking pool is full: ${this.running} running and ${this.queued} queued of ${this.capacity} admitted jobs`
  }
}

/**
 * The pool closed before the job could finish: it was submitted after close began, or shutdown
 * `"cancel"` stopped it.
 *
 * @since 0.1.0
 * @category errors
 */
export class PoolClosed extends Data.TaggedError("PoolClosed")<{
  readonly tag: string
}> {
  override get message() {
    return `blocking pool closed before job ${this.tag} could finish`
  }
}

/**
 * The thread running the job exited or threw outside the job (`reason: "exit"`), or a thread
 * could not be started or reached (`"spawn"`, `"send"`). The pool replaces the thread.
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkerCrashed extends Data.TaggedError("WorkerCrashed")<{
  readonly tag: string
  readonly workerId: number
  readonly reason: "exit" | "spawn" | "send"
  readonly detail: string
}> {
  override get message() {
    return `worker ${this.workerId} failed (${this.reason}) while running job ${this.tag}: ${this.detail}`
  }
}

/**
 * The job's handler threw or died (an untyped failure); `detail` is the thrown message. The
 * thread stays in the pool.
 *
 * @since 0.1.0
 * @category errors
 */
export class JobDefect extends Data.TaggedError("JobDefect")<{
  readonly tag: string
  readonly detail: string
}> {
  override get message() {
    return `job ${this.tag} died in its worker: ${this.detail}`
  }
}

/**
 * The request could not be encoded, or the result decoded, with the job's schemas.
 *
 * @since 0.1.0
 * @category errors
 */
export class JobCodecError extends Data.TaggedError("JobCodecError")<{
  readonly tag: string
  readonly direction: "request" | "response"
  readonly detail: string
}> {
  override get message() {
    return `job ${this.tag}: the ${this.direction} does not match its schema: ${this.detail}`
  }
}

/**
 * An option of `BlockingPool.make` (or of a worker actor's thread) is outside what it accepts:
 * which option, the value given, and what it must be. Nothing was started.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPoolOptions extends Data.TaggedError("InvalidPoolOptions")<{
  readonly option: "size" | "queueCapacity" | "cancelGracePeriod"
  readonly value: string
  readonly expected: string
}> {
  override get message() {
    return `blocking pool option ${this.option} is ${this.value}; expected ${this.expected}`
  }
}

/** @internal */
export const describe = (u: unknown): string =>
  u instanceof Error ? u.message : typeof u === "object" && u !== null && "message" in u ? String(u.message) : String(u)
