// The worker module of the worker bench.
import { BlockingRunner } from "@weft/worker"
import { fnv1a } from "./cpuJob.mjs"
import { Jobs } from "./worker.jobs.js"

BlockingRunner.launch(Jobs, {
  Cpu: ({ size }) => fnv1a(size),
  Empty: () => 0,
  Echo: ({ payload }) => payload
})
