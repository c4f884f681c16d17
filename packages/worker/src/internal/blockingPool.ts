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
import { describe, JobCodecError, JobDefect, PoolClosed, PoolFull, WorkerCrashed } from "./errors.js"
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

/** @internal */
export const make = <Req extends Schema.TaggedRequest.All>(
  options: BlockingPool.Options
): Effect.Effect<BlockingPool.BlockingPool<Req>, WorkerCrashed, Scope.Scope> =>
  Effect.gen(function*() {
    const size = options.size ?? os.availableParallelism()
    const capacity = size + (options.queueCapacity ?? defaultQueueCapacity)
    const graceMillis = Duration.toMillis(options.cancelGracePeriod ?? defaultCancelGracePeriod)
    const threads = Threads.make(options)
    const counters = { crashed: 0, cancelled: 0, terminated: 0, admitted: 0, running: 0 }
    let closing = false
    let cancelling = false

    // `SerializedWorkerPool.Options` is a conditional type on `Req` (it asks for an initial message
    // when `Req` has one); jobs have none, which a generic `Req` cannot show.
    const poolOptions = { size, concurrency: 1 } as Worker.SerializedWorkerPool.Options<Req>
    const pool = yield* Worker.makePoolSerialized<Req>(poolOptions).pipe(
      Effect.provide(threads.layer),
      Effect.mapError((error) =>
        new WorkerCrashed({ tag: "(start)", workerId: -1, reason: "spawn", detail: describe(error.cause) })
      )
    )
    const permits = yield* Effect.makeSemaphore(capacity)

    // Interrupted while the job runs: Effect's worker has already told the thread to interrupt
    // it. Wait (up to the grace period) until the thread says it finished, else terminate it
    // and let the pool start a replacement; either way the worker is idle again before the
    // caller's interruption completes and the worker goes back to the pool.
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
      if (cancelling) return Effect.fail(new PoolClosed({ tag }))
      counters.crashed++
      const reason = error.reason === "unknown" ? "exit" : error.reason
      return Effect.zipRight(
        pool.backing.invalidate(worker),
        Effect.fail(new WorkerCrashed({ tag, workerId: worker.id, reason, detail: describe(error.cause) }))
      )
    }

    const execute = (worker: Worker.SerializedWorker<Req>, request: Req) =>
      Effect.suspend(() => {
        if (cancelling) return Effect.fail(new PoolClosed({ tag: request._tag }))
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
          Effect.catchAllDefect((defect) =>
            Effect.fail(new JobDefect({ tag: request._tag, detail: describe(defect) }))
          ),
          Effect.ensuring(Effect.sync(() => counters.running--))
        )
      })

    const admit = <A, E>(tag: string, job: Effect.Effect<A, E>): Effect.Effect<A, E | PoolFull | PoolClosed> => {
      const admitted = Effect.suspend((): Effect.Effect<A, E | PoolClosed> => {
        if (closing) return Effect.fail(new PoolClosed({ tag }))
        counters.admitted++
        return Effect.ensuring(job, Effect.sync(() => counters.admitted--))
      })
      if (options.onFull !== "fail") return permits.withPermits(1)(admitted)
      return permits.withPermitsIfAvailable(1)(admitted).pipe(
        Effect.flatMap(Option.match({
          onNone: () =>
            Effect.fail(
              new PoolFull({ running: counters.running, queued: counters.admitted - counters.running, capacity })
            ),
          onSome: Effect.succeed
        }))
      )
    }

    // A replacement thread that cannot start fails the job that waited for it.
    const acquireWorker = (tag: string) =>
      Effect.mapError(
        pool.backing.get,
        (error) => new WorkerCrashed({ tag, workerId: -1, reason: "spawn", detail: describe(error.cause) })
      )

    const run = (request: Req) =>
      Effect.suspend(() =>
        closing ? Effect.fail(new PoolClosed({ tag: request._tag })) : admit(
          request._tag,
          Effect.scoped(Effect.flatMap(acquireWorker(request._tag), (worker) => execute(worker, request)))
        )
      )

    // Runs before Effect's pool closes its workers (finalizers run in reverse order).
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closing = true
        if (options.shutdown === "cancel") {
          cancelling = true
          for (const thread of threads.all()) void thread.worker.terminate()
        }
        // Every admitted job has ended once all permits are back.
        return permits.take(capacity)
      })
    )

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
