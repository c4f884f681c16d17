/**
 * The actor loop: an actor's life as a run of incarnations, each reading its two lanes (system
 * lane first) and handling one message at a time, with supervision deciding what a crash means.
 *
 * The loop is one `Effect.gen`; its steps are generator methods it delegates to with `yield*`,
 * which costs no fiber step of its own. Messages are handled outside the generator (`drain`):
 * synchronously while handlers settle at once, and an effectful handler's continuation drains on,
 * so a run of messages comes back to the generator only for what needs a step of its own.
 */
import { type ChannelError, Mpsc, Readiness } from "@weft/channel"
import { Select } from "@weft/select"
import type { Clock } from "effect"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import type { YieldWrap } from "effect/Utils"
import type * as Actor from "../Actor.js"
import { HandlerCrashed } from "../ActorError.js"
import * as ActorMetrics from "../ActorMetrics.js"
import { TerminationReason } from "../Terminated.js"
import { type AnyBehavior, RepliedImpl, runHandler } from "./behavior.js"
import { type ActorCell, RESTART, RESUME, STOPPED, type SystemMessage, TERMINATE } from "./cell.js"
import { supervise, type Supervision, unlessStopped } from "./decision.js"
import {
  type AskEnvelope,
  type Envelope,
  isAskEnvelope,
  isReliableEnvelope,
  newDeliveryId,
  ReliableEnvelope
} from "./envelope.js"
import { flushProcessed, reopen, restartIncarnation, terminateIncarnation } from "./incarnation.js"
import { crashedSettlement, redeliver, reliableContext } from "./redelivery.js"
import { isReliable, SettledImpl } from "./reliable.js"
import type { SystemLane } from "./systemLane.js"
import { handleInSpan, isTracedMessage } from "./tracing.js"

/** The lanes are read system lane first. @internal */
export const biased: Select.Options = { biased: true }

const METRICS_EVERY = 256

const crashReason = (cause: Cause.Cause<unknown>): TerminationReason => TerminationReason.Failed({ cause })

/** A handler's failure, as `finishEffectful` receives it from `effectfulFailed`. */
class HandlerFailed {
  constructor(readonly cause: Cause.Cause<unknown>) {}
}

/** A step of the loop, run inside its `Effect.gen` by `yield*`. */
type Step<A> = Generator<YieldWrap<Effect.Effect<unknown>>, A, unknown>

type UserLane = Readiness.Readiness<Envelope, ChannelError.ChannelClosed>

type Lanes = {
  readonly system: SystemLane<SystemMessage>
  readonly user: Mpsc.Receiver<Envelope>
}

/** How an incarnation ended, when it did not end the actor (that is a `TerminationReason`). */
const GRACEFUL_STOP = 0
const RESTARTED = 1
const CRASHED = 2
type Ended = typeof GRACEFUL_STOP | typeof RESTARTED | typeof CRASHED | TerminationReason

/** A message handled to the end without a step of its own (see `handleNow`). */
const HANDLED = 0

/** What `takeNow` found. */
const TAKEN = 0
const EMPTY = 1
const CLOSED = 2
/** Where `drain` stopped, besides `EMPTY` and `CLOSED`: `control` holds a system message. */
const CONTROL = 3
/** Where `drain` stopped: the last message needs a step of the loop to finish (`pending`). */
const PENDING = 4
type Drained = typeof EMPTY | typeof CLOSED | typeof CONTROL | typeof PENDING

/** Each `Drained` as the value of an effect, built once. */
const drainedExits: ReadonlyArray<Exit.Exit<Drained>> = [
  Exit.succeed(EMPTY),
  Exit.succeed(EMPTY),
  Exit.succeed(CLOSED),
  Exit.succeed(CONTROL),
  Exit.succeed(PENDING)
]

/**
 * Runs an actor until it terminates; the reason it ends with is what `finalize` reports.
 *
 * @internal
 */
