/**
 * The jobs between a worker actor's stand-in on the calling thread and its host in the worker
 * thread. Each protocol gets its own job classes, tagged with the protocol's name, so one worker
 * module can host several protocols and the runner tells their jobs apart.
 */
import type { Actor } from "@weft/actor"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * A message class of a worker protocol, as the implementation sees it.
 *
 * @internal
 */
export interface AnyMessageSchema extends Schema.Schema.AnyNoContext {
  readonly _tag: string
}

/** Whether a message schema is a request (it carries the schemas of its reply). @internal */
export const isRequestSchema = (schema: AnyMessageSchema): boolean =>
  Predicate.hasProperty(schema, "success") && Predicate.hasProperty(schema, "failure")

/** A job of any protocol. @internal */
export type Job = Schema.TaggedRequest.All

/** @internal */
export interface Jobs {
  readonly Start: new(props: void) => Job
  readonly Tell: new(props: { readonly message: Actor.Message }, options?: Schema.MakeOptions) => Job
  readonly Ask: new(props: { readonly message: Actor.Message }, options?: Schema.MakeOptions) => Job
  readonly Restart: new(props: void) => Job
  readonly Stop: new(props: void) => Job
  readonly schema: Schema.Schema<Job, unknown>
}

/**
 * - `Start`: the incarnation has started (its `onStart` ran); starts one if the thread has none.
 * - `Tell`: handle a tell; resolves once the handler has run.
 * - `Ask`: handle a request; resolves with its reply or typed failure, encoded by the request's
 *   own schemas (`Schema.serializeExit`).
 * - `Restart`: the supervisor restarts the actor after the crash the last job reported.
 * - `Stop`: a graceful stop (`onStop` runs).
 *
 * A crash (a defect in a handler or hook) fails the job that carried it as a defect.
 *
 * @internal
 */
export const makeJobs = (name: string, messages: Schema.Schema<Actor.Message, unknown>): Jobs => {
  class Start extends Schema.TaggedRequest<Start>()(`${name}/Start`, {
    failure: Schema.Never,
    success: Schema.Void,
    payload: {}
  }) {}
  class Tell extends Schema.TaggedRequest<Tell>()(`${name}/Tell`, {
    failure: Schema.Never,
    success: Schema.Void,
    payload: { message: messages }
  }) {}
  class Ask extends Schema.TaggedRequest<Ask>()(`${name}/Ask`, {
    failure: Schema.Never,
    success: Schema.Unknown,
    payload: { message: messages }
  }) {}
  class Restart extends Schema.TaggedRequest<Restart>()(`${name}/Restart`, {
    failure: Schema.Never,
    success: Schema.Void,
    payload: {}
  }) {}
  class Stop extends Schema.TaggedRequest<Stop>()(`${name}/Stop`, {
    failure: Schema.Never,
    success: Schema.Void,
    payload: {}
  }) {}
  // The classes' own types are local to this function; callers see them as jobs.
  const schema = Schema.Union(Start, Tell, Ask, Restart, Stop) as unknown as Schema.Schema<Job, unknown>
  return { Start, Tell, Ask, Restart, Stop, schema }
}
