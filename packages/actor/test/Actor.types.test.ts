import { describe, expectTypeOf, it } from "@effect/vitest"
import type { ActorError, Terminated } from "@weft/actor"
import { Actor, ActorSystem, Reliable, Supervision } from "@weft/actor"
import { Context, Data, Effect, Schema } from "effect"
import type { Scope } from "effect"

class Add extends Data.TaggedClass("Add")<{ readonly n: number }> {}
class Get extends Schema.TaggedRequest<Get>()("Get", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}
class Divide extends Schema.TaggedRequest<Divide>()("Divide", {
  failure: Schema.String,
  success: Schema.Number,
  payload: { by: Schema.Number }
}) {}
class Other extends Data.TaggedClass("Other")<{}> {}

type Counter = Add | Get | Divide

class Db extends Context.Tag("Db")<Db, { readonly save: (n: number) => Effect.Effect<void> }>() {}

const counter = Actor.behavior<Counter>()({
  initialState: 0,
  handlers: {
    Add: (message, state) => Effect.succeed(state + message.n),
    Get: (_, state) => Effect.succeed(Actor.reply(state, state)),
    Divide: (message, state) =>
      message.by === 0 ? Effect.fail("division by zero") : Effect.succeed(Actor.reply(state / message.by, state))
  }
})

declare const ref: Actor.ActorRef<Counter>