export const runActor = (
  cell: ActorCell,
  behavior: AnyBehavior,
  supervision: Supervision
): Effect.Effect<TerminationReason> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const driver = yield* Schedule.driver(supervision.restarts)
    cell.busySince = clock.unsafeCurrentTimeMillis()
    return yield* new ActorLoop(cell, behavior, supervision, clock, driver).run()
  })

class ActorLoop {
  state: unknown
  /** Set when a crash was not absorbed by `resume`; `decision` then says what follows. */
  crash: Cause.Cause<unknown> | undefined = undefined
  decision = RESUME
  /** What the lanes gave last: a system message, or else a user envelope. */
  control: SystemMessage | undefined = undefined
  envelope: Envelope | undefined = undefined
  /** The current incarnation's user lane. */
  user: UserLane | undefined = undefined
  /** The message an effectful handler runs for, and when it was called (see `runEffectful`). */
  message: Actor.Message | undefined = undefined
  ask: AskEnvelope | undefined = undefined
  reliable: ReliableEnvelope | undefined = undefined
  startedAt = BigInt(0)
  /** The step that finishes the last message, when `drain` stopped at `PENDING`. */
  pending: (() => Step<boolean>) | undefined = undefined
  readonly context: Actor.HandlerContext<never>
  readonly flushMetrics: Effect.Effect<void>

  constructor(
    readonly cell: ActorCell,
    readonly behavior: AnyBehavior,
    readonly supervision: Supervision,
    readonly clock: Clock.Clock,
    readonly driver: Schedule.ScheduleDriver<unknown, Cause.Cause<unknown>>
  ) {
    this.state = behavior.initialState
    this.context = { self: cell.ref }
    this.flushMetrics = Effect.suspend(() => {
      flushProcessed(cell, clock.unsafeCurrentTimeMillis())
      return Effect.map(Mpsc.size(cell.rx), (size) => ActorMetrics.mailboxDepth.unsafeUpdate(size, cell.labels))
    })
  }

  /** Once round per life: only a permanent group child, restarted after a stop, comes round again. */
  *run(): Step<TerminationReason> {
    while (true) {
      const ended = yield* this.incarnations()
      if (ended !== undefined) return ended
      const stopped = yield* this.stopGracefully()
      if (stopped !== undefined) return stopped
    }
  }

  /** Incarnation after incarnation, until one ends the actor or stops it gracefully (`undefined`). */
  *incarnations(): Step<TerminationReason | undefined> {
    while (true) {
      const ended = yield* this.incarnation()
      if (ended === GRACEFUL_STOP) return undefined
      if (ended === RESTARTED) continue
      if (ended !== CRASHED) return ended
      const crash = this.crash!
      if (this.decision === TERMINATE) return yield* terminateIncarnation(this.cell, crashReason(crash))
      if (this.decision === STOPPED) return yield* terminateIncarnation(this.cell, TerminationReason.Stopped())
      yield* restartIncarnation(this.cell, this.behavior, crash, this.state, this.context)
    }
  }

