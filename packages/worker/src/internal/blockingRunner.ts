import * as NodeWorkerRunner from "@effect/platform-node/NodeWorkerRunner"
import * as WorkerRunner from "@effect/platform/WorkerRunner"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Predicate from "effect/Predicate"
import type * as Schema from "effect/Schema"
import * as WorkerThreads from "node:worker_threads"
import type * as BlockingRunner from "../BlockingRunner.js"
import { controlKey, markFinished } from "./control.js"

type AnyHandler = (request: unknown, signal: AbortSignal) => unknown

/**
 * A promise-returning job, as an Effect whose interruption aborts the job's signal and then
 * waits for the promise to settle: the thread counts the job finished only when it really is.
 */
const awaitSettled = (promise: PromiseLike<unknown>, controller: AbortController) =>
  Effect.async<unknown>((resume) => {
    promise.then((value) => resume(Effect.succeed(value)), (error) => resume(Effect.die(error)))
    return Effect.async<void>((settled) => {
      controller.abort()
      promise.then(() => settled(Effect.void), () => settled(Effect.void))
    })
  })

const runJob = (handler: AnyHandler, request: unknown, control: Int32Array | undefined) =>
  Effect.suspend(() => {
    const controller = new AbortController()
    return Effect.suspend(() => {
      const result = handler(request, controller.signal)
      if (Effect.isEffect(result)) return result
      if (Predicate.isPromiseLike(result)) return awaitSettled(result, controller)
      return Effect.succeed(result)
    }).pipe(
      Effect.onInterrupt(() => Effect.sync(() => controller.abort())),
      Effect.ensuring(Effect.sync(() => {
        if (control !== undefined) markFinished(control)
      }))
    )
  })

const controlOf = (data: unknown): Int32Array | undefined => {
  const control = Predicate.isRecord(data) ? data[controlKey] : undefined
  return control instanceof Int32Array ? control : undefined
}

/** @internal */
export const layer = <A extends Schema.TaggedRequest.All, I, R>(
  schema: Schema.Schema<A, I, R>,
  handlers: BlockingRunner.Handlers<A>
): Layer.Layer<never, BlockingRunner.RunnerError, R> => {
  const control = controlOf(WorkerThreads.workerData)
  const wrapped: Record<string, (request: unknown) => Effect.Effect<unknown, unknown, unknown>> = {}
  for (const [tag, handler] of Object.entries(handlers as Record<string, AnyHandler>)) {
    wrapped[tag] = (request) => runJob(handler, request, control)
  }
  // The handler map is keyed by every tag of `A` (checked by `Handlers<A>`); Effect's runner
  // types it per tag, which a map built at run time cannot restate.
  const serialized = WorkerRunner.layerSerialized(
    schema,
    wrapped as unknown as WorkerRunner.SerializedRunner.Handlers<A>
  )
  return Layer.provide(serialized, NodeWorkerRunner.layer) as Layer.Layer<never, BlockingRunner.RunnerError, R>
}

/** @internal */
export const launch = <A extends Schema.TaggedRequest.All, I>(
  schema: Schema.Schema<A, I, never>,
  handlers: BlockingRunner.Handlers<A>
): void => {
  // A runner that cannot start rejects here; in a worker thread an unhandled rejection ends the
  // thread with an "error" event, which the pool reports as a failed spawn.
  void Effect.runPromise(WorkerRunner.launch(layer(schema, handlers)))
}
