// piscina's side of the worker bench: the same tasks as worker.runner.ts.
import { crc32 } from "./cpuJob.mjs"

export const cpu = ({ size }) => crc32(size)

export const empty = () => 0