  /** One incarnation: a fresh scope and state, `onStart`, then messages until one ends it. */
  *incarnation(): Step<Ended> {
    const cell = this.cell
    // Read per incarnation: a restart after a stop reopens the user lane.
    const user = cell.rx[Readiness.TypeId]
    this.user = user
    const lanes = { system: cell.system, user: cell.rx }
    const scope = yield* Scope.make()
    cell.scope = scope
    // Handlers and hooks see the incarnation's scope: children and resources they create end
    // with the incarnation.
    // A span the spawner was in is not theirs: a message's span comes with the message.
    yield* FiberRef.update(
      FiberRef.currentContext,
      (context) => Context.add(Context.omit(Tracer.ParentSpan)(context), Scope.Scope, scope)
    )
    this.state = this.behavior.initialState
    this.crash = undefined
    this.decision = RESUME
    if (this.behavior.onStart !== undefined) {
      const started = yield* Effect.exit(this.behavior.onStart(this.state, this.context))
      cell.turn++
      if (Exit.isFailure(started)) {
        // A crash in `onStart` leaves no state to resume with: it always ends the incarnation.
        this.crash = started.cause
        this.decision = yield* supervise(this.cell, this.supervision, this.driver, started.cause, true)
        return CRASHED
      }
      this.state = started.value
    }
    // System lane first; when both lanes are empty, select over both (system first again).
    let taken: typeof TAKEN | typeof EMPTY | typeof CLOSED = this.takeNow(user)
    while (true) {
      if (taken === CLOSED) return GRACEFUL_STOP
      if (taken === EMPTY && !(yield* this.awaitMessage(user, lanes))) return GRACEFUL_STOP
      const drained = this.drain()
      // One failure handler per run of effectful handlers, not one per message (`effectfulFailed`).
      const next = typeof drained === "number" ? drained : yield* Effect.catchAllCause(drained, this.effectfulFailed)
      if (next === CONTROL) {
        const ended = yield* this.handleControl(this.control!)
        if (ended !== undefined) return ended
      } else if (next === PENDING) {
        const pending = this.pending!
        this.pending = undefined
        if (yield* pending()) return CRASHED
      } else {
        taken = next
        continue
      }
      taken = this.takeNow(user)
    }
  }

  /**
   * Handles what `takeNow` or `awaitMessage` left in `control` or `envelope`, then every user
   * message the lanes hold after it, synchronously while handlers settle at once. Stops at a
   * system message (`CONTROL`), at empty lanes (`EMPTY`), at a closed user lane (`CLOSED`) or at a
   * message that needs a step of the loop (`PENDING`) — or returns the effect of an effectful
   * handler, whose continuation (`afterEffectful`) drains on and ends where this would have.
   */
  drain(): Drained | Effect.Effect<Drained, unknown> {
    const user = this.user!
    while (true) {
      if (this.control !== undefined) return CONTROL
      const handled = this.handleNow(this.envelope!)
      if (handled !== HANDLED) return handled
      const taken = this.takeNow(user)
      if (taken !== TAKEN) return taken
    }
  }

  /**
   * Takes what the lanes hold now, system lane first, into `control` or `envelope`. `CLOSED`: the
   * user lane is closed and empty — a drain has finished.
   */
  takeNow(user: UserLane): typeof TAKEN | typeof EMPTY | typeof CLOSED {
    this.envelope = undefined
    this.control = this.cell.system.poll()
    if (this.control !== undefined) return TAKEN
    const claimed = user.claim()
    if (claimed === undefined) return EMPTY
    if (Exit.isFailure(claimed)) return CLOSED
    this.envelope = claimed.value
    return TAKEN
  }

  /** Waits until a lane has something (`takeNow` found both empty); false once a drain has finished. */
  *awaitMessage(user: UserLane, lanes: Lanes): Step<boolean> {
    const cell = this.cell
    // First give the senders this batch woke a turn — cheaper than parking, and the next batch
    // is usually there when we come back.
    yield* Effect.yieldNow()
    const taken = this.takeNow(user)
    if (taken !== EMPTY) return taken === TAKEN
    yield* this.flushMetrics
    cell.parked = true
    const next = yield* Effect.either(Select.select(lanes, biased))
    cell.parked = false
    cell.busySince = this.clock.unsafeCurrentTimeMillis()
    if (Either.isLeft(next)) return false
    if (next.right._tag === "system") this.control = next.right.value
    else this.envelope = next.right.value
    return true
  }

  /** Acts on a system message; returns how the incarnation ends, if it does. */
  *handleControl(control: SystemMessage): Step<Ended | undefined> {
    const cell = this.cell
    if (control._tag === "Stop") return GRACEFUL_STOP
    if (control._tag === "Kill") return yield* terminateIncarnation(cell, TerminationReason.Killed())
    if (control._tag === "Restart") {
      // A sibling's crash restarts this one too (one-for-all, rest-for-one).
      yield* restartIncarnation(cell, this.behavior, Cause.empty, this.state, this.context)
      return RESTARTED
    }
    // A child's escalated failure, or a crash in onTerminated, is this actor's crash.
    let failed: Cause.Cause<unknown> | undefined
    if (control._tag === "ChildFailed") {
      failed = control.cause
    } else if (control._tag === "Terminated" && this.behavior.onTerminated !== undefined) {
      const handled = yield* Effect.exit(this.behavior.onTerminated(control.terminated, this.state, this.context))
      cell.turn++
      if (Exit.isSuccess(handled)) this.state = handled.value
      else failed = handled.cause
    }
    if (failed !== undefined && (yield* this.crashed(failed, false))) return CRASHED
    return undefined
  }

