import * as NodeWorker from "@effect/platform-node/NodeWorker"
import * as Worker from "@effect/platform/Worker"
import { WorkerError } from "@effect/platform/WorkerError"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as WorkerThreads from "node:worker_threads"
import type * as BlockingPool from "../BlockingPool.js"
import { controlKey, makeControl } from "./control.js"

/** @internal */
export interface Thread {
  readonly worker: WorkerThreads.Worker
  readonly control: Int32Array
  /** Jobs sent to this thread; compared with the thread's finished count after a cancel. */
  sent: number
}

/**
 * The threads behind a pool, by Effect's worker id, and the layer that makes Effect's worker
 * manager start them.
 *
 * @internal
 */
export interface Threads {
  readonly get: (workerId: number) => Thread | undefined
  readonly all: () => Iterable<Thread>
  readonly spawned: () => number
  readonly exited: () => number
  readonly layer: Layer.Layer<Worker.WorkerManager | Worker.Spawner>
}

const defaultSpawn = (entry: URL | string, options: WorkerThreads.WorkerOptions) =>
  new WorkerThreads.Worker(entry, options)

/** @internal */
export const make = (options: BlockingPool.Options): Threads => {
  const spawnThread = options.spawn ?? defaultSpawn
  const threads = new Map<number, Thread>()
  let spawned = 0
  let exited = 0
  // Effect's worker retries a thread that fails before its runner is ready once a second, for
  // ever, and the pool's first `get` waits for it uninterruptibly. A thread that fails before
  // it is ready therefore fails the starts in progress instead (a bad entry fails them all alike).
  let startFailed = Deferred.unsafeMake<never, WorkerError>(FiberId.none)

  const spawn = (id: number) => {
    const control = makeControl()
    const worker = spawnThread(options.entry, { workerData: { [controlKey]: control } })
    spawned++
    let ready = false
    worker.once("message", () => (ready = true))
    worker.once("error", (cause) => {
      if (ready) return
      const failed = startFailed
      startFailed = Deferred.unsafeMake(FiberId.none)
      Deferred.unsafeDone(failed, Exit.fail(new WorkerError({ reason: "spawn", cause })))
    })
    worker.once("exit", () => exited++)
    threads.set(id, { worker, control, sent: 0 })
    return worker
  }

  const manager = Effect.map(Worker.makeManager, (manager) =>
    Worker.WorkerManager.of({
      ...manager,
      spawn: (spawnOptions) =>
        Effect.suspend(() => Effect.raceFirst(manager.spawn(spawnOptions), Deferred.await(startFailed)))
    }))

  return {
    get: (workerId) => threads.get(workerId),
    all: () => threads.values(),
    spawned: () => spawned,
    exited: () => exited,
    layer: Layer.effect(Worker.WorkerManager, manager).pipe(
      Layer.provide(NodeWorker.layerWorker),
      Layer.merge(Worker.layerSpawner(spawn))
    )
  }
}
