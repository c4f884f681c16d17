import { Mpsc } from "@weft/channel"
import { Select } from "@weft/select"
import type { Scope } from "effect"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Actor from "../Actor.js"
import type { SpawnError } from "../ActorError.js"
import type { ActorSystem } from "../ActorSystem.js"
import type * as TestProbe from "../TestProbe.js"
import { ProbeTimeout, UnexpectedMessage } from "../TestProbe.js"
import { anyBehavior, withHandlers } from "./behavior.js"
import { spawn } from "./spawn.js"

const defaultTimeout = Duration.seconds(3)

/** @internal */
export const make = <M extends Actor.Message>(options?: {
  readonly name?: string | undefined
}): Effect.Effect<TestProbe.TestProbe<M>, SpawnError, ActorSystem | Scope.Scope> =>
  Effect.gen(function*() {
    const [tx, rx] = yield* Mpsc.unbounded<M>()
    const received: Array<M> = []
    const record = (message: Actor.Message, state: unknown) =>
      Effect.suspend(() => {
        received.push(message as M)
        return Effect.as(Effect.ignore(Mpsc.send(tx, message as M)), state)
      })
    const ref = yield* spawn(anyBehavior<M>(record), { name: options?.name, mailbox: { capacity: 1 << 16 } })
    const name = ref.name
    const probe: TestProbe.TestProbe<M> = {
      ref,
      expectMessage: (timeout) => {
        const duration = timeout === undefined ? defaultTimeout : Duration.decode(timeout)
        return Effect.flatMap(
          Effect.orDie(Select.select({ message: rx, timeout: Select.sleep(duration) }, { biased: true })),
          (next) =>
            next._tag === "message"
              ? Effect.succeed(next.value)
              : Effect.fail(new ProbeTimeout({ probe: name, waitedMs: Duration.toMillis(duration) }))
        )
      },
      expectNoMessage: (duration) =>
        Effect.flatMap(
          Effect.orDie(Select.select({ message: rx, quiet: Select.sleep(duration) }, { biased: true })),
          (next) =>
            next._tag === "message"
              ? Effect.fail(new UnexpectedMessage({ probe: name, received: next.value }))
              : Effect.void
        ),
      received: Effect.sync(() => received.slice())
    }
    return probe
  })

/** @internal */
export const failing = <M extends Actor.Message, S, R>(
  behavior: Actor.Behavior<M, S, R>,
  failWhen: (message: M) => boolean
): Actor.Behavior<M, S, R> =>
  withHandlers(behavior, (handler) => (message, state, context) =>
    failWhen(message as M)
      ? Effect.dieMessage(`injected failure for "${message._tag}"`)
      : handler(message, state, context))