  /**
   * Handles one user message as far as it can without a step of its own: opens its envelope and
   * runs its handler. A handler that returns `Effect.succeed`/`Effect.fail` hands back an Exit,
   * used as is, so a run of such messages is handled in one synchronous batch with no fiber hop
   * and no generator: `HANDLED`. Anything else returns the step that finishes the message, which
   * answers whether a crash supervision did not absorb ends the incarnation.
   */
  handleNow(envelope: Envelope): typeof HANDLED | typeof PENDING | Effect.Effect<Drained, unknown> {
    const cell = this.cell
    let ask: AskEnvelope | undefined
    let reliable: ReliableEnvelope | undefined
    let parent: Tracer.AnySpan | undefined
    let message: Actor.Message
    if (isReliableEnvelope(envelope)) {
      reliable = envelope
      message = envelope.message
    } else if (isAskEnvelope(envelope)) {
      if (envelope.settled) {
        cell.runtime.deadLetter(cell, envelope.message, envelope.interrupted ? "AskInterrupted" : "Expired")
        return HANDLED
      }
      const now = this.clock.unsafeCurrentTimeMillis()
      if (envelope.deadline <= now) return this.finishExpiredLater(envelope, now)
      ask = envelope
      parent = envelope.parent
      message = envelope.message
    } else {
      if (isTracedMessage(envelope)) {
        parent = envelope.parent
        message = envelope.message
      } else message = envelope
      if (isReliable(message)) reliable = new ReliableEnvelope(message, newDeliveryId(), 1)
    }
    const context = reliable === undefined ? this.context : reliableContext(cell, reliable)
    const effect = runHandler(this.behavior.handlers, message, this.state, context, cell)
    if (parent !== undefined) {
      // Inside a trace the handler runs in its span, even one that settled at once.
      const inSpan = handleInSpan(effect, cell.name, message, parent, ask !== undefined)
      return this.runEffectful(envelope, inSpan, message, ask, reliable)
    }
    if (!Exit.isExit(effect)) return this.runEffectful(envelope, effect, message, ask, reliable)
    const flush = ++cell.processed === METRICS_EVERY
    if (flush || Exit.isFailure(effect)) {
      const result = Exit.isSuccess(effect) ? effect.value : undefined
      const cause = Exit.isFailure(effect) ? effect.cause : undefined
      return this.finishLater(result, cause, flush, message, ask, reliable)
    }
    const redelivery = this.takeResult(effect.value, ask, reliable)
    return redelivery === undefined ? HANDLED : this.redeliverLater(redelivery)
  }

  // Leaving the rest of a message to a step of the loop (`drain` stops at `PENDING`): the closures
  // are made here, not in the per-message methods, where capturing their locals would cost a
  // context object on every call.

  /** Leaves `finish` to a step of the loop. */
  finishLater(
    result: unknown,
    cause: Cause.Cause<unknown> | undefined,
    flush: boolean,
    message: Actor.Message,
    ask: AskEnvelope | undefined,
    reliable: ReliableEnvelope | undefined
  ): typeof PENDING {
    this.pending = () => this.finish(result, cause, flush, message, ask, reliable)
    return PENDING
  }

  /** Leaves an expired ask to a step of the loop. */
  finishExpiredLater(envelope: AskEnvelope, now: number): typeof PENDING {
    this.pending = () => this.expire(envelope, now)
    return PENDING
  }

