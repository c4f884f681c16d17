import { Actor } from "@weft/actor"
import type { ActorError, ActorSystem } from "@weft/actor"
import type { Scope } from "effect"
import { Data, Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import type { BlockingPool } from "../src/index.js"
import { ThreadBytes, WorkerActor } from "../src/index.js"

class Add extends Schema.TaggedClass<Add>()("Add", { n: Schema.Number, data: ThreadBytes.Transfer }) {}
class Get extends Schema.TaggedRequest<Get>()("Get", { failure: Schema.Never, success: Schema.Number, payload: {} }) {}

const Counter = WorkerActor.protocol("Counter", [Add, Get])

const counter = Actor.behavior<Add | Get>()({
  initialState: 0,
  handlers: {
    Add: (message, state) => Effect.succeed(state + message.n),
    Get: (_, state) => Effect.succeed(Actor.reply(state, state))
  }
})

describe("WorkerActor types", () => {
  it("a protocol is the union of its message classes; spawn gives an ordinary ActorRef", () => {
    expectTypeOf(Counter).toEqualTypeOf<WorkerActor.Protocol<Add | Get>>()
    expectTypeOf(WorkerActor.spawn(Counter, { entry: "./counter.worker.js" })).toEqualTypeOf<
      Effect.Effect<
        Actor.ActorRef<Add | Get>,
        ActorError.SpawnError | BlockingPool.WorkerCrashed | BlockingPool.InvalidPoolOptions,
        ActorSystem.ActorSystem | Scope.Scope
      >
    >()
  })

  it("a protocol that cannot cross threads is a compile error", () => {
    class Plain extends Data.TaggedClass("Plain")<{ readonly n: number }> {}
    const Callback = Schema.declare((u): u is () => void => typeof u === "function")
    class WithCallback extends Schema.TaggedClass<WithCallback>()("WithCallback", { done: Callback }) {}
    class ReturnsCallback extends Schema.TaggedRequest<ReturnsCallback>()("ReturnsCallback", {
      failure: Schema.Never,
      success: Callback,
      payload: {}
    }) {}
    // @ts-expect-error a Data.TaggedClass has no schema: it cannot cross a thread boundary
    WorkerActor.protocol("Plain", [Plain])
    // @ts-expect-error "WithCallback" cannot cross threads: its fields do not encode to a cloneable value
    WorkerActor.protocol("WithCallback", [WithCallback])
    // @ts-expect-error "ReturnsCallback" cannot cross threads: its reply or failure does not encode to a cloneable value
    WorkerActor.protocol("ReturnsCallback", [ReturnsCallback])
  })

  it("the hosted behaviour must speak the protocol and need no services", () => {
    expectTypeOf(WorkerActor.host(Counter, counter)).toEqualTypeOf<WorkerActor.Hosted<Add | Get>>()
    const addsOnly = Actor.behavior<Add>()({
      initialState: 0,
      handlers: { Add: (message, state) => Effect.succeed(state + message.n) }
    })
    // @ts-expect-error the behaviour does not handle Get
    WorkerActor.host(Counter, addsOnly)
    class Config extends Effect.Tag("Config")<Config, { readonly step: number }>() {}
    const needsConfig = Actor.behavior<Add | Get>()({
      initialState: 0,
      handlers: {
        Add: (_, state) => Effect.map(Config, (config) => state + config.step),
        Get: (_, state) => Effect.succeed(Actor.reply(state, state))
      }
    })
    // @ts-expect-error a behaviour that needs a service cannot run in the thread's own runtime
    WorkerActor.host(Counter, needsConfig)
  })
})
