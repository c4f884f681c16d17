import { describe, expectTypeOf, it } from "@effect/vitest"
import type { ActorError, Terminated } from "@weft/actor"
import { Actor, Supervision } from "@weft/actor"
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

declare const group: Supervision.Supervisor<{ readonly a: Supervision.ChildSpec<Add, never> }>

describe("Supervisor types", () => {
  it("a child spec's restart type is one of the three", () => {
    expectTypeOf<Supervision.RestartType>().toEqualTypeOf<"permanent" | "transient" | "temporary">()
    Supervision.child(counter, { restart: "permanent" })
    Supervision.child(counter, { restart: "transient", name: "t" })
    Supervision.child(counter, { restart: "temporary" })
    // @ts-expect-error not a restart type
    Supervision.child(counter, { restart: "sometimes" })
    // @ts-expect-error supervision belongs to the group
    Supervision.child(counter, { supervision: { strategy: "resume" } })
  })

  it("startChild returns the typed handle, fails typed and needs what the child needs", () => {
    const actor = Supervision.startChild(group, Supervision.child(saving))
    expectTypeOf(actor).toEqualTypeOf<Effect.Effect<Actor.ActorRef<Add>, ActorError.StartChildError, Db>>()
    expectTypeOf<ActorError.StartChildError>().toEqualTypeOf<
      ActorError.ChildExists | ActorError.GroupStopping | ActorError.NameTaken | ActorError.InvalidMailboxCapacity
    >()
    const nested = Supervision.startChild(
      group,
      Supervision.group({ strategy: "one-for-all", children: { saver: Supervision.child(saving) } })
    )
    Effect.map(nested, (inner) => {
      expectTypeOf(inner.children.saver).toEqualTypeOf<Actor.ActorRef<Add>>()
      expectTypeOf(inner.ref).toEqualTypeOf<Actor.ActorRef<never>>()
    })
    expectTypeOf<Effect.Effect.Context<typeof nested>>().toEqualTypeOf<Db>()
    // Data-last.
    expectTypeOf(group.pipe(Supervision.startChild(Supervision.child(counter)))).toEqualTypeOf<
      Effect.Effect<Actor.ActorRef<Add>, ActorError.StartChildError>
    >()
    Effect.map(Supervision.startChild(group, Supervision.child(counter)), (ref) => {
      // @ts-expect-error the child only understands Add
      Actor.tell(ref, new Other())
    })
    // @ts-expect-error a behaviour is not a child spec
    Supervision.startChild(group, counter)
  })

  it("stopChild takes a name or a ref and fails only with ChildNotFound", () => {
    expectTypeOf(Supervision.stopChild(group, "a")).toEqualTypeOf<
      Effect.Effect<Terminated.Terminated, ActorError.ChildNotFound>
    >()
    expectTypeOf(Supervision.stopChild(group, group.children.a, { mode: "drain", timeout: "1 second" }))
      .toEqualTypeOf<Effect.Effect<Terminated.Terminated, ActorError.ChildNotFound>>()
    expectTypeOf(group.pipe(Supervision.stopChild("a", { mode: "kill" }))).toEqualTypeOf<
      Effect.Effect<Terminated.Terminated, ActorError.ChildNotFound>
    >()
    // @ts-expect-error a child is named by a string or a ref
    Supervision.stopChild(group, 1)
    // @ts-expect-error not a stop mode
    Supervision.stopChild(group, "a", { mode: "pause" })
  })
})
