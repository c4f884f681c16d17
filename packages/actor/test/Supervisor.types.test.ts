import { describe, expectTypeOf, it } from "@effect/vitest"
import type { ActorError, Terminated } from "@weft/actor"
import { Actor, Supervisor } from "@weft/actor"
import { Context, Data, Effect } from "effect"

class Add extends Data.TaggedClass("Add")<{ readonly n: number }> {}
class Other extends Data.TaggedClass("Other")<{}> {}

class Db extends Context.Tag("Db")<Db, { readonly save: (n: number) => Effect.Effect<void> }>() {}

const counter = Actor.behavior<Add>()({
  initialState: 0,
  handlers: { Add: (message, state) => Effect.succeed(state + message.n) }
})

const saving = Actor.behavior<Add>()({
  initialState: 0,
  handlers: {
    Add: (message, state) => Effect.as(Effect.flatMap(Db, (db) => db.save(message.n)), state + message.n)
  }
})

declare const group: Supervisor.Supervisor<{ readonly a: Supervisor.ChildSpec<Add, never> }>

describe("Supervisor types", () => {
  it("a child spec's restart type is one of the three", () => {
    expectTypeOf<Supervisor.RestartType>().toEqualTypeOf<"permanent" | "transient" | "temporary">()
    Supervisor.child(counter, { restart: "permanent" })
    Supervisor.child(counter, { restart: "transient", name: "t" })
    Supervisor.child(counter, { restart: "temporary" })
    // @ts-expect-error not a restart type
    Supervisor.child(counter, { restart: "sometimes" })
    // @ts-expect-error supervision belongs to the group
    Supervisor.child(counter, { supervision: { strategy: "resume" } })
  })

  it("startChild returns the typed handle, fails typed and needs what the child needs", () => {
    const actor = Supervisor.startChild(group, Supervisor.child(saving))
    expectTypeOf(actor).toEqualTypeOf<Effect.Effect<Actor.ActorRef<Add>, ActorError.StartChildError, Db>>()
    expectTypeOf<ActorError.StartChildError>().toEqualTypeOf<
      ActorError.ChildExists | ActorError.GroupStopping | ActorError.NameTaken | ActorError.InvalidMailboxCapacity
    >()
    const nested = Supervisor.startChild(
      group,
      Supervisor.group({ strategy: "one-for-all", children: { saver: Supervisor.child(saving) } })
    )
    Effect.map(nested, (inner) => {
      expectTypeOf(inner.children.saver).toEqualTypeOf<Actor.ActorRef<Add>>()
      expectTypeOf(inner.ref).toEqualTypeOf<Actor.ActorRef<never>>()
    })
    expectTypeOf<Effect.Effect.Context<typeof nested>>().toEqualTypeOf<Db>()
    // Data-last.
    expectTypeOf(group.pipe(Supervisor.startChild(Supervisor.child(counter)))).toEqualTypeOf<
      Effect.Effect<Actor.ActorRef<Add>, ActorError.StartChildError>
    >()
    Effect.map(Supervisor.startChild(group, Supervisor.child(counter)), (ref) => {
      // @ts-expect-error the child only understands Add
      Actor.tell(ref, new Other())
    })
    // @ts-expect-error a behaviour is not a child spec
    Supervisor.startChild(group, counter)
  })

  it("stopChild takes a name or a ref and fails only with ChildNotFound", () => {
    expectTypeOf(Supervisor.stopChild(group, "a")).toEqualTypeOf<
      Effect.Effect<Terminated.Terminated, ActorError.ChildNotFound>
    >()
    expectTypeOf(Supervisor.stopChild(group, group.children.a, { mode: "drain", timeout: "1 second" }))
      .toEqualTypeOf<Effect.Effect<Terminated.Terminated, ActorError.ChildNotFound>>()
    expectTypeOf(group.pipe(Supervisor.stopChild("a", { mode: "kill" }))).toEqualTypeOf<
      Effect.Effect<Terminated.Terminated, ActorError.ChildNotFound>
    >()
    // @ts-expect-error a child is named by a string or a ref
    Supervisor.stopChild(group, 1)
    // @ts-expect-error not a stop mode
    Supervisor.stopChild(group, "a", { mode: "pause" })
  })
})
