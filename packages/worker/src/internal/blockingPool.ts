import * as Worker from "@effect/platform/Worker"
import { isWorkerError, type WorkerError } from "@effect/platform/WorkerError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as os from "node:os"
import type * as BlockingPool from "../BlockingPool.js"
import { awaitFinished } from "./control.js"
import {
  describe,
  InvalidPoolOptions,
  JobCodecError,
  JobDefect,
  PoolClosed,
  PoolFull,
  WorkerCrashed
} from "./errors.js"
import * as FifoPermits from "./fifoPermits.js"
import * as Threads from "./threads.js"

/**
 * Effect's serialized worker decodes every failure with the job's failure schema, a crash's
 * `WorkerError` included, which that schema rejects: the `WorkerError` arrives inside a
 * `ParseError`, as the value that did not decode.
 */
const workerErrorOf = (error: unknown): WorkerError | undefined => {
  if (isWorkerError(error)) return error
  if (ParseResult.isParseError(error) && "actual" in error.issue && isWorkerError(error.issue.actual)) {
    return error.issue.actual
  }
  return undefined
}

/** @internal */
export const defaultQueueCapacity = 1024

/** @internal */
export const defaultCancelGracePeriod: Duration.DurationInput = "1 second"

interface Counters {
  crashed: number
  cancelled: number
  terminated: number
  admitted: number
  running: number
}

/** What the parts of a pool share. */
interface PoolState<Req extends Schema.TaggedRequest.All> {
  readonly pool: Worker.SerializedWorkerPool<Req>
  readonly threads: Threads.Threads
  readonly counters: Counters
  readonly graceMillis: number
  /** No new job is admitted. */
  closing: boolean
  /** Shutdown terminated the threads: their jobs fail with `PoolClosed`. */
  cancelling: boolean
}

/**
 * Runs one job on the given worker and maps every way it can fail to the pool's typed errors.
 * Interrupted while the job runs: Effect's worker has already told the thread to interrupt it;
 * wait (up to the grace period) until the thread says it finished, else terminate it and let the
 * pool start a replacement. Either way the worker is idle again before the caller's interruption
 * completes and the worker goes back to the pool.
 */
const makeExecute = <Req extends Schema.TaggedRequest.All>(state: PoolState<Req>) => {
  const { counters, graceMillis, pool, threads } = state

  const settleCancelled = (worker: Worker.SerializedWorker<Req>, thread: Threads.Thread) =>
    Effect.promise(() => awaitFinished(thread.control, thread.sent, graceMillis)).pipe(
      Effect.flatMap((finished) => {
        if (finished) return Effect.sync(() => counters.cancelled++)
        counters.terminated++
        return Effect.zipRight(
          Effect.promise(() => thread.worker.terminate()),
          pool.backing.invalidate(worker)
        )
      })
    )

  const onWorkerError = (tag: string, worker: Worker.SerializedWorker<Req>, error: WorkerError) => {
    if (error.reason === "encode" || error.reason === "decode") {
      return Effect.fail(new JobCodecError({ tag, direction: "request", detail: describe(error.cause) }))
    }
    if (state.cancelling) return Effect.fail(new PoolClosed({ tag }))
    counters.crashed++
    const reason = error.reason === "unknown" ? "exit" : error.reason
    return Effect.zipRight(
      pool.backing.invalidate(worker),
      Effect.fail(new WorkerCrashed({ tag, workerId: worker.id, reason, detail: describe(error.cause) }))
    )
  }

  return (worker: Worker.SerializedWorker<Req>, request: Req) =>
    Effect.suspend(() => {
      if (state.cancelling) return Effect.fail(new PoolClosed({ tag: request._tag }))
      const thread = threads.get(worker.id)!
      thread.sent++
      counters.running++
      // `executeEffect`'s result type is conditional on the request type, unresolved for a
      // generic `Req`; `run`'s public signature restores it.
      const job = worker.executeEffect(request) as unknown as Effect.Effect<unknown, unknown>
      return job.pipe(
        Effect.onInterrupt(() => settleCancelled(worker, thread)),
        Effect.catchAll((error) => {
          const workerError = workerErrorOf(error)
          if (workerError !== undefined) {
            // The request never left this thread: it does not count as sent.
            if (workerError.reason === "encode") thread.sent--
            return onWorkerError(request._tag, worker, workerError)
          }
          if (ParseResult.isParseError(error)) {
            return Effect.fail(new JobCodecError({ tag: request._tag, direction: "response", detail: error.message }))
          }
          return Effect.fail(error)
        }),
        Effect.catchAllDefect((defect) => Effect.fail(new JobDefect({ tag: request._tag, detail: describe(defect) }))),
        Effect.ensuring(Effect.sync(() => counters.running--))
      )
    })
}

/**
 * `run`: admission (room among `capacity` admitted jobs, waiting or `PoolFull` by option), then a
 * free thread in arrival order, then the job. At most `size` callers ask Effect's pool for a
 * worker at a time, so its semaphore never has waiters.
 */
