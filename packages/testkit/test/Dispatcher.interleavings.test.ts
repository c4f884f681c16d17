import { describe, it } from "@effect/vitest"
import { Actor, ActorSystem } from "@weft/actor"
import { Dispatcher } from "@weft/dispatch"
import { Data, Effect, Fiber } from "effect"
import { Interleavings, Strategy } from "../src/index.js"
import { runs } from "./budget.js"

class Event extends Data.TaggedClass("Event")<{ readonly id: number }> {}

const recording = (seen: Array<number>) =>
  Actor.behavior<Event>()({
    initialState: 0,
    handlers: { Event: (message, count) => Effect.sync(() => (seen.push(message.id), count + 1)) }
  })

const messages = 6

/**
 * Round-robin dispatch of six messages while, concurrently, a plugin is added and another removed
 * (its queued messages handed back, or drained). Once every plugin has drained, each message was
 * handled exactly once or is a dead letter: none lost, none handled twice.
 */
const hotAddRemove = (mode: "handBack" | "drain") =>
  Effect.gen(function*() {
    const seen: Array<number> = []
    const [first, second, third] = yield* Effect.all(
      [0, 1, 2].map(() => Actor.spawn(recording(seen), { mailbox: { capacity: 16 } }))
    )
    const dispatcher = yield* Dispatcher.make<Event>(Dispatcher.roundRobin)
    yield* Dispatcher.add(dispatcher, first!)
    yield* Dispatcher.add(dispatcher, second!)
    const dispatching = yield* Effect.fork(
      Effect.forEach(Array.from({ length: messages }, (_, id) => id), (id) =>
        Dispatcher.dispatch(dispatcher, new Event({ id })), {
        discard: true
      })
    )
    const adding = yield* Effect.fork(Dispatcher.add(dispatcher, third!))
    const removing = yield* Effect.fork(Dispatcher.remove(dispatcher, first!, { mode }))
    yield* Fiber.joinAll([dispatching, adding, removing])
    yield* Effect.forEach([first!, second!, third!], (ref) =>
      Actor.stop(ref, { mode: "drain" }), { discard: true })
    const deadLetters = yield* ActorSystem.deadLetterCount
    const duplicated = seen.filter((id, i) =>
      seen.indexOf(id) !== i
    )
    if (duplicated.length > 0 || seen.length + deadLetters !== messages) {
      return yield* Effect.dieMessage(`handled [${seen}], ${deadLetters} dead letter(s)`)
    }
  }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

describe("dispatcher: plugins added and removed while dispatching", () => {
  for (const mode of ["handBack", "drain"] as const) {
    it.effect(`no message lost or handled twice (remove with ${mode})`, () =>
      Interleavings.check(hotAddRemove(mode), {
        runs: runs(40),
        strategy: Strategy.random({ preemption: 0 })
      }))
  }
})