  /** Leaves scheduling a redelivery to a step of the loop. */
  redeliverLater(redelivery: Effect.Effect<void>): typeof PENDING {
    this.pending = () => this.scheduleRedelivery(redelivery)
    return PENDING
  }

  /** An ask found expired when its turn came: its caller fails with `AskTimeout`. */
  *expire(envelope: AskEnvelope, now: number): Step<boolean> {
    const cell = this.cell
    cell.runtime.expire(envelope, now, yield* Mpsc.size(cell.rx))
    cell.runtime.deadLetter(cell, envelope.message, "Expired")
    return false
  }

  /** Schedules a nacked or deferred reliable message's redelivery (see `redelivery.ts`). */
  *scheduleRedelivery(redelivery: Effect.Effect<void>): Step<boolean> {
    yield* redelivery
    return false
  }

  /**
   * Finishes a handled message: the metrics every `METRICS_EVERY` messages, then its result or
   * its failure (`cause`).
   */
  *finish(
    result: unknown,
    cause: Cause.Cause<unknown> | undefined,
    flush: boolean,
    message: Actor.Message,
    ask: AskEnvelope | undefined,
    reliable: ReliableEnvelope | undefined
  ): Step<boolean> {
    if (flush) {
      yield* this.flushMetrics
      // Let the senders this batch woke (and every other fiber) run.
      yield* Effect.yieldNow()
    }
    if (cause !== undefined) return yield* this.handleFailure(cause, message, ask, reliable)
    const redelivery = this.takeResult(result, ask, reliable)
    if (redelivery !== undefined) yield* redelivery
    return false
  }

  /**
   * Runs a handler that did not settle at once; its continuation (`afterEffectful`) finishes its
   * message and drains on. A kill meanwhile finds the message in `inFlight`. The message waits in
   * fields rather than in a closure, so the continuation allocates nothing per message, and the
   * failure handler is the run's (`effectfulFailed`, installed once by `incarnation`).
   */
  runEffectful(
    envelope: Envelope,
    effect: Effect.Effect<unknown, unknown>,
    message: Actor.Message,
    ask: AskEnvelope | undefined,
    reliable: ReliableEnvelope | undefined
  ): Effect.Effect<Drained, unknown> {
    this.cell.inFlight = envelope
    this.message = message
    this.ask = ask
    this.reliable = reliable
    this.startedAt = this.clock.unsafeCurrentTimeNanos()
    return Effect.flatMap(effect, this.afterEffectful)
  }

  /** An effectful handler of the run failed: a step of the loop finishes its message. */
  readonly effectfulFailed = (cause: Cause.Cause<unknown>): Effect.Effect<Drained> => {
    this.finishEffectful(new HandlerFailed(cause))
    return drainedExits[PENDING]!
  }

  /** An effectful handler succeeded: its message is finished, and the lanes drained on at once. */
  readonly afterEffectful = (result: unknown): Effect.Effect<Drained, unknown> => {
    if (this.finishEffectful(result)) return drainedExits[PENDING]!
    const taken = this.takeNow(this.user!)
    const next = taken === TAKEN ? this.drain() : taken
    return typeof next === "number" ? drainedExits[next]! : next
  }

  /**
   * An effectful handler's run is over: the metrics, then its result, taken at once — or, for a
   * failure, a redelivery or the metrics flush every `METRICS_EVERY` messages, left to a step of
   * the loop (`pending`; then true).
   */
  finishEffectful(outcome: unknown): boolean {
    const cell = this.cell
    ActorMetrics.handlerTime.unsafeUpdate(
      Number(this.clock.unsafeCurrentTimeNanos() - this.startedAt) / 1_000_000,
      cell.labels
    )
    cell.inFlight = undefined
    // The run is over: the fibers it forked no longer block the actor.
    cell.turn++
    const message = this.message!
    const ask = this.ask
    const reliable = this.reliable
    this.message = this.ask = this.reliable = undefined
    const flush = ++cell.processed === METRICS_EVERY
    if (outcome instanceof HandlerFailed || flush) {
      const failed = outcome instanceof HandlerFailed
      const result = failed ? undefined : outcome
      const cause = failed ? outcome.cause : undefined
      this.finishLater(result, cause, flush, message, ask, reliable)
      return true
    }
    const redelivery = this.takeResult(outcome, ask, reliable)
    if (redelivery === undefined) return false
    this.redeliverLater(redelivery)
    return true
  }