const makeRun = <Req extends Schema.TaggedRequest.All>(
  state: PoolState<Req>,
  options: BlockingPool.Options,
  room: FifoPermits.FifoPermits,
  threadSlots: FifoPermits.FifoPermits,
  capacity: number
) => {
  const { counters } = state
  const execute = makeExecute(state)

  // A replacement thread that cannot start fails the job that waited for it.
  const acquireWorker = (tag: string) =>
    Effect.mapError(
      state.pool.backing.get,
      (error) => new WorkerCrashed({ tag, workerId: -1, reason: "spawn", detail: describe(error.cause) })
    )

  const admitted = (request: Req) =>
    Effect.suspend(() => {
      if (state.closing) return Effect.fail(new PoolClosed({ tag: request._tag }))
      counters.admitted++
      const job = threadSlots.withPermit(
        Effect.scoped(Effect.flatMap(acquireWorker(request._tag), (worker) => execute(worker, request)))
      )
      return Effect.ensuring(job, Effect.sync(() => counters.admitted--))
    })

  const full = () => new PoolFull({ running: counters.running, queued: counters.admitted - counters.running, capacity })

  return (request: Req) =>
    Effect.suspend(() => {
      if (state.closing) return Effect.fail(new PoolClosed({ tag: request._tag }))
      if (options.onFull !== "fail") return room.withPermit(admitted(request))
      return room.withPermitIfAvailable(admitted(request)).pipe(
        Effect.flatMap(Option.match({ onNone: () => Effect.fail(full()), onSome: Effect.succeed }))
      )
    })
}

interface Settings {
  readonly size: number
  readonly queueCapacity: number
  readonly graceMillis: number
}

const isCount = (n: number, least: number) => Number.isSafeInteger(n) && n >= least

/** The options with their defaults, or the first one that is not acceptable. */
const settingsOf = (options: BlockingPool.Options): Effect.Effect<Settings, InvalidPoolOptions> => {
  const size = options.size ?? os.availableParallelism()
  if (!isCount(size, 1)) {
    return Effect.fail(new InvalidPoolOptions({ option: "size", value: String(size), expected: "a positive integer" }))
  }
  const queueCapacity = options.queueCapacity ?? defaultQueueCapacity
  if (!isCount(queueCapacity, 0)) {
    return Effect.fail(
      new InvalidPoolOptions({
        option: "queueCapacity",
        value: String(queueCapacity),
        expected: "an integer of 0 or more"
      })
    )
  }
  const grace = Duration.decodeUnknown(options.cancelGracePeriod ?? defaultCancelGracePeriod)
  const graceMillis = Option.isSome(grace) ? Duration.toMillis(grace.value) : NaN
  if (!Number.isFinite(graceMillis) || graceMillis < 0) {
    return Effect.fail(
      new InvalidPoolOptions({
        option: "cancelGracePeriod",
        value: String(options.cancelGracePeriod),
        expected: "a finite duration of 0 or more"
      })
    )
  }
  return Effect.succeed({ size, queueCapacity, graceMillis })
}

/** @internal */
export const make = <Req extends Schema.TaggedRequest.All>(
  options: BlockingPool.Options
): Effect.Effect<BlockingPool.BlockingPool<Req>, WorkerCrashed | InvalidPoolOptions, Scope.Scope> =>
  Effect.gen(function*() {
    const { graceMillis, queueCapacity, size } = yield* settingsOf(options)
    const capacity = size + queueCapacity
    const threads = Threads.make(options)

    // `SerializedWorkerPool.Options` is a conditional type on `Req` (it asks for an initial message
    // when `Req` has one); jobs have none, which a generic `Req` cannot show.
    const poolOptions = { size, concurrency: 1 } as Worker.SerializedWorkerPool.Options<Req>
    const pool = yield* Worker.makePoolSerialized<Req>(poolOptions).pipe(
      Effect.provide(threads.layer),
      Effect.mapError((error) =>
        new WorkerCrashed({ tag: "(start)", workerId: -1, reason: "spawn", detail: describe(error.cause) })
      )
    )
    const state: PoolState<Req> = {
      pool,
      threads,
      counters: { crashed: 0, cancelled: 0, terminated: 0, admitted: 0, running: 0 },
      graceMillis,
      closing: false,
      cancelling: false
    }
    const room = FifoPermits.make(capacity)
    const run = makeRun(state, options, room, FifoPermits.make(size), capacity)

    // Runs before Effect's pool closes its workers (finalizers run in reverse order).
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        state.closing = true
        if (options.shutdown === "cancel") {
          state.cancelling = true
          for (const thread of threads.all()) void thread.worker.terminate()
        }
        // Every admitted job has ended once all of the room is back.
        return room.allReturned
      })
    )

    const { counters } = state
    return {
      size,
      capacity,
      run: run as BlockingPool.BlockingPool<Req>["run"],
      stats: Effect.sync(() => ({
        size,
        running: counters.running,
        queued: counters.admitted - counters.running,
        spawned: threads.spawned(),
        live: threads.spawned() - threads.exited(),
        crashed: counters.crashed,
        cancelled: counters.cancelled,
        terminated: counters.terminated
      }))
    }
  })
