// The jobs of the worker bench, shared by the bench (worker.bench.ts) and its worker modules
// (worker.runner.ts; worker.actor.runner.ts for the worker actor).
import { Actor } from "@weft/actor"
import { ThreadBytes, WorkerActor } from "@weft/worker"
import { Effect, Schema } from "effect"

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

/** A worker actor that answers `Empty` with 0: an ask's round trip through the stand-in and the thread's actor. */
export const Pinger = WorkerActor.protocol("Pinger", [Empty])

export const pinger = Actor.behavior<Empty>()({
  initialState: 0,
  handlers: { Empty: (_, state) => Effect.succeed(Actor.reply(0, state)) }
})