  /**
   * Takes a handler's result: the new state, the reply to an ask, a reliable message's
   * settlement. Returns the redelivery to schedule, if the message was not acked.
   */
  takeResult(
    result: unknown,
    ask: AskEnvelope | undefined,
    reliable: ReliableEnvelope | undefined
  ): Effect.Effect<void> | undefined {
    if (result instanceof RepliedImpl) {
      this.state = result.state
      if (ask !== undefined) this.cell.runtime.reply(ask, Exit.succeed(result.reply))
    } else if (result instanceof SettledImpl) {
      this.state = result.state
      const settlement = result.settlement
      if (reliable !== undefined && settlement._tag !== "Ack") {
        const now = this.clock.unsafeCurrentTimeMillis()
        return redeliver(this.cell, reliable, settlement, this.supervision.redelivery, now)
      }
    } else {
      this.state = result
    }
    return undefined
  }

  /**
   * A handler failed. A request's typed failure is its reply, not a crash; anything else is a
   * crash for supervision to decide. True when the crash ends the incarnation.
   */
  *handleFailure(
    cause: Cause.Cause<unknown>,
    message: Actor.Message,
    ask: AskEnvelope | undefined,
    reliable: ReliableEnvelope | undefined
  ): Step<boolean> {
    const cell = this.cell
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure) && !Cause.isDie(cause) && !Cause.isInterrupted(cause)) {
      // The state is unchanged. A request that was told has nobody to reply to: the failure
      // must not vanish.
      if (ask !== undefined) cell.runtime.reply(ask, Exit.fail(failure.value))
      else cell.runtime.deadLetter(cell, message, "RequestFailed", failure)
      return false
    }
    // A reliable message that crashed its handler was not acked: it is redelivered.
    if (reliable !== undefined) {
      const now = this.clock.unsafeCurrentTimeMillis()
      yield* redeliver(cell, reliable, crashedSettlement, this.supervision.redelivery, now)
    } else cell.runtime.deadLetter(cell, message, "Crashed")
    if (ask !== undefined) {
      cell.runtime.reply(ask, Exit.fail(new HandlerCrashed({ actor: cell.name, tag: message._tag })))
    }
    return yield* this.crashed(cause, false)
  }

  /** Supervises a crash. True (with `crash` set) when it is not resumed: the incarnation ends. */
  *crashed(cause: Cause.Cause<unknown>, inStart: boolean): Step<boolean> {
    this.decision = yield* supervise(this.cell, this.supervision, this.driver, cause, inStart)
    if (this.decision === RESUME) return false
    this.crash = cause
    return true
  }

  /**
   * A graceful stop: after the current message (stop) or once the queue is empty (drain). Returns
   * the actor's end, or `undefined` when its group starts a new incarnation.
   */
  *stopGracefully(): Step<TerminationReason | undefined> {
    const cell = this.cell
    if (this.behavior.onStop !== undefined) yield* this.behavior.onStop(this.state, this.context)
    cell.turn++
    const group = cell.group
    if (group === undefined || cell.restart !== "permanent" || cell.leaving) {
      return yield* terminateIncarnation(cell, TerminationReason.Stopped())
    }
    // A permanent child: this incarnation is over (whoever stopped it gets its answer now); the
    // group decides, as for a crash, whether a new one starts with the mailbox reopened.
    yield* terminateIncarnation(cell, TerminationReason.Stopped())
    yield* reopen(cell)
    const decision = yield* unlessStopped(cell, group.childExited(cell, Cause.empty, false))
    if (decision !== RESTART) return TerminationReason.Stopped()
    yield* restartIncarnation(cell, this.behavior, Cause.empty, this.state, this.context)
    return undefined
  }
}
