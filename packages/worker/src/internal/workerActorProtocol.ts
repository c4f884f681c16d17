import type { Actor } from "@weft/actor"
import * as Schema from "effect/Schema"
import type * as WorkerActor from "../WorkerActor.js"
import { type AnyMessageSchema, isRequestSchema, type Jobs, makeJobs } from "./workerActorJobs.js"

/** @internal */
export const TypeId: WorkerActor.TypeId = Symbol.for("@weft/worker/WorkerActor/Protocol") as WorkerActor.TypeId

/**
 * A protocol with what both threads derive from it: the tags of its requests and its jobs.
 *
 * @internal
 */
export interface ProtocolImpl<M extends Actor.Message> extends WorkerActor.Protocol<M> {
  readonly messages: ReadonlyArray<AnyMessageSchema>
  readonly requestTags: ReadonlySet<string>
  readonly jobs: Jobs
}

/** @internal */
export const implOf = <M extends Actor.Message>(protocol: WorkerActor.Protocol<M>): ProtocolImpl<M> =>
  protocol as ProtocolImpl<M>

/** @internal */
export const make = <M extends Actor.Message>(
  name: string,
  messages: ReadonlyArray<AnyMessageSchema>
): WorkerActor.Protocol<M> => {
  // The union's type is the protocol `M`, which the public signature states; the jobs carry it
  // as plain messages.
  const schema = Schema.Union(...messages) as unknown as Schema.Schema<Actor.Message, unknown>
  const impl: ProtocolImpl<M> = {
    [TypeId]: { _M: (message: M) => message },
    name,
    messages,
    requestTags: new Set(messages.filter(isRequestSchema).map((message) => message._tag)),
    jobs: makeJobs(name, schema)
  }
  return impl
}
