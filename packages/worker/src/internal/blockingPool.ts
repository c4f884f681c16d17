import * as Worker from "@effect/platform/Worker"
import { isWorkerError, type WorkerError } from "@effect/platform/WorkerError"
import { Semaphore } from "@weft/channel"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
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
  /** Workers held out of Effect's pool with no job, the most recently used last. */
  readonly idle: Array<Lease<Req>>
}

/**
 * A worker taken from Effect's pool and kept between jobs (its scope returns it). Jobs take the
 * most recently used one: Effect's pool hands its workers out in turn, so jobs that come one at a
 * time would each wake a thread that has slept the longest, which costs a sleeping core's wake-up
 * per job (twice the round trip on the 2-core machine); one warm thread answers at once.
 */
interface Lease<Req extends Schema.TaggedRequest.All> {
  readonly worker: Worker.SerializedWorker<Req>
  readonly scope: Scope.CloseableScope
  /** Invalidated in Effect's pool (crashed, or terminated after a cancel): it goes back to be replaced. */
  broken: boolean
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

  const invalidate = (lease: Lease<Req>) =>
    Effect.suspend(() => {
      lease.broken = true
      return pool.backing.invalidate(lease.worker)
    })

  const settleCancelled = (lease: Lease<Req>, thread: Threads.Thread) =>
    Effect.promise(() => awaitFinished(thread.control, thread.sent, graceMillis)).pipe(
      Effect.flatMap((finished) => {
        if (finished) return Effect.sync(() => counters.cancelled++)
        counters.terminated++
        return Effect.zipRight(
          Effect.promise(() => thread.worker.terminate()),
          invalidate(lease)
        )
      })
    )

  const onWorkerError = (tag: string, lease: Lease<Req>, error: WorkerError) => {
    if (error.reason === "encode" || error.reason === "decode") {
      return Effect.fail(new JobCodecError({ tag, direction: "request", detail: describe(error.cause) }))
    }
    if (state.cancelling) return Effect.fail(new PoolClosed({ tag }))
    counters.crashed++
    const reason = error.reason === "unknown" ? "exit" : error.reason
    return Effect.zipRight(
      invalidate(lease),
      Effect.fail(new WorkerCrashed({ tag, workerId: lease.worker.id, reason, detail: describe(error.cause) }))
    )
  }

  return (lease: Lease<Req>, request: Req) =>
    Effect.suspend(() => {
      if (state.cancelling) return Effect.fail(new PoolClosed({ tag: request._tag }))
      const { worker } = lease
      const thread = threads.get(worker.id)!
      thread.sent++
      counters.running++
      // `executeEffect`'s result type is conditional on the request type, unresolved for a
      // generic `Req`; `run`'s public signature restores it.
      const job = worker.executeEffect(request) as unknown as Effect.Effect<unknown, unknown>
      return job.pipe(
        Effect.onInterrupt(() => settleCancelled(lease, thread)),
        Effect.catchAll((error) => {
          const workerError = workerErrorOf(error)
          if (workerError !== undefined) {
            // The request never left this thread: it does not count as sent.
            if (workerError.reason === "encode") thread.sent--
            return onWorkerError(request._tag, lease, workerError)
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
  room: Semaphore.Semaphore,
  threadSlots: Semaphore.Semaphore,
  capacity: number
) => {
  const { counters } = state
  const execute = makeExecute(state)

  // The most recently used idle worker, else one more from Effect's pool (there are never more
  // leases than thread slots). A replacement thread that cannot start fails the job that waited.
  const takeLease = (tag: string): Effect.Effect<Lease<Req>, WorkerCrashed> =>
    Effect.suspend(() => {
      const lease = state.idle.pop()
      if (lease !== undefined) return Effect.succeed(lease)
      return Effect.flatMap(Scope.make(), (scope) =>
        Scope.extend(state.pool.backing.get, scope).pipe(
          Effect.map((worker): Lease<Req> => ({ worker, scope, broken: false })),
          Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Scope.close(scope, exit)),
          Effect.mapError((error) =>
            new WorkerCrashed({ tag, workerId: -1, reason: "spawn", detail: describe(error.cause) })
          )
        ))
    })

  // A broken worker goes back to Effect's pool, which replaces it; a sound one waits for the next job.
  const returnLease = (lease: Lease<Req>) =>
    Effect.suspend(() => {
      if (lease.broken) return Scope.close(lease.scope, Exit.void)
      state.idle.push(lease)
      return Effect.void
    })

  const admitted = (request: Req) =>
    Effect.suspend(() => {
      if (state.closing) return Effect.fail(new PoolClosed({ tag: request._tag }))
      counters.admitted++
      // Waiting for a worker stays interruptible (a replacement may be starting); once taken, it
      // is returned whatever happens.
      const job = Semaphore.withPermit(
        Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(
            restore(takeLease(request._tag)),
            (lease) => Effect.ensuring(restore(execute(lease, request)), returnLease(lease))
          )
        ),
        threadSlots
      )
      return Effect.ensuring(job, Effect.sync(() => counters.admitted--))
    })

  const full = () => new PoolFull({ running: counters.running, queued: counters.admitted - counters.running, capacity })

  return (request: Req) =>
    Effect.suspend(() => {
      if (state.closing) return Effect.fail(new PoolClosed({ tag: request._tag }))
      if (options.onFull !== "fail") return Semaphore.withPermit(admitted(request), room)
      return Semaphore.withPermitIfAvailable(admitted(request), room).pipe(
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
      cancelling: false,
      idle: []
    }
    const room = Semaphore.unsafeMake(capacity)
    const run = makeRun(state, options, room, Semaphore.unsafeMake(size), capacity)

    // Runs before Effect's pool closes its workers (finalizers run in reverse order).
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        state.closing = true
        if (options.shutdown === "cancel") {
          state.cancelling = true
          for (const thread of threads.all()) void thread.worker.terminate()
        }
        // Every admitted job has ended once all of the room is back; then the idle workers go
        // back to Effect's pool, which closes them.
        return Effect.zipRight(
          Semaphore.awaitAllReturned(room),
          Effect.suspend(() =>
            Effect.forEach(state.idle.splice(0), (lease) => Scope.close(lease.scope, Exit.void), { discard: true })
          )
        )
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
