// The jobs of the worker bench, shared by the bench (worker.bench.ts) and its worker module
// (worker.runner.ts).
import { ThreadBytes } from "@weft/worker"
import { Schema } from "effect"

export class Cpu extends Schema.TaggedRequest<Cpu>()("Cpu", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: { size: Schema.Int }
}) {}

export class Empty extends Schema.TaggedRequest<Empty>()("Empty", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}

/** Moves a payload to the worker and back: ownership goes both ways, nothing is copied. */
export class Echo extends Schema.TaggedRequest<Echo>()("Echo", {
  failure: Schema.Never,
  success: ThreadBytes.Transfer,
  payload: { payload: ThreadBytes.Transfer }
}) {}

export const Jobs = Schema.Union(Cpu, Empty, Echo)
export type Jobs = typeof Jobs.Type
