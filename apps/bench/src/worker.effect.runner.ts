// The worker module of the worker bench's Effect floor rows: the same jobs served by Effect's own
// serialized runner, with nothing of weft's around it.
import * as NodeWorkerRunner from "@effect/platform-node/NodeWorkerRunner"
import * as WorkerRunner from "@effect/platform/WorkerRunner"
import { Effect, Layer } from "effect"
import { crc32 } from "./cpuJob.mjs"
import { Jobs } from "./worker.jobs.js"

WorkerRunner.launch(Layer.provide(
  WorkerRunner.layerSerialized(Jobs, {
    Cpu: ({ size }) => Effect.sync(() => crc32(size)),
    Empty: () => Effect.succeed(0),
    Echo: ({ payload }) => Effect.succeed(payload)
  }),
  NodeWorkerRunner.layer
)).pipe(Effect.runFork)
