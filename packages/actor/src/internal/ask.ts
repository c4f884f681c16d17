/**
 * Asking: an ask travels as an `AskEnvelope` with its deadline; the caller waits for its outcome,
 * and an ask that would close a cycle of actors waiting on each other fails at once.
 */
import { Mpsc } from "@weft/channel"
import type { Fiber, Tracer } from "effect"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Predicate from "effect/Predicate"
import type * as Actor from "../Actor.js"
import { AskCycle, type AskError } from "../ActorError.js"
import { AskWait, blockedBy, findCycle } from "./askWait.js"
import { type ActorCell, cellOf, currentActor, isActorRef, RUNNING } from "./cell.js"
import { AskEnvelope } from "./envelope.js"
import { offer, rejectEnvelope } from "./tell.js"
import { attributes, parentOf } from "./tracing.js"

/** Enqueues an ask; if the mailbox is full, waits for room only until the ask's deadline. */
const enqueueAsk = (cell: ActorCell, envelope: AskEnvelope): Effect.Effect<void, AskError> =>
  Effect.suspend(() => offer(cell, envelope, enqueueAskSlow))

const enqueueAskSlow = (cell: ActorCell, envelope: AskEnvelope): Effect.Effect<void, AskError> => {
  // Reserve-then-send is uninterruptible once the slot is ours, so after the race `enqueued`
  // says exactly whether the message is in the mailbox (where the loop will dead-letter it).
  const send = Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(restore(Mpsc.reserve(cell.tx)), (permit) =>
      Effect.matchEffect(permit.send(envelope), {
        onFailure: () => rejectEnvelope(cell, envelope),
        onSuccess: () => Effect.sync(() => envelope.enqueued = true)
      }))
  ).pipe(Effect.catchTag("ChannelClosed", () => rejectEnvelope(cell, envelope)))
  return Effect.raceFirst(send, envelope.awaitOutcome).pipe(
    Effect.tapError((error) =>
      Effect.sync(() => {
        // Timed out before the message got into the mailbox: nobody else will see it.
        if (!envelope.enqueued && Predicate.isTagged(error, "AskTimeout")) {
          cell.runtime.deadLetter(cell, envelope.message, envelope.interrupted ? "AskInterrupted" : "Expired")
        }
      })
    ),
    Effect.asVoid
  ) as Effect.Effect<void, AskError>
}

/**
 * Starts an ask from `fiber`: checks for a cycle, registers the deadline and the caller's wait,
 * and returns the wait. `span` is the ask's own span, when it runs inside a trace.
 */
const start = <Msg extends Actor.AnyRequest>(
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  self: Actor.ActorRef<Msg>,
  message: Msg,
  options: Actor.AskOptions | undefined,
  span: Tracer.AnySpan | undefined
): Effect.Effect<unknown, unknown> => {
  const cell = cellOf(self)
  const caller = blockedBy(fiber.getFiberRef(currentActor))
  if (caller !== undefined) {
    const path = findCycle(caller, cell)
    if (path !== undefined) return Effect.fail(new AskCycle({ actor: cell.name, tag: message._tag, path }))
  }
  const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
  const now = clock.unsafeCurrentTimeMillis()
  const timeout = options?.timeout === undefined
    ? cell.runtime.askTimeoutMs
    : Duration.toMillis(Duration.decode(options.timeout))
  const envelope = new AskEnvelope(message, cell, now, now + timeout)
  envelope.parent = span
  if (cell.status !== RUNNING) return rejectEnvelope(cell, envelope)
  cell.runtime.addTimer(envelope)
  const waiting = caller === undefined ? undefined : new AskWait(cell, caller.turn)
  const wait = Effect.onExit(
    Effect.zipRight(enqueueAsk(cell, envelope), envelope.awaitOutcome),
    (exit) =>
      Effect.sync(() => {
        if (waiting !== undefined) caller!.waits.delete(waiting)
        if (Exit.isInterrupted(exit) && !envelope.settled) {
          envelope.settled = true
          envelope.interrupted = true
          cell.runtime.removeDeadline(envelope)
        }
      })
  )
  if (waiting !== undefined) caller!.waits.add(waiting)
  return wait
}

/** @internal */
export const ask: {
  <Msg extends Actor.AnyRequest>(
    message: Msg,
    options?: Actor.AskOptions
  ): (self: Actor.ActorRef<Msg>) => Effect.Effect<Actor.Reply<Msg>, Actor.ReplyError<Msg> | AskError>
  <Msg extends Actor.AnyRequest>(
    self: Actor.ActorRef<Msg>,
    message: Msg,
    options?: Actor.AskOptions
  ): Effect.Effect<Actor.Reply<Msg>, Actor.ReplyError<Msg> | AskError>
} = dual(
  (args) => isActorRef(args[0]),
  <Msg extends Actor.AnyRequest>(
    self: Actor.ActorRef<Msg>,
    message: Msg,
    options?: Actor.AskOptions
  ): Effect.Effect<Actor.Reply<Msg>, Actor.ReplyError<Msg> | AskError> =>
    Effect.withFiberRuntime<unknown, unknown>((fiber) => {
      const parent = parentOf(fiber)
      if (parent === undefined) return start(fiber, self, message, options, undefined)
      // Inside a trace: the ask gets a span, the parent of the handler's. The ask starts inside
      // the span's own step, so the span ends with the wait whatever ends it.
      return Effect.useSpan(
        `Actor.ask ${message._tag}`,
        { parent, kind: "client", attributes: attributes(cellOf(self).name, message), captureStackTrace: false },
        (span) => start(fiber, self, message, options, span)
      )
    }) as Effect.Effect<Actor.Reply<Msg>, Actor.ReplyError<Msg> | AskError>
)
