/**
 * The worker-thread side of a {@link BlockingPool}: a module that calls `launch` with the jobs'
 * schema and one handler per job tag becomes a worker the pool can start.
 *
 * A handler receives the decoded request and an `AbortSignal`, and returns the job's result as a
 * plain value (synchronous CPU-bound work), a promise, or an `Effect` (whose typed failure is the
 * job's `failure` schema). What happens when the caller is interrupted:
 *
 * - an `Effect` handler is interrupted;
 * - a promise handler sees its signal abort, and the job counts as finished once the promise settles;
 * - a synchronous handler cannot be reached while it runs (the thread's event loop is busy): the
 *   pool terminates the thread after its grace period and starts a new one.
 *
 * @since 0.1.0
 */
import type { WorkerError } from "@effect/platform/WorkerError"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import * as internal from "./internal/blockingRunner.js"

/**
 * One handler per job tag: `(request, signal) => result | Promise<result> | Effect<result, failure>`.
 *
 * @since 0.1.0
 * @category models
 */
export type Handlers<A extends Schema.TaggedRequest.All> = {
  readonly [K in A["_tag"]]: Extract<A, { readonly _tag: K }> extends Schema.WithResult<
    infer Success,
    infer _SuccessEncoded,
    infer Failure,
    infer _FailureEncoded,
    infer _R
  > ? (
      request: Extract<A, { readonly _tag: K }>,
      signal: AbortSignal
    ) => Success | PromiseLike<Success> | Effect.Effect<Success, Failure>
    : never
}

/**
 * Why a runner could not start or stopped: Effect's `WorkerError` (not in a worker thread, or
 * the parent port failed).
 *
 * @since 0.1.0
 * @category errors
 */
export type RunnerError = WorkerError

/**
 * Starts serving jobs in this worker thread; call it once at the top level of the worker module.
 * The thread exits when its pool closes it.
 *
 * @example
 * ```ts
 * // checksum.worker.ts
 * import { Schema } from "effect"
 * import { BlockingRunner } from "@weft/worker"
 *
 * export class Checksum extends Schema.TaggedRequest<Checksum>()("Checksum", {
 *   failure: Schema.Never,
 *   success: Schema.Number,
 *   payload: { rounds: Schema.Int }
 * }) {}
 *
 * BlockingRunner.launch(Checksum, {
 *   Checksum: ({ rounds }) => {
 *     let h = 0
 *     for (let i = 0; i < rounds; i++) h = Math.imul(h ^ i, 0x01000193)
 *     return h
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const launch: <A extends Schema.TaggedRequest.All, I>(
  schema: Schema.Schema<A, I, never>,
  handlers: Handlers<A>
) => void = internal.launch

/**
 * The runner as a `Layer`, for a worker that builds more services around it (provide them, then
 * `Layer.launch` it).
 *
 * @since 0.1.0
 * @category running
 */
export const layer: <A extends Schema.TaggedRequest.All, I, R>(
  schema: Schema.Schema<A, I, R>,
  handlers: Handlers<A>
) => Layer.Layer<never, RunnerError, R> = internal.layer
