// piscina's side of the worker bench: the same tasks as worker.runner.ts.
import { fnv1a } from "./cpuJob.mjs"

export const cpu = ({ size }) => fnv1a(size)

export const empty = () => 0
