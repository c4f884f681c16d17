/**
 * Blocking, CPU-bound work off the event loop — tokio's `spawn_blocking` for Effect — on a pool of
 * worker threads built on `@effect/platform`'s `Worker` pool and `@effect/platform-node`'s
 * `NodeWorker`. Jobs are `Schema.TaggedRequest`s: the request, the result and the typed failure
 * cross the thread boundary through their schemas. The worker module serves them with
 * {@link BlockingRunner.launch}.
 *
 * - **Sized to the machine**: `size` threads, `os.availableParallelism()` by default, one job
 *   per thread at a time.
 * - **First come, first served**: queued jobs start in the order `run` was called; a finished
 *   job wakes exactly one waiting caller.
 * - **Bounded**: at most `size + queueCapacity` jobs are admitted (running or queued). Beyond
 *   that `run` waits for room (`onFull: "wait"`, the default) or fails with `PoolFull`
 *   (`onFull: "fail"`).
 * - **Crashes are typed and repaired**: a thread that exits or throws fails its job with
 *   `WorkerCrashed` and is replaced by a new thread; the pool never shrinks.
 * - **Shutdown leaves no thread behind**: closing the scope waits for every admitted job
 *   (`shutdown: "drain"`, the default) or terminates the threads at once and fails their jobs with
 *   `PoolClosed` (`shutdown: "cancel"`); then every thread has exited.
 *
 * Cancellation safety of `run`:
 * - interrupted while waiting for room or for a free thread: the job was never sent; nothing ran;
 * - interrupted while running: the thread is told to stop (an `Effect` job is interrupted, a
 *   promise job sees its `AbortSignal` abort). If it has not finished within
 *   `cancelGracePeriod`, the thread is terminated and replaced (the only way to stop a
 *   synchronous loop). The interruption completes once the thread is idle or gone, so the next job
 *   never queues behind a cancelled one. Side effects the job made before it stopped stay made.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as WorkerThreads from "node:worker_threads"
import * as internal from "./internal/blockingPool.js"
import type {
  InvalidPoolOptions,
  JobCodecError,
  JobDefect,
  PoolClosed,
  PoolFull,
  WorkerCrashed
} from "./internal/errors.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  InvalidPoolOptions,
  /**
   * @since 0.1.0
   * @category errors
   */
  JobCodecError,
  /**
   * @since 0.1.0
   * @category errors
   */
  JobDefect,
  /**
   * @since 0.1.0
   * @category errors
   */
  PoolClosed,
  /**
   * @since 0.1.0
   * @category errors
   */
  PoolFull,
  /**
   * @since 0.1.0
   * @category errors
   */
  WorkerCrashed
} from "./internal/errors.js"

/**
 * Every failure `run` adds to the job's own typed failure.
 *
 * @since 0.1.0
 * @category errors
 */
export type BlockingError = PoolFull | PoolClosed | WorkerCrashed | JobDefect | JobCodecError

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The worker module: a file URL (or path) whose top level calls `BlockingRunner.launch`. */
  readonly entry: URL | string
  /** Threads in the pool. Default: `os.availableParallelism()`. */
  readonly size?: number | undefined
  /** Jobs that may wait for a thread beyond the `size` running ones. Default: 1024. */
  readonly queueCapacity?: number | undefined
  /** At capacity, `run` waits for room (default) or fails with `PoolFull`. */
  readonly onFull?: "wait" | "fail" | undefined
  /** How long an interrupted job may take to stop before its thread is terminated. Default: 1 second. */
  readonly cancelGracePeriod?: Duration.DurationInput | undefined
  /** On close: finish every admitted job (default), or terminate the threads at once. */
  readonly shutdown?: "drain" | "cancel" | undefined
  /**
   * Starts one thread (`new Worker(entry, options)` by default). Override it to add
   * `resourceLimits`, `env`, or a loader for TypeScript entries; pass `options` through, it
   * carries the pool's shared control word in `workerData`.
   */
  readonly spawn?: ((entry: URL | string, options: WorkerThreads.WorkerOptions) => WorkerThreads.Worker) | undefined
}

/**
 * A snapshot of the pool's counters.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly size: number
  /** Jobs on a thread now. */
  readonly running: number
  /** Admitted jobs waiting for a thread. */
  readonly queued: number
  /** Threads started, replacements included. */
  readonly spawned: number
  /** Threads started and not yet exited. */
  readonly live: number
  /** Jobs failed by a thread crash. */
  readonly crashed: number
  /** Interrupted jobs the thread stopped within the grace period. */
  readonly cancelled: number
  /** Interrupted jobs whose thread was terminated after the grace period. */
  readonly terminated: number
}

/**
 * A pool of worker threads serving the jobs in `Req`.
 *
 * @since 0.1.0
 * @category models
 */
export interface BlockingPool<Req extends Schema.TaggedRequest.All> {
  readonly size: number
  /** `size + queueCapacity`: how many jobs may be admitted at once. */
  readonly capacity: number
  /**
   * Runs one job on a thread and returns its decoded result, or its typed failure.
   * Cancellation safety: see the module documentation.
   */
  readonly run: <R extends Req>(
    request: R
  ) => Effect.Effect<Schema.WithResult.Success<R>, Schema.WithResult.Failure<R> | BlockingError>
  readonly stats: Effect.Effect<Stats>
}

/**
 * Starts `size` threads running `options.entry`; closing the scope shuts the pool down
 * (`options.shutdown`) and waits until every thread has exited. Fails with `InvalidPoolOptions`
 * (and starts nothing) for a `size` that is not a positive integer, a `queueCapacity` that is not
 * an integer of 0 or more, or a `cancelGracePeriod` that is not a finite duration.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { BlockingPool } from "@weft/worker"
 *
 * class Checksum extends Schema.TaggedRequest<Checksum>()("Checksum", {
 *   failure: Schema.Never,
 *   success: Schema.Number,
 *   payload: { rounds: Schema.Int }
 * }) {}
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const pool = yield* BlockingPool.make<Checksum>({
 *     entry: new URL("./checksum.worker.js", import.meta.url)
 *   })
 *   return yield* pool.run(new Checksum({ rounds: 1_000_000 }))
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <Req extends Schema.TaggedRequest.All>(
  options: Options
) => Effect.Effect<BlockingPool<Req>, WorkerCrashed | InvalidPoolOptions, Scope.Scope> = internal.make

/**
 * The pool as a layer for your own tag.
 *
 * @example
 * ```ts
 * import { Context, Schema } from "effect"
 * import { BlockingPool } from "@weft/worker"
 *
 * class Checksum extends Schema.TaggedRequest<Checksum>()("Checksum", {
 *   failure: Schema.Never,
 *   success: Schema.Number,
 *   payload: { rounds: Schema.Int }
 * }) {}
 *
 * class Checksums extends Context.Tag("app/Checksums")<Checksums, BlockingPool.BlockingPool<Checksum>>() {}
 *
 * const ChecksumsLive = BlockingPool.layer(Checksums, {
 *   entry: new URL("./checksum.worker.js", import.meta.url),
 *   onFull: "fail"
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <Id, Req extends Schema.TaggedRequest.All>(
  tag: Context.Tag<Id, BlockingPool<Req>>,
  options: Options
): Layer.Layer<Id, WorkerCrashed | InvalidPoolOptions> => Layer.scoped(tag, internal.make<Req>(options))
