// The worker module of the worker bench.
import { BlockingRunner } from "@weft/worker"
import { crc32 } from "./cpuJob.mjs"
import { Jobs } from "./worker.jobs.js"

BlockingRunner.launch(Jobs, {
  Cpu: ({ size }) => crc32(size),
  Empty: () => 0,
  Echo: ({ payload }) => payload
})