describe("Actor types", () => {
  it("handlers see the message and the state types", () => {
    Actor.behavior<Counter>()({
      initialState: "text",
      handlers: {
        Add: (message, state) => {
          expectTypeOf(message).toEqualTypeOf<Add>()
          expectTypeOf(state).toEqualTypeOf<string>()
          return Effect.succeed(state)
        },
        Get: (_, state) => Effect.succeed(Actor.reply(state.length, state)),
        Divide: (_, state) => Effect.succeed(Actor.reply(1, state))
      }
    })
  })

  it("a missing handler is a compile error", () => {
    Actor.behavior<Counter>()({
      initialState: 0,
      // @ts-expect-error Divide has no handler
      handlers: {
        Add: (message, state) => Effect.succeed(state + message.n),
        Get: (_, state) => Effect.succeed(Actor.reply(state, state))
      }
    })
  })

  it("a handler must return the state type", () => {
    Actor.behavior<Add>()({
      initialState: 0,
      handlers: {
        // @ts-expect-error the state is a number
        Add: () => Effect.succeed("not a number")
      }
    })
  })

  it("a request handler must reply with the request's success type", () => {
    Actor.behavior<Get>()({
      initialState: 0,
      handlers: {
        // @ts-expect-error Get replies with a number
        Get: (_, state) => Effect.succeed(Actor.reply("text", state))
      }
    })
  })

  it("a request handler may only fail with the request's failure type", () => {
    Actor.behavior<Get>()({
      initialState: 0,
      handlers: {
        // @ts-expect-error Get's failure is Never
        Get: () => Effect.fail("nope")
      }
    })
  })

  it("a tell-only handler cannot fail", () => {
    Actor.behavior<Add>()({
      initialState: 0,
      handlers: {
        // @ts-expect-error a tell-only handler's error channel is never
        Add: () => Effect.fail("nope")
      }
    })
  })

  it("tell accepts only the protocol's messages", () => {
    expectTypeOf(Actor.tell(ref, new Add({ n: 1 }))).toEqualTypeOf<Effect.Effect<void, ActorError.TellError>>()
    // @ts-expect-error Other is not in the protocol
    Actor.tell(ref, new Other())
    // @ts-expect-error Other is not in the protocol (data-last)
    ref.pipe(Actor.tell(new Other()))
  })

  it("tellAll accepts only batches of the protocol's messages", () => {
    expectTypeOf(Actor.tellAll(ref, [new Add({ n: 1 }), new Add({ n: 2 })])).toEqualTypeOf<
      Effect.Effect<void, ActorError.TellError>
    >()
    // @ts-expect-error Other is not in the protocol
    Actor.tellAll(ref, [new Add({ n: 1 }), new Other()])
    // @ts-expect-error Other is not in the protocol (data-last)
    ref.pipe(Actor.tellAll([new Other()]))
  })

  it("ask returns the reply type and the reply's failure plus AskError", () => {
    expectTypeOf(Actor.ask(ref, new Get())).toEqualTypeOf<Effect.Effect<number, ActorError.AskError>>()
    expectTypeOf(Actor.ask(ref, new Divide({ by: 2 }))).toEqualTypeOf<
      Effect.Effect<number, string | ActorError.AskError>
    >()
    expectTypeOf(ref.pipe(Actor.ask(new Get()))).toEqualTypeOf<Effect.Effect<number, ActorError.AskError>>()
  })

  it("ask needs a request: a tell-only message has no reply", () => {
    // @ts-expect-error Add is tell-only
    Actor.ask(ref, new Add({ n: 1 }))
    // @ts-expect-error Add is tell-only (data-last)
    ref.pipe(Actor.ask(new Add({ n: 1 })))
    // The parameter's type then says what is wrong, instead of a missing symbol deep in Request.
    expectTypeOf<Actor.Askable<Add>>().toEqualTypeOf<
      "ask needs a Schema.TaggedRequest (a message with a reply): use tell"
    >()
    expectTypeOf<Actor.Askable<Get>>().toEqualTypeOf<Get>()
  })

  it("tell and tellAll refuse a request: its reply (or failure) would have nowhere to go", () => {
    // @ts-expect-error Get is a request: ask it
    Actor.tell(ref, new Get())
    // @ts-expect-error Get is a request: ask it (data-last)
    ref.pipe(Actor.tell(new Get()))
    // @ts-expect-error a message that may be a request
    Actor.tell(ref, null as unknown as Counter)
    // @ts-expect-error Divide is a request
    Actor.tellAll(ref, [new Add({ n: 1 }), new Divide({ by: 2 })])
    // @ts-expect-error Get is a request (data-last)
    ref.pipe(Actor.tellAll([new Get()]))
    expectTypeOf<Actor.Tellable<Get>>().toEqualTypeOf<
      "tell takes a message without a reply: a Schema.TaggedRequest needs ask"
    >()
    expectTypeOf<Actor.Tellable<Add>>().toEqualTypeOf<Add>()
  })

  it("a handler for a tag outside the protocol is a compile error", () => {
    Actor.behavior<Add>()({
      initialState: 0,
      handlers: {
        Add: (message, state) => Effect.succeed(state + message.n),
        // @ts-expect-error Other is not a tag of the protocol
        Other: (_: Other, state: number) => Effect.succeed(state)
      }
    })
    expectTypeOf<Actor.NoExtraHandlers<{ Add: 1; Other: 2 }, Add>>().toEqualTypeOf<
      { readonly Other: "\"Other\" is not a tag of the protocol" }
    >()
  })

  it("a ref to a larger protocol is usable where a smaller one is expected, not the reverse", () => {
    const narrow: Actor.ActorRef<Get> = ref
    expectTypeOf(narrow).toEqualTypeOf<Actor.ActorRef<Get>>()
    const onlyGet = null as unknown as Actor.ActorRef<Get>
    // @ts-expect-error an Add cannot go to an actor that only understands Get
    const wide: Actor.ActorRef<Counter> = onlyGet
    expectTypeOf(wide).toEqualTypeOf<Actor.ActorRef<Counter>>()
  })

  it("handler requirements flow into spawn's requirements", () => {
    const saving = Actor.behavior<Add>()({
      initialState: 0,
      handlers: {
        Add: (message, state) => Effect.as(Effect.flatMap(Db, (db) => db.save(message.n)), state + message.n)
      }
    })
    expectTypeOf(saving).toEqualTypeOf<Actor.Behavior<Add, number, Db>>()
    expectTypeOf(Actor.spawn(saving)).toEqualTypeOf<
      Effect.Effect<Actor.ActorRef<Add>, ActorError.SpawnError, Db | ActorSystem.ActorSystem | Scope.Scope>
    >()
    expectTypeOf(Actor.spawn(counter)).toEqualTypeOf<
      Effect.Effect<Actor.ActorRef<Counter>, ActorError.SpawnError, ActorSystem.ActorSystem | Scope.Scope>
    >()
    const program = Actor.spawn(saving).pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))
    // @ts-expect-error Db is not provided
    Effect.runPromise(program)
  })

  it("hook requirements flow too, and onStart may use the incarnation's Scope", () => {
    const hooked = Actor.behavior<Add>()({
      initialState: 0,
      handlers: { Add: (message, state) => Effect.succeed(state + message.n) },
      onStart: (state) => Effect.as(Effect.addFinalizer(() => Effect.flatMap(Db, (db) => db.save(0))), state)
    })
    expectTypeOf(Actor.spawn(hooked)).toEqualTypeOf<
      Effect.Effect<Actor.ActorRef<Add>, ActorError.SpawnError, Db | ActorSystem.ActorSystem | Scope.Scope>
    >()
  })

  it("stop, watch and awaitTermination accept any ref", () => {
    expectTypeOf(Actor.stop(ref)).toEqualTypeOf<Effect.Effect<Terminated.Terminated>>()
    expectTypeOf(Actor.watch(ref, ref)).toEqualTypeOf<Effect.Effect<void>>()
  })

  it("a supervisor's children keep their protocols and requirements", () => {
    const saving = Actor.behavior<Add>()({
      initialState: 0,
      handlers: {
        Add: (message, state) => Effect.as(Effect.flatMap(Db, (db) => db.save(message.n)), state + message.n)
      }
    })
    const started = Supervision.start({
      strategy: "one-for-all",
      children: { counter: Supervision.child(counter), saver: Supervision.child(saving) }
    })
    expectTypeOf(started).toEqualTypeOf<
      Effect.Effect<
        Supervision.Supervisor<{
          readonly counter: Supervision.ChildSpec<Counter, never>
          readonly saver: Supervision.ChildSpec<Add, Db>
        }>,
        ActorError.SpawnError,
        Db | ActorSystem.ActorSystem | Scope.Scope
      >
    >()
    Effect.map(started, (group) => {
      expectTypeOf(group.children.counter).toEqualTypeOf<Actor.ActorRef<Counter>>()
      expectTypeOf(group.children.saver).toEqualTypeOf<Actor.ActorRef<Add>>()
      // @ts-expect-error the saver only understands Add
      Actor.ask(group.children.saver, new Get())
    })
  })

  it("a nested group's handles and requirements flow to the top, and a group's ref takes no messages", () => {
    const saving = Actor.behavior<Add>()({
      initialState: 0,
      handlers: {
        Add: (message, state) => Effect.as(Effect.flatMap(Db, (db) => db.save(message.n)), state + message.n)
      }
    })
    const started = Supervision.start({
      strategy: "one-for-one",
      children: {
        inner: Supervision.group({ strategy: "one-for-all", children: { saver: Supervision.child(saving) } }),
        counter: Supervision.child(counter)
      }
    })
    expectTypeOf<Effect.Effect.Context<typeof started>>().toEqualTypeOf<
      Db | ActorSystem.ActorSystem | Scope.Scope
    >()
    Effect.map(started, (group) => {
      expectTypeOf(group.ref).toEqualTypeOf<Actor.ActorRef<never>>()
      expectTypeOf(group.children.inner.ref).toEqualTypeOf<Actor.ActorRef<never>>()
      expectTypeOf(group.children.inner.children.saver).toEqualTypeOf<Actor.ActorRef<Add>>()
      expectTypeOf(group.children.counter).toEqualTypeOf<Actor.ActorRef<Counter>>()
      expectTypeOf(Actor.stop(group.ref)).toEqualTypeOf<Effect.Effect<Terminated.Terminated>>()
      // @ts-expect-error a group accepts no messages
      Actor.tell(group.ref, new Add({ n: 1 }))
    })
    // @ts-expect-error a child spec is an actor or a group, nothing else
    Supervision.start({ strategy: "one-for-one", children: { bad: counter } })
  })

  it("a reliable handler must settle: returning the bare state does not compile", () => {
    class Job extends Reliable.TaggedClass("Job")<{ readonly id: number }> {}
    Actor.behavior<Job>()({
      initialState: 0,
      handlers: {
        Job: (job, state, { delivery }) => {
          expectTypeOf(job.id).toEqualTypeOf<number>()
          expectTypeOf(delivery).toEqualTypeOf<Reliable.Delivery>()
          return Effect.succeed(job.id > 0 ? Reliable.ack(state + 1) : Reliable.nack(state, "zero"))
        }
      }
    })
    Actor.behavior<Job>()({
      initialState: 0,
      handlers: {
        // @ts-expect-error a reliable handler returns Settled, not the state
        Job: (_, state) => Effect.succeed(state + 1)
      }
    })
  })
})
