import { Mpsc, Readiness } from "@weft/channel"
import { Select } from "@weft/select"
import type { FiberId } from "effect"
import {
  Cause,
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Effectable,
  Either,
  Equal,
  ExecutionStrategy,
  Exit,
  Fiber,
  FiberRef,
  Hash,
  Inspectable,
  MetricLabel,
  Option,
  Predicate,
  PubSub,
  Schedule,
  ScheduleDecision,
  ScheduleIntervals,
  Scope,
  Stream
} from "effect"
import { dual } from "effect/Function"
import { pipeArguments } from "effect/Pipeable"
import type * as Actor from "../Actor.js"
import {
  ActorStopped,
  ActorStopping,
  AskCycle,
  type AskError,
  ChildExists,
  ChildNotFound,
  GroupStopping,
  HandlerCrashed,
  InvalidMailboxCapacity,
  MailboxFull,
  NameTaken,
  type SpawnError,
  type StartChildError,
  type TellError
} from "../ActorError.js"
import * as ActorMetrics from "../ActorMetrics.js"
import type * as ActorSystemModule from "../ActorSystem.js"
import type { DeadLetter, Reason } from "../DeadLetter.js"
import { LifecycleEvent } from "../Lifecycle.js"
import type * as Reliable from "../Reliable.js"
import type { RestartType } from "../Supervisor.js"
import { Terminated, TerminationReason } from "../Terminated.js"
import { type AskParty, AskWait, blockedBy, findCycle, ForkedFrom, makeCurrentParty } from "./askWait.js"
import { isReliable, SettledImpl } from "./reliable.js"
import { SystemRuntime } from "./system.js"
import { SystemLane } from "./systemLane.js"

/** @internal */
export const TypeId: Actor.TypeId = Symbol.for("@weft/actor/ActorRef") as Actor.TypeId

/** @internal */
export const BehaviorTypeId: unique symbol = Symbol.for("@weft/actor/Behavior") as never

/** @internal */
export const RepliedTypeId: unique symbol = Symbol.for("@weft/actor/Replied") as never

/** @internal */
export const SystemTag = Context.GenericTag<ActorSystemModule.ActorSystem, ActorSystemModule.ActorSystem.Service>(
  "@weft/actor/ActorSystem"
)

// --- protocol ----------------------------------------------------------------------------------

class RepliedImpl<A, S> implements Actor.Replied<A, S> {
  readonly [RepliedTypeId]: typeof RepliedTypeId = RepliedTypeId
  constructor(readonly reply: A, readonly state: S) {}
}

/** @internal */
export const reply = <A, S>(value: A, state: S): Actor.Replied<A, S> => new RepliedImpl(value, state)

type AnyHandler = (message: Actor.Message, state: unknown, context: Actor.HandlerContext<never>) => Effect.Effect<
  unknown,
  unknown
>

/** The behaviour as the loop sees it: every type parameter erased. */
interface AnyBehavior {
  readonly initialState: unknown
  readonly handlers: Readonly<Record<string, AnyHandler>>
  readonly onStart: ((state: unknown, context: Actor.HandlerContext<never>) => Effect.Effect<unknown>) | undefined
  readonly onStop: ((state: unknown, context: Actor.HandlerContext<never>) => Effect.Effect<void>) | undefined
  readonly onRestart:
    | ((cause: Cause.Cause<unknown>, state: unknown, context: Actor.HandlerContext<never>) => Effect.Effect<void>)
    | undefined
  readonly onTerminated:
    | ((terminated: Terminated, state: unknown, context: Actor.HandlerContext<never>) => Effect.Effect<unknown>)
    | undefined
}

const behaviorVariance = { _M: (_: unknown) => {}, _R: () => undefined as never }

/**
 * The same behaviour with every handler wrapped by `wrap` (fault injection).
 *
 * @internal
 */
export const withHandlers = <M extends Actor.Message, S, R>(
  behavior: Actor.Behavior<M, S, R>,
  wrap: (handler: AnyHandler) => AnyHandler
): Actor.Behavior<M, S, R> => {
  const handlers: Record<string, AnyHandler> = {}
  for (const [tag, handler] of Object.entries(behavior.handlers as unknown as Readonly<Record<string, AnyHandler>>)) {
    handlers[tag] = wrap(handler)
  }
  return { ...behavior, handlers: handlers as unknown as Actor.Handlers<M, S, R> }
}

/**
 * A behaviour that sends every message, whatever its tag, to one handler: the TestProbe's.
 *
 * @internal
 */
export const anyBehavior = <M extends Actor.Message>(
  handler: (message: Actor.Message, state: unknown) => Effect.Effect<unknown>
): Actor.Behavior<M, unknown, never> => {
  const handlers = new Proxy({}, { get: () => handler })
  return {
    [BehaviorTypeId]: behaviorVariance,
    initialState: undefined,
    handlers: handlers as Actor.Handlers<M, unknown, never>,
    onStart: undefined,
    onStop: undefined,
    onRestart: undefined,
    onTerminated: undefined
  }
}

/** @internal */
export const behavior =
  <M extends Actor.Message>() =>
  <S, H extends Actor.Handlers<M, NoInfer<S>, unknown>, R1 = never, R2 = never, R3 = never, R4 = never>(
    spec: Actor.Behavior.Spec<M, S, H, R1, R2, R3, R4> & { readonly handlers: Actor.NoExtraHandlers<H, M> }
  ): Actor.Behavior<M, S, Actor.HandlersContext<H> | R1 | R2 | R3 | R4> => ({
    [BehaviorTypeId]: behaviorVariance,
    initialState: spec.initialState,
    handlers: spec.handlers as unknown as Actor.Handlers<M, S, Actor.HandlersContext<H>>,
    onStart: spec.onStart,
    onStop: spec.onStop,
    onRestart: spec.onRestart,
    onTerminated: spec.onTerminated
  })

// --- envelopes ---------------------------------------------------------------------------------

/**
 * An ask in flight. A `tell` enqueues the bare message; an ask enqueues this wrapper, which
 * carries the deadline and the reply slot, and sits in the system's deadline heap.
 *
 * @internal
 */
export class AskEnvelope {
  heapIndex = -1
  /** Replied, failed, timed out or abandoned: the caller is no longer waiting. */
  settled = false
  /** The caller was interrupted before a reply. */
  interrupted = false
  /** The envelope made it into the user lane (tracked only on the slow, suspending path). */
  enqueued = false
  /** The reply, failure or timeout, once settled. */
  private outcome: Exit.Exit<unknown, unknown> | undefined = undefined
  /** Callers suspended in `awaitOutcome` (at most one at a time in practice). */
  private waiters: Array<(exit: Exit.Exit<unknown, unknown>) => void> | undefined = undefined
  constructor(
    readonly message: Actor.Message,
    readonly cell: ActorCell,
    readonly sentAt: number,
    readonly deadline: number
  ) {}

  /**
   * Completes the ask once; later calls change nothing. (A `Deferred` per ask would do the same,
   * but building one costs more than the rest of an ask's bookkeeping together.)
   */
  complete(exit: Exit.Exit<unknown, unknown>): void {
    if (this.outcome !== undefined) return
    this.outcome = exit
    const waiters = this.waiters
    this.waiters = undefined
    if (waiters !== undefined) { for (const waiter of waiters) waiter(exit) }
  }

  /** Its deadline passed: the caller fails with `AskTimeout` (if it still waits). */
  fire(now: number): Effect.Effect<void> {
    return Effect.map(Mpsc.size(this.cell.rx), (size) => this.cell.runtime.expire(this, now, size))
  }

  /** The system's timer stops: the actors are gone, so the ask was settled already. */
  abandon(): void {}

  /** Waits for the outcome. Interrupted, it unregisters and leaves the outcome to others. */
  readonly awaitOutcome: Effect.Effect<unknown, unknown> = Effect.async((resume) => {
    if (this.outcome !== undefined) return resume(this.outcome)
    const waiters = this.waiters ?? (this.waiters = [])
    waiters.push(resume)
    return Effect.sync(() => {
      const index = waiters.indexOf(resume)
      if (index >= 0) waiters.splice(index, 1)
    })
  })
}

/**
 * A reliable message after its first delivery: it keeps its id, counts its attempts and holds
 * the redelivery schedule's state.
 *
 * @internal
 */
export class ReliableEnvelope {
  /** The redelivery schedule's state; `NotStarted` until the first nack. */
  scheduleState: unknown = NotStarted
  constructor(readonly message: Actor.Message, readonly id: number, public attempt: number) {}
}

const NotStarted: unique symbol = Symbol("NotStarted")

/**
 * A pending redelivery: an entry in the system's deadline timer (the same heap that serves ask
 * deadlines), not a fiber. When it is due, the message goes back into the mailbox.
 */
class Redelivery {
  heapIndex = -1
  constructor(readonly cell: ActorCell, readonly envelope: ReliableEnvelope, readonly deadline: number) {}

  /**
   * Offers the message again, synchronously. Only a full `"suspend"` mailbox needs a wait, and
   * that wait gets a fiber of its own so the timer goes on serving everything else.
   */
  fire(): Effect.Effect<void> {
    const cell = this.cell
    const envelope = this.envelope
    envelope.attempt++
    const offered = offer(cell, envelope, sendWhenRoom)
    if (Exit.isExit(offered)) return Effect.void
    return Effect.asVoid(Effect.forkIn(
      Effect.onInterrupt(Effect.ignore(offered), () => Effect.sync(() => this.abandon())),
      cell.runtime.scope
    ))
  }

  /** The system shut down before the redelivery: the message is not lost silently. */
  abandon(): void {
    this.cell.runtime.deadLetter(this.cell, this.envelope.message, "ActorStopped")
  }
}

let nextDeliveryId = 0

type Envelope = Actor.Message | AskEnvelope | ReliableEnvelope

// Envelope classes are final, so comparing constructors is `instanceof` without walking a user
// message's whole prototype chain — which the loop would otherwise do twice per message.
const isAskEnvelope = (envelope: Envelope): envelope is AskEnvelope => envelope.constructor === AskEnvelope
const isReliableEnvelope = (envelope: Envelope): envelope is ReliableEnvelope =>
  envelope.constructor === ReliableEnvelope

const messageOf = (envelope: Envelope): Actor.Message =>
  envelope instanceof AskEnvelope || envelope instanceof ReliableEnvelope ? envelope.message : envelope

// --- refs and cells ----------------------------------------------------------------------------

const refVariance = { _M: (_: never) => {} }

class ActorRefImpl implements Actor.ActorRef<never> {
  readonly [TypeId] = refVariance
  constructor(readonly cell: ActorCell) {}
  get id() {
    return this.cell.id
  }
  get name() {
    return this.cell.name
  }
  [Equal.symbol](that: unknown): boolean {
    return that instanceof ActorRefImpl && that.cell === this.cell
  }
  [Hash.symbol](): number {
    return Hash.cached(this, Hash.number(this.cell.id))
  }
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "ActorRef", id: this.cell.id, name: this.cell.name }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** @internal */
export const isActorRef = (u: unknown): u is Actor.ActorRef<never> => Predicate.hasProperty(u, TypeId)

/** @internal */
export const cellOf = (ref: Actor.ActorRef<never>): ActorCell => (ref as unknown as ActorRefImpl).cell

/**
 * Takes every user message still queued for the actor, synchronously, for a dispatcher's
 * hand-back. Asks stay with the actor: they are queued again behind the rest.
 *
 * @internal
 */
export const takeQueued = (cell: ActorCell): Effect.Effect<ReadonlyArray<Actor.Message>> =>
  Effect.suspend(() => {
    const user = cell.rx[Readiness.TypeId]
    const taken: Array<Actor.Message> = []
    const asks: Array<AskEnvelope> = []
    for (let claimed = user.claim(); claimed !== undefined && Exit.isSuccess(claimed); claimed = user.claim()) {
      const envelope = claimed.value
      if (envelope instanceof AskEnvelope) asks.push(envelope)
      else taken.push(messageOf(envelope))
    }
    return Effect.as(Effect.forEach(asks, (ask) => Effect.ignore(enqueue(cell, ask)), { discard: true }), taken)
  })

const RUNNING = 0
const STOPPING = 1
const TERMINATED = 2

type SystemMessage =
  | { readonly _tag: "Stop" }
  | { readonly _tag: "Kill" }
  | { readonly _tag: "Restart" }
  | { readonly _tag: "Terminated"; readonly terminated: Terminated }
  | { readonly _tag: "ChildFailed"; readonly child: string; readonly cause: Cause.Cause<unknown> }
  | { readonly _tag: "GroupFailed"; readonly cause: Cause.Cause<unknown> }

const stopMessage: SystemMessage = { _tag: "Stop" }
const killMessage: SystemMessage = { _tag: "Kill" }
const restartMessage: SystemMessage = { _tag: "Restart" }

/**
 * A supervisor group: children (actors or nested groups) that share one restart schedule and
 * restart together per the group strategy. The group is an actor of its own (`cell`, with a ref,
 * watchers and a loop on its system lane that restarts, stops or fails the children as a unit),
 * but a child's crash is decided here, in the crashing child's fiber: no extra mailbox hop.
 *
 * @internal
 */
export class SupervisorGroup {
  /** The running children in start order (a nested group appears as its own cell). */
  readonly children: Array<ActorCell> = []
  /** The same children by the name the group knows them by (their key in the spec). */
  readonly byName = new Map<string, ActorCell>()
  /** Set once the group gave up; every child then terminates. */
  failure: Cause.Cause<unknown> | undefined = undefined
  constructor(
    /** The group's own actor: its ref, lanes and loop. */
    readonly cell: ActorCell,
    readonly strategy: "one-for-one" | "one-for-all" | "rest-for-one",
    readonly driver: Schedule.ScheduleDriver<unknown, Cause.Cause<unknown>>,
    readonly failed: Deferred.Deferred<Cause.Cause<unknown>>
  ) {}

  /**
   * Decides a child's exit — a crash, or (`crashed` false) a graceful stop: restart it (and its
   * siblings per strategy), or — the schedule exhausted — escalate. A nested group escalates to
   * its parent group, which decides about this whole group as one child (restarting it means
   * every child here restarts, with a fresh schedule); a top-level group fails. Per the child's
   * restart type, a temporary child is never restarted and a stop restarts only a permanent one;
   * neither then touches the schedule or the siblings. May sleep for a backoff.
   */
  childExited(child: ActorCell, cause: Cause.Cause<unknown>, crashed: boolean): Effect.Effect<number> {
    // The group already gave up or is gone, or it is stopping this child: no restart.
    if (this.failure !== undefined || this.cell.status === TERMINATED || child.leaving) {
      return Effect.succeed(TERMINATE)
    }
    if (child.restart === "temporary") return Effect.succeed(TERMINATE)
    // A stop restarts a permanent child only, and only while the group itself is running.
    if (!crashed && (child.restart !== "permanent" || this.cell.status !== RUNNING)) return Effect.succeed(TERMINATE)
    return Effect.matchEffect(this.driver.next(cause), {
      onFailure: () => this.exhausted(child, cause),
      onSuccess: () =>
        Effect.sync(() => {
          this.restartSiblings(child)
          return RESTART
        })
    })
  }

  private exhausted(child: ActorCell, cause: Cause.Cause<unknown>): Effect.Effect<number> {
    const parentGroup = this.cell.group
    if (parentGroup === undefined) return Effect.sync(() => this.fail(cause))
    return Effect.flatMap(parentGroup.childExited(this.cell, cause, true), (decision) =>
      decision === RESTART
        // The parent restarts this group as a whole: the crashed child restarts itself.
        ? Effect.as(this.restartAll(child), RESTART)
        : Effect.sync(() => this.fail(cause)))
  }

  /** Restarts every child but `except`, with a fresh schedule: this group's own restart. */
  restartAll(except: ActorCell | undefined): Effect.Effect<void> {
    return Effect.zipRight(
      this.driver.reset,
      Effect.sync(() => {
        this.failure = undefined
        ActorMetrics.restarts.unsafeUpdate(1, this.cell.labels)
        this.cell.runtime.publish(LifecycleEvent.Restarted({ actor: this.cell.ref, cause: Cause.empty }))
        for (const child of this.children) {
          if (child !== except) restartOrRetire(child)
        }
      })
    )
  }

  private restartSiblings(child: ActorCell): void {
    if (this.strategy === "one-for-one") return
    const index = this.children.indexOf(child)
    this.children.forEach((sibling, i) => {
      const restarts = this.strategy === "one-for-all" || i > index
      if (restarts && sibling !== child) restartOrRetire(sibling)
    })
  }

  /** Forgets a child that has terminated: its name is free again, and it leaves the order. */
  remove(child: ActorCell): void {
    const index = this.children.indexOf(child)
    if (index >= 0) this.children.splice(index, 1)
    if (child.key !== undefined && this.byName.get(child.key) === child) this.byName.delete(child.key)
  }

  /** Gives up: the group's loop stops the children and terminates it with the cause. */
  private fail(cause: Cause.Cause<unknown>): number {
    if (this.failure === undefined) {
      this.failure = cause
      this.cell.system.push({ _tag: "GroupFailed", cause })
    }
    return TERMINATE
  }
}

/**
 * A sibling's restart, requested on its system lane — or, for a temporary child, which is never
 * restarted, its stop (after its current message, for good).
 */
const restartOrRetire = (child: ActorCell): void => {
  if (child.status !== RUNNING) return
  if (child.restart !== "temporary") return child.system.push(restartMessage)
  child.leaving = true
  requestStop(child, "stop")
}

/**
 * The synchronous half of a graceful stop: the actor turns new messages away, cuts a restart
 * backoff short and, for `"stop"`, finds the request on its system lane after its current message.
 */
const requestStop = (cell: ActorCell, mode: "stop" | "drain"): void => {
  cell.status = STOPPING
  if (mode === "stop" && cell.stopMode !== "stop") {
    cell.stopMode = "stop"
    cell.system.push(stopMessage)
  }
  Deferred.unsafeDone(cell.stopRequested, Exit.void)
}

/**
 * One actor: its two lanes, its status, and the links death watch, supervision and cycle
 * detection follow. A supervisor group is an actor too, with an unused user lane.
 *
 * @internal
 */
export class ActorCell implements AskParty {
  status = RUNNING
  /** The user lane; a permanent group child restarted after a stop gets a fresh (reopened) one. */
  tx: Mpsc.Sender<Envelope>
  rx: Mpsc.Receiver<Envelope>
  readonly system = new SystemLane<SystemMessage>()
  readonly watchers = new Set<ActorCell>()
  readonly terminated: Deferred.Deferred<Terminated>
  readonly ref: Actor.ActorRef<never>
  readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
  /** Runs of user code finished (see `AskParty.turn`), for cycle detection. */
  turn = 0
  /** The asks this actor is blocked in, for cycle detection. */
  readonly waits = new Set<AskWait>()
  /** The scope of the current incarnation, closed on restart and termination. */
  scope: Scope.CloseableScope | undefined = undefined
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** Completed by the first graceful `stop`/`drain`, to cut a restart backoff short. */
  stopRequested: Deferred.Deferred<void>
  /**
   * Completed when the actor stops — when it terminates, or when a permanent group child's
   * stopped incarnation has ended and the group takes over (then it is renewed): what `stop` waits for.
   */
  stopped: Deferred.Deferred<Terminated>
  stopMode: "stop" | "drain" = "drain"
  /** The timeout of the stop in progress, which a group applies to each of its children. */
  stopTimeout: Duration.Duration | undefined = undefined
  /** The supervisor group this actor belongs to, which then decides its crashes. */
  group: SupervisorGroup | undefined = undefined
  /** The name its group knows it by. */
  key: string | undefined = undefined
  /** When its group restarts it (see `Supervisor.RestartType`). */
  restart: RestartType = "transient"
  /** Its group (or `Supervisor.stopChild`) is stopping it: it is not restarted any more. */
  leaving = false
  /** The group this cell is the actor of, if it is a group's. */
  supervising: SupervisorGroup | undefined = undefined
  /**
   * True while the loop waits on its lanes: a `Kill` pushed then is taken by the loop itself.
   * Otherwise the loop is busy (a handler, a hook, a backoff) and a kill interrupts it.
   */
  parked = false
  /** The message whose (effectful) handler is running: a kill dead-letters it as `"Killed"`. */
  inFlight: Envelope | undefined = undefined
  /** Messages handled since the `processed` metric was last updated. */
  processed = 0
  /** When the current busy period (since the last wake-up or metrics flush) began. */
  busySince = 0
  /** Set once the actor has terminated, for watchers that arrive late. */
  terminatedWith: Terminated | undefined = undefined
  /** Called synchronously in the step the actor terminates (a dispatcher's death watch). */
  readonly terminationListeners = new Set<TerminationListener>()

  constructor(
    readonly id: number,
    readonly name: string,
    readonly runtime: SystemRuntime,
    tx: Mpsc.Sender<Envelope>,
    rx: Mpsc.Receiver<Envelope>,
    readonly capacity: number,
    readonly strategy: Actor.MailboxStrategy,
    readonly parent: ActorCell | undefined,
    fiberId: FiberId.FiberId
  ) {
    this.tx = tx
    this.rx = rx
    this.terminated = Deferred.unsafeMake(fiberId)
    this.stopRequested = Deferred.unsafeMake(fiberId)
    this.stopped = Deferred.unsafeMake(fiberId)
    this.ref = new ActorRefImpl(this)
    this.labels = [MetricLabel.make("actor", name)]
  }
}

/** @internal */
export type TerminationListener = (terminated: Terminated) => void

/**
 * Death watch for code that is not an actor: `listener` runs synchronously in the step the actor
 * terminates — before that step ends, nothing can be enqueued for it any more, and after it every
 * message to it is a dead letter. Returns the `Terminated` instead when the actor is already gone.
 *
 * @internal
 */
export const onTermination = (
  ref: Actor.ActorRef<never>,
  listener: TerminationListener
): Terminated | undefined => {
  const cell = cellOf(ref)
  if (cell.status === TERMINATED) return cell.terminatedWith
  cell.terminationListeners.add(listener)
  return undefined
}

/** @internal */
export const offTermination = (ref: Actor.ActorRef<never>, listener: TerminationListener): void => {
  cellOf(ref).terminationListeners.delete(listener)
}

/**
 * The actor whose loop the current fiber is, or (`ForkedFrom`) the actor and run a fiber was
 * forked from: its asks block the actor while that run lasts (see `askWait.ts`).
 *
 * @internal
 */
export const currentActor = makeCurrentParty<ActorCell>()

let nextActorId = 0

// --- enqueueing --------------------------------------------------------------------------------

/**
 * Dead-letters a message that met an actor which is not running, and settles its ask. Returns
 * the error the sender sees: `ActorStopping` while stopping, `ActorStopped` for an ask to a
 * terminated actor, nothing for a tell to a terminated actor (not an error, only a dead letter).
 */
const reject = (cell: ActorCell, envelope: Envelope): ActorStopping | ActorStopped | undefined => {
  const message = messageOf(envelope)
  const ask = envelope instanceof AskEnvelope ? envelope : undefined
  const stopping = cell.status === STOPPING
  cell.runtime.deadLetter(cell, message, stopping ? "ActorStopping" : "ActorStopped")
  if (!stopping && ask === undefined) return undefined
  const error = stopping
    ? new ActorStopping({ actor: cell.name, tag: message._tag })
    : new ActorStopped({ actor: cell.name, tag: message._tag })
  if (ask !== undefined) cell.runtime.settle(ask, Exit.fail(error))
  return error
}

const rejectEnvelope = (cell: ActorCell, envelope: Envelope): Effect.Effect<void, ActorStopping | ActorStopped> => {
  const error = reject(cell, envelope)
  return error === undefined ? Effect.void : Effect.fail(error)
}

/** Dead-letters a message the full mailbox turned away; an asker learns it at once. */
const dropEnvelope = (cell: ActorCell, envelope: Envelope, reason: Reason): MailboxFull => {
  const message = messageOf(envelope)
  cell.runtime.deadLetter(cell, message, reason)
  const error = new MailboxFull({ actor: cell.name, tag: message._tag, capacity: cell.capacity })
  if (envelope instanceof AskEnvelope) cell.runtime.settle(envelope, Exit.fail(error))
  return error
}

/** Dead-letters a message still queued when its actor terminated. */
const discardQueued = (cell: ActorCell, envelope: Envelope): void => {
  if (envelope instanceof AskEnvelope && envelope.settled) {
    cell.runtime.deadLetter(cell, envelope.message, envelope.interrupted ? "AskInterrupted" : "Expired")
    return
  }
  reject(cell, envelope)
}

/** Waits for room in a full `"suspend"` lane; a lane closed meanwhile turns the message away. */
const sendWhenRoom = (cell: ActorCell, envelope: Envelope): Effect.Effect<void, TellError | ActorStopped> =>
  Effect.catchAll(Mpsc.send(cell.tx, envelope), () => rejectEnvelope(cell, envelope))

/**
 * Offers an envelope to the actor's user lane, synchronously: the caller is already inside a
 * step of its own (`Effect.suspend`), so a lane with room costs no further fiber step. The result
 * is an `Exit` whenever the offer is decided now — sent, dropped, evicted or rejected; only a full
 * `"suspend"` lane returns `whenFull`'s effect, which waits.
 */
const offer = <Env extends Envelope, E>(
  cell: ActorCell,
  envelope: Env,
  whenFull: (cell: ActorCell, envelope: Env) => Effect.Effect<void, E>
): Effect.Effect<void, E | MailboxFull | ActorStopping | ActorStopped> => {
  if (cell.status !== RUNNING) return rejectEnvelope(cell, envelope)
  while (true) {
    const result = Mpsc.unsafeTrySend(cell.tx, envelope)
    if (result === "sent") return Exit.void
    if (result === "closed") return rejectEnvelope(cell, envelope)
    switch (cell.strategy) {
      case "suspend":
        return whenFull(cell, envelope)
      case "dropping":
      case "fail": {
        const error = dropEnvelope(cell, envelope, "MailboxFull")
        return cell.strategy === "fail" || envelope instanceof AskEnvelope ? Exit.fail(error) : Exit.void
      }
      case "sliding": {
        // Evict the oldest queued message to make room, then try again.
        const evicted = cell.rx[Readiness.TypeId].claim()
        if (evicted === undefined || !Exit.isSuccess(evicted)) {
          // Nothing queued to evict (the room is held elsewhere): the new message is the one dropped.
          const error = dropEnvelope(cell, envelope, "MailboxFull")
          return envelope instanceof AskEnvelope ? Exit.fail(error) : Exit.void
        }
        dropEnvelope(cell, evicted.value, "Evicted")
      }
    }
  }
}

/**
 * Enqueueing as one object whose step is the offer: the same as `Effect.suspend(() => offer(...))`
 * with one allocation instead of two on the hottest path, `tell`.
 */
class Enqueue extends Effectable.Class<void, TellError | ActorStopped> {
  constructor(readonly cell: ActorCell, readonly envelope: Envelope) {
    super()
  }
  commit(): Effect.Effect<void, TellError | ActorStopped> {
    return offer(this.cell, this.envelope, sendWhenRoom)
  }
}

const enqueue = (cell: ActorCell, envelope: Envelope): Effect.Effect<void, TellError | ActorStopped> =>
  new Enqueue(cell, envelope)

/** @internal */
export const tell: {
  <Msg extends Actor.Message>(message: Msg): (self: Actor.ActorRef<Msg>) => Effect.Effect<void, TellError>
  <Msg extends Actor.Message>(self: Actor.ActorRef<Msg>, message: Msg): Effect.Effect<void, TellError>
} = dual(
  2,
  <Msg extends Actor.Message>(self: Actor.ActorRef<Msg>, message: Msg): Effect.Effect<void, TellError> =>
    // A tell never fails with ActorStopped: telling a dead actor is not an error, only a dead letter.
    enqueue(cellOf(self), message) as Effect.Effect<void, TellError>
)

/**
 * Whether a failed tell only means its target is on the way out (`ActorStopping`): the message
 * has become a dead letter for that actor, and a fan-out goes on to the others.
 *
 * @internal
 */
export const isLeaving = (error: TellError): boolean => error._tag === "ActorStopping"

/** @internal */
export const failedForGood = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Exit.isFailure(exit) && !(exit.cause._tag === "Fail" && Predicate.isTagged(exit.cause.error, "ActorStopping"))

/**
 * Runs `offerAt(0)`, `offerAt(1)`, … `offerAt(count - 1)` in order, in one fiber step for every
 * offer decided now: only a full `"suspend"` lane waits, then the rest follow. A failed offer is
 * passed over (`"skip"`), ends the run with its error (`"stop"`), or is reported once every offer
 * is decided (`"report"`: the first such error).
 */
const offerEach = (
  count: number,
  offerAt: (index: number) => Effect.Effect<void, TellError>,
  onFailure: (error: TellError) => "skip" | "stop" | "report"
): Effect.Effect<void, TellError> =>
  Effect.suspend(() => {
    let next = 0
    let reported: TellError | undefined
    /** The effect that ends the run for `error`, if it does. */
    const decide = (error: TellError): Effect.Effect<never, TellError> | undefined => {
      const action = onFailure(error)
      if (action === "stop") return Exit.fail(error)
      if (action === "report") reported ??= error
      return undefined
    }
    const loop: Effect.Effect<void, TellError> = Effect.suspend(() => {
      while (next < count) {
        const offered: Effect.Effect<void, TellError> = offerAt(next++)
        if (!Exit.isExit(offered)) {
          return Effect.zipRight(Effect.catchAll(offered, (error) => decide(error) ?? Effect.void), loop)
        }
        if (Exit.isFailure(offered)) {
          const failure = Cause.failureOption(offered.cause as Cause.Cause<TellError>)
          // A defect or an interruption ends the run as it is.
          if (Option.isNone(failure)) return offered
          const end = decide(failure.value)
          if (end !== undefined) return end
        }
      }
      return reported === undefined ? Exit.void : Exit.fail(reported)
    })
    return loop
  })

/**
 * Tells `message` to each of `targets` in order, in one fiber step for every lane with room: only
 * a full `"suspend"` lane waits, then the rest follow. A target that is stopping (removed from a
 * dispatcher and draining, even while this tell waited on its lane) dead-letters its copy and the
 * others still get the message. Any other failure stops the fan-out there: that actor and the
 * ones after it did not get the message — the same outcome as telling them one by one.
 *
 * @internal
 */
export const tellAll = (
  targets: ReadonlyArray<Actor.ActorRef<never>>,
  message: Actor.Message
): Effect.Effect<void, TellError> =>
  offerEach(
    targets.length,
    (i) => offer(cellOf(targets[i]!), message, sendWhenRoom) as Effect.Effect<void, TellError>,
    (error) => isLeaving(error) ? "skip" : "stop"
  )

/** @internal */
export const tellMany: {
  <Msg extends Actor.Message>(messages: Iterable<Msg>): (self: Actor.ActorRef<Msg>) => Effect.Effect<void, TellError>
  <Msg extends Actor.Message>(self: Actor.ActorRef<Msg>, messages: Iterable<Msg>): Effect.Effect<void, TellError>
} = dual(
  2,
  <Msg extends Actor.Message>(self: Actor.ActorRef<Msg>, messages: Iterable<Msg>): Effect.Effect<void, TellError> =>
    Effect.suspend(() => {
      const cell = cellOf(self)
      const all = Array.isArray(messages) ? messages as ReadonlyArray<Msg> : Array.from(messages)
      // Every message is decided, each as `tell` would decide it: a turned-away one is a dead
      // letter, and the first error is reported once all are decided.
      return offerEach(
        all.length,
        (i) => offer(cell, all[i]!, sendWhenRoom) as Effect.Effect<void, TellError>,
        () => "report"
      )
    })
)

/**
 * Tells `target` synchronously when its lane has room (call it inside a step of your own):
 * returns an `Exit` when the tell is decided now, else the effect that waits for room.
 *
 * @internal
 */
export const offerMessage = (target: Actor.ActorRef<never>, message: Actor.Message): Effect.Effect<void, TellError> =>
  offer(cellOf(target), message, sendWhenRoom) as Effect.Effect<void, TellError>

// --- ask ---------------------------------------------------------------------------------------

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
    Effect.withFiberRuntime((fiber) => {
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
      if (cell.status !== RUNNING) return rejectEnvelope(cell, envelope) as Effect.Effect<never, AskError>
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
      return wait as Effect.Effect<Actor.Reply<Msg>, Actor.ReplyError<Msg> | AskError>
    })
)

// --- the loop ----------------------------------------------------------------------------------

/** @internal */
export const defaultRestarts: Schedule.Schedule<unknown, Cause.Cause<unknown>> = Schedule.exponential("10 millis").pipe(
  Schedule.intersect(Schedule.recurs(5))
)

interface Supervision {
  readonly strategy: Actor.SupervisionStrategy
  readonly restarts: Schedule.Schedule<unknown, Cause.Cause<unknown>>
  readonly redelivery: Schedule.Schedule<unknown, unknown>
}

const defaultRedelivery: Schedule.Schedule<unknown, unknown> = Schedule.exponential("100 millis").pipe(
  Schedule.intersect(Schedule.recurs(5))
)

const crashedSettlement: Reliable.Settlement = { _tag: "Nack", reason: "crashed" }

const reliableContext = (cell: ActorCell, envelope: ReliableEnvelope): Actor.ReliableContext<never> => ({
  self: cell.ref,
  delivery: { id: envelope.id, attempt: envelope.attempt }
})

/**
 * Schedules the redelivery of a nacked, deferred or crashed reliable message on the system's
 * deadline timer: a defer after its delay; a nack after the schedule's next delay — stepped here,
 * without sleeping — or, when the schedule is done, into the poison queue.
 */
const redeliver = (
  cell: ActorCell,
  envelope: ReliableEnvelope,
  settlement: Exclude<Reliable.Settlement, { readonly _tag: "Ack" }>,
  schedule: Schedule.Schedule<unknown, unknown>,
  now: number
): Effect.Effect<void> => {
  if (settlement._tag === "Defer") {
    cell.runtime.addTimer(new Redelivery(cell, envelope, now + Duration.toMillis(settlement.delay)))
    return Effect.void
  }
  const state = envelope.scheduleState === NotStarted ? schedule.initial : envelope.scheduleState
  return Effect.map(schedule.step(now, undefined, state), ([next, _, decision]) => {
    envelope.scheduleState = next
    if (ScheduleDecision.isDone(decision)) return cell.runtime.poison(cell, envelope, settlement.reason)
    const at = Math.max(now, ScheduleIntervals.start(decision.intervals))
    cell.runtime.addTimer(new Redelivery(cell, envelope, at))
  })
}

/** What supervision decided about a crash. */
const RESUME = 0
const RESTART = 1
const TERMINATE = 2
const STOPPED = 3

const crashReason = (cause: Cause.Cause<unknown>): TerminationReason => TerminationReason.Failed({ cause })

/** Sends a child's unabsorbed failure to its parent, whose own supervision then applies. */
const escalate = (cell: ActorCell, cause: Cause.Cause<unknown>): void => {
  const parent = cell.parent
  if (parent !== undefined && parent.status !== TERMINATED) {
    parent.system.push({ _tag: "ChildFailed", child: cell.name, cause })
  }
}

const METRICS_EVERY = 256

/** Calls the handler for `message`; a missing handler or a throwing one becomes a defect. */
const runHandler = (
  handlers: AnyBehavior["handlers"],
  message: Actor.Message,
  state: unknown,
  context: Actor.HandlerContext<never>,
  cell: ActorCell
): Effect.Effect<unknown, unknown> => {
  const handler = handlers[message._tag]
  if (handler === undefined) return Effect.dieMessage(`actor "${cell.name}" has no handler for "${message._tag}"`)
  try {
    return handler(message, state, context)
  } catch (defect) {
    return Effect.die(defect)
  }
}

const biased: Select.Options = { biased: true }

/**
 * A handler's failure as the value the loop receives: `catchAllCause` into this costs one fiber
 * step less per message than `Effect.exit`, and the success path allocates nothing.
 */
class HandlerFailed {
  constructor(readonly cause: Cause.Cause<unknown>) {}
}

const handlerFailed = (cause: Cause.Cause<unknown>): Effect.Effect<HandlerFailed> =>
  Effect.succeed(new HandlerFailed(cause))

/** The processed and processing-time counters are updated in batches, off the per-message path. */
const flushProcessed = (cell: ActorCell, now: number): void => {
  if (cell.processed > 0) ActorMetrics.processed.unsafeUpdate(cell.processed, cell.labels)
  cell.processed = 0
  if (now > cell.busySince) ActorMetrics.processingTime.unsafeUpdate(now - cell.busySince, cell.labels)
  cell.busySince = now
}

const runActor = (
  cell: ActorCell,
  behavior: AnyBehavior,
  supervision: Supervision
): Effect.Effect<TerminationReason> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const driver = yield* Schedule.driver(supervision.restarts)
    const runtime = cell.runtime
    const handlers = behavior.handlers
    const context: Actor.HandlerContext<never> = { self: cell.ref }
    const redelivery = supervision.redelivery
    let state: unknown = behavior.initialState
    cell.busySince = clock.unsafeCurrentTimeMillis()
    const flushMetrics = Effect.suspend(() => {
      flushProcessed(cell, clock.unsafeCurrentTimeMillis())
      return Effect.map(Mpsc.size(cell.rx), (size) => ActorMetrics.mailboxDepth.unsafeUpdate(size, cell.labels))
    })

    // A stop requested during a backoff ends it: `stop` terminates at once, `drain` restarts at
    // once to work through the queue. Neither side of the race consumes anything.
    const unlessStopped = (decide: Effect.Effect<number>): Effect.Effect<number> =>
      Effect.raceFirst(
        decide,
        Effect.map(Deferred.await(cell.stopRequested), () => cell.stopMode === "stop" ? STOPPED : RESTART)
      )

    /**
     * Applies the supervision strategy to a crash; may sleep for the restart backoff. A crash in
     * `onStart` leaves no state to resume with, so there `resume` restarts (on the schedule).
     */
    const supervise = (cause: Cause.Cause<unknown>, inStart: boolean): Effect.Effect<number> => {
      if (cell.group !== undefined) return unlessStopped(cell.group.childExited(cell, cause, true))
      switch (inStart && supervision.strategy === "resume" ? "restart" : supervision.strategy) {
        case "resume":
          return Effect.succeed(RESUME)
        case "stop":
          return Effect.succeed(TERMINATE)
        case "escalate":
          return Effect.sync(() => {
            escalate(cell, cause)
            return TERMINATE
          })
        case "restart":
          return unlessStopped(Effect.matchEffect(driver.next(cause), {
            onFailure: () =>
              Effect.sync(() => {
                escalate(cell, cause)
                return TERMINATE
              }),
            onSuccess: () => Effect.succeed(RESTART)
          }))
      }
    }

    // Once round per life: only a permanent group child, restarted after a stop, comes round again.
    while (true) {
      incarnations: while (true) {
        // Read per incarnation: a restart after a stop reopens the user lane.
        const user = cell.rx[Readiness.TypeId]
        const lanes = { system: cell.system, user: cell.rx }
        const scope = yield* Scope.make()
        cell.scope = scope
        // Handlers and hooks see the incarnation's scope: children and resources they create end
        // with the incarnation.
        yield* FiberRef.update(FiberRef.currentContext, Context.add(Scope.Scope, scope))
        state = behavior.initialState
        // Set when a crash was not absorbed by `resume`; `decision` then says what follows.
        let crash: Cause.Cause<unknown> | undefined
        let decision = RESUME
        if (behavior.onStart !== undefined) {
          const started = yield* Effect.exit(behavior.onStart(state, context))
          cell.turn++
          if (Exit.isSuccess(started)) {
            state = started.value
          } else {
            crash = started.cause
            decision = yield* supervise(crash, true)
          }
        }

        while (crash === undefined) {
          // System lane first; when both lanes are empty, select over both (system first again).
          let control = cell.system.poll()
          let envelope: Envelope | undefined
          if (control === undefined) {
            let claimed = user.claim()
            if (claimed === undefined) {
              // Empty: first give the senders this batch woke a turn — cheaper than parking, and
              // the next batch is usually there when we come back.
              yield* Effect.yieldNow()
              control = cell.system.poll()
              if (control === undefined) claimed = user.claim()
            }
            if (claimed !== undefined) {
              // The user lane is closed and empty: a drain has finished.
              if (Exit.isFailure(claimed)) break incarnations
              envelope = claimed.value
            } else if (control === undefined) {
              yield* flushMetrics
              cell.parked = true
              const next = yield* Effect.either(Select.select(lanes, biased))
              cell.parked = false
              cell.busySince = clock.unsafeCurrentTimeMillis()
              if (Either.isLeft(next)) break incarnations
              if (next.right._tag === "system") control = next.right.value
              else envelope = next.right.value
            }
          }
          if (control !== undefined) {
            if (control._tag === "Stop") break incarnations
            if (control._tag === "Kill") return yield* terminateIncarnation(cell, TerminationReason.Killed())
            if (control._tag === "Restart") {
              // A sibling's crash restarts this one too (one-for-all, rest-for-one).
              yield* restartIncarnation(cell, behavior, Cause.empty, state, context)
              continue incarnations
            }
            // A child's escalated failure, or a crash in onTerminated, is this actor's crash.
            let failed: Cause.Cause<unknown> | undefined
            if (control._tag === "ChildFailed") {
              failed = control.cause
            } else if (control._tag === "Terminated" && behavior.onTerminated !== undefined) {
              const handled = yield* Effect.exit(behavior.onTerminated(control.terminated, state, context))
              cell.turn++
              if (Exit.isSuccess(handled)) state = handled.value
              else failed = handled.cause
            }
            if (failed !== undefined) {
              decision = yield* supervise(failed, false)
              if (decision !== RESUME) crash = failed
            }
            continue
          }
          if (envelope === undefined) continue
          let ask: AskEnvelope | undefined
          let reliable: ReliableEnvelope | undefined
          let message: Actor.Message
          if (isReliableEnvelope(envelope)) {
            reliable = envelope
            message = envelope.message
          } else if (isAskEnvelope(envelope)) {
            if (envelope.settled) {
              runtime.deadLetter(cell, envelope.message, envelope.interrupted ? "AskInterrupted" : "Expired")
              continue
            }
            const now = clock.unsafeCurrentTimeMillis()
            if (envelope.deadline <= now) {
              runtime.expire(envelope, now, yield* Mpsc.size(cell.rx))
              runtime.deadLetter(cell, envelope.message, "Expired")
              continue
            }
            ask = envelope
            message = envelope.message
          } else {
            message = envelope
            if (isReliable(message)) reliable = new ReliableEnvelope(message, nextDeliveryId++, 1)
          }
          const effect = runHandler(
            handlers,
            message,
            state,
            reliable === undefined ? context : reliableContext(cell, reliable),
            cell
          )
          // A handler that returns `Effect.succeed`/`Effect.fail` hands back an Exit: it is used as
          // is, so a run of such messages is handled in one synchronous batch with no fiber hop.
          let result: unknown
          let cause: Cause.Cause<unknown> | undefined
          if (Exit.isExit(effect)) {
            if (Exit.isSuccess(effect)) result = effect.value
            else cause = effect.cause
          } else {
            cell.inFlight = envelope
            const startedAt = clock.unsafeCurrentTimeNanos()
            const outcome = yield* Effect.catchAllCause(effect, handlerFailed)
            ActorMetrics.handlerTime.unsafeUpdate(
              Number(clock.unsafeCurrentTimeNanos() - startedAt) / 1_000_000,
              cell.labels
            )
            cell.inFlight = undefined
            // The run is over: the fibers it forked no longer block the actor.
            cell.turn++
            if (outcome instanceof HandlerFailed) cause = outcome.cause
            else result = outcome
          }
          if (++cell.processed === METRICS_EVERY) {
            yield* flushMetrics
            // Let the senders this batch woke (and every other fiber) run.
            yield* Effect.yieldNow()
          }
          if (cause === undefined) {
            if (result instanceof RepliedImpl) {
              state = result.state
              if (ask !== undefined) runtime.reply(ask, Exit.succeed(result.reply))
            } else if (result instanceof SettledImpl) {
              state = result.state
              if (reliable !== undefined && result.settlement._tag !== "Ack") {
                yield* redeliver(cell, reliable, result.settlement, redelivery, clock.unsafeCurrentTimeMillis())
              }
            } else {
              state = result
            }
            continue
          }
          const failure = Cause.failureOption(cause)
          if (Option.isSome(failure) && !Cause.isDie(cause) && !Cause.isInterrupted(cause)) {
            // A request's typed failure is its reply, not a crash; the state is unchanged. A request
            // that was told has nobody to reply to: the failure must not vanish.
            if (ask !== undefined) runtime.reply(ask, Exit.fail(failure.value))
            else runtime.deadLetter(cell, message, "RequestFailed", failure)
            continue
          }
          // A reliable message that crashed its handler was not acked: it is redelivered.
          if (reliable !== undefined) {
            yield* redeliver(cell, reliable, crashedSettlement, redelivery, clock.unsafeCurrentTimeMillis())
          } else runtime.deadLetter(cell, message, "Crashed")
          if (ask !== undefined) {
            runtime.reply(ask, Exit.fail(new HandlerCrashed({ actor: cell.name, tag: message._tag })))
          }
          decision = yield* supervise(cause, false)
          if (decision !== RESUME) {
            crash = cause
          }
        }

        if (decision === TERMINATE) {
          return yield* terminateIncarnation(cell, crashReason(crash))
        }
        if (decision === STOPPED) return yield* terminateIncarnation(cell, TerminationReason.Stopped())
        yield* restartIncarnation(cell, behavior, crash, state, context)
      }

      // Graceful stop: after the current message (stop) or once the queue is empty (drain).
      if (behavior.onStop !== undefined) yield* behavior.onStop(state, context)
      cell.turn++
      const group = cell.group
      if (group === undefined || cell.restart !== "permanent" || cell.leaving) {
        return yield* terminateIncarnation(cell, TerminationReason.Stopped())
      }
      // A permanent child: this incarnation is over (whoever stopped it gets its answer now); the
      // group decides, as for a crash, whether a new one starts with the mailbox reopened.
      yield* terminateIncarnation(cell, TerminationReason.Stopped())
      yield* reopen(cell)
      const decision = yield* unlessStopped(group.childExited(cell, Cause.empty, false))
      if (decision !== RESTART) return TerminationReason.Stopped()
      yield* restartIncarnation(cell, behavior, Cause.empty, state, context)
    }
  })

/**
 * Readies a permanent group child's cell for its next incarnation after a graceful stop: a fresh
 * user lane holding whatever the stop left queued (the mailbox survives, as in a crash restart),
 * running again, and the stop's waiters answered with `Stopped`.
 */
const reopen = (cell: ActorCell): Effect.Effect<void> =>
  Effect.flatMap(Effect.orDie(Mpsc.bounded<Envelope>(cell.capacity)), ([tx, rx]) =>
    Effect.withFiberRuntime((fiber) => {
      const old = cell.rx[Readiness.TypeId]
      // Same capacity, nothing else sends to the new lane yet: every leftover fits.
      for (let claimed = old.claim(); claimed !== undefined && Exit.isSuccess(claimed); claimed = old.claim()) {
        Mpsc.unsafeTrySend(tx, claimed.value)
      }
      cell.tx = tx
      cell.rx = rx
      cell.system.remove(stopMessage)
      const stopped = cell.stopped
      cell.stopped = Deferred.unsafeMake(fiber.id())
      cell.stopRequested = Deferred.unsafeMake(fiber.id())
      cell.stopMode = "drain"
      cell.stopTimeout = undefined
      cell.status = RUNNING
      Deferred.unsafeDone(
        stopped,
        Exit.succeed(new Terminated({ actor: cell.ref, reason: TerminationReason.Stopped() }))
      )
      return Effect.void
    }))

const restartIncarnation = (
  cell: ActorCell,
  behavior: AnyBehavior,
  cause: Cause.Cause<unknown>,
  state: unknown,
  context: Actor.HandlerContext<never>
): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (cell.scope !== undefined) yield* Scope.close(cell.scope, Exit.failCause(cause))
    cell.scope = undefined
    ActorMetrics.restarts.unsafeUpdate(1, cell.labels)
    cell.runtime.publish(LifecycleEvent.Restarted({ actor: cell.ref, cause }))
    if (behavior.onRestart !== undefined) yield* behavior.onRestart(cause, state, context)
    cell.turn++
  })

const terminateIncarnation = (cell: ActorCell, reason: TerminationReason): Effect.Effect<TerminationReason> =>
  Effect.gen(function*() {
    if (cell.scope !== undefined) {
      yield* Scope.close(cell.scope, reason._tag === "Failed" ? Exit.failCause(reason.cause) : Exit.void)
    }
    cell.scope = undefined
    return reason
  })

/**
 * Runs once the loop has ended, however it ended (including a kill): closes the mailbox,
 * dead-letters what is left in it, and notifies watchers.
 */
const finalize = (cell: ActorCell, exit: Exit.Exit<TerminationReason>): Effect.Effect<void> =>
  Effect.gen(function*() {
    const reason = Exit.isSuccess(exit)
      ? exit.value
      : Cause.isInterruptedOnly(exit.cause)
      ? TerminationReason.Killed()
      : TerminationReason.Failed({ cause: exit.cause })
    cell.status = TERMINATED
    const terminated = new Terminated({ actor: cell.ref, reason })
    // Set with the status, so a watch from now on is answered at once.
    cell.terminatedWith = terminated
    // In the step the status changes: from here on every message to the actor is a dead letter,
    // so a dispatcher must stop routing to it now.
    for (const listener of cell.terminationListeners) listener(terminated)
    cell.terminationListeners.clear()
    // A kill may have ended a run mid-way: whatever it forked blocks nothing any more.
    cell.turn++
    const inFlight = cell.inFlight
    cell.inFlight = undefined
    if (inFlight !== undefined) {
      // Killed mid-handler: the message was neither processed nor crashed.
      cell.runtime.deadLetter(cell, messageOf(inFlight), "Killed")
      if (isAskEnvelope(inFlight)) {
        cell.runtime.reply(inFlight, Exit.fail(new ActorStopped({ actor: cell.name, tag: inFlight.message._tag })))
      }
    }
    if (cell.scope !== undefined) yield* Scope.close(cell.scope, Exit.isSuccess(exit) ? Exit.void : exit)
    cell.scope = undefined
    yield* Mpsc.close(cell.tx)
    const user = cell.rx[Readiness.TypeId]
    for (let claimed = user.claim(); claimed !== undefined && Exit.isSuccess(claimed); claimed = user.claim()) {
      discardQueued(cell, claimed.value)
    }
    flushProcessed(cell, (yield* Effect.clock).unsafeCurrentTimeMillis())
    ActorMetrics.mailboxDepth.unsafeUpdate(0, cell.labels)
    const runtime = cell.runtime
    runtime.cells.delete(cell)
    if (runtime.names.get(cell.name) === cell) runtime.names.delete(cell.name)
    cell.group?.remove(cell)
    Deferred.unsafeDone(cell.stopped, Exit.succeed(terminated))
    runtime.publish(LifecycleEvent.Terminated({ actor: cell.ref, reason }))
    Deferred.unsafeDone(cell.terminated, Exit.succeed(terminated))
    for (const watcher of cell.watchers) {
      if (watcher.status !== TERMINATED) watcher.system.push({ _tag: "Terminated", terminated })
    }
    cell.watchers.clear()
  })

// --- spawn -------------------------------------------------------------------------------------

const runtimeOf = (service: ActorSystemModule.ActorSystem.Service): SystemRuntime => service as SystemRuntime

/** @internal */
export const spawn = <M extends Actor.Message, S, R>(
  behavior: Actor.Behavior<M, S, R>,
  options?: Actor.SpawnOptions
): Effect.Effect<
  Actor.ActorRef<M>,
  SpawnError,
  Exclude<R, Scope.Scope> | ActorSystemModule.ActorSystem | Scope.Scope
> =>
  // Outside a group only the spawn errors can happen.
  spawnIn(behavior, options, undefined) as Effect.Effect<
    Actor.ActorRef<M>,
    SpawnError,
    Exclude<R, Scope.Scope> | ActorSystemModule.ActorSystem | Scope.Scope
  >

/**
 * A cell's place in a supervisor group: the group, the name the group knows it by (default: the
 * actor's own name) and its restart type.
 *
 * @internal
 */
export interface Membership {
  readonly group: SupervisorGroup
  readonly key: string | undefined
  readonly restart: RestartType
}

/**
 * Registers a new cell — a name that is free, a mailbox of `capacity` — as a member of a group
 * when given. Call it uninterruptibly, then `launch` the cell. Every check runs in the same
 * synchronous step as the registration, so nothing can take the name or stop the group between.
 */
const makeCell = (
  runtime: SystemRuntime,
  name: string | undefined,
  capacity: number,
  strategy: Actor.MailboxStrategy,
  membership: Membership | undefined
): Effect.Effect<ActorCell, StartChildError> =>
  Effect.gen(function*() {
    if (!Number.isInteger(capacity) || capacity < 1) {
      return yield* Effect.fail(new InvalidMailboxCapacity({ capacity }))
    }
    const [tx, rx] = yield* Effect.orDie(Mpsc.bounded<Envelope>(capacity))
    // Only the loop itself is a parent: a fiber a handler forked spawns top-level actors.
    const spawner = yield* FiberRef.get(currentActor)
    const parent = spawner instanceof ForkedFrom ? undefined : spawner
    const fiberId = yield* Effect.fiberId
    const id = nextActorId++
    const cellName = name ?? `actor-${id}`
    const key = membership?.key ?? cellName
    if (membership !== undefined) {
      const group = membership.group
      if (group.cell.status !== RUNNING || group.failure !== undefined) {
        return yield* Effect.fail(new GroupStopping({ group: group.cell.name }))
      }
      if (group.byName.has(key)) return yield* Effect.fail(new ChildExists({ group: group.cell.name, child: key }))
    }
    if (runtime.names.has(cellName)) return yield* Effect.fail(new NameTaken({ name: cellName }))
    const cell = new ActorCell(id, cellName, runtime, tx, rx, capacity, strategy, parent, fiberId)
    runtime.cells.add(cell)
    runtime.names.set(cellName, cell)
    if (membership !== undefined) {
      cell.group = membership.group
      cell.key = key
      cell.restart = membership.restart
      membership.group.children.push(cell)
      membership.group.byName.set(key, cell)
    }
    return cell
  })

/**
 * Forks the cell's loop into the system's scope. Outside a group, closing the spawner's `scope`
 * stops the actor; a group's children are stopped by their group instead (in reverse order).
 */
const launch = (
  cell: ActorCell,
  loop: Effect.Effect<TerminationReason>,
  onExit: (exit: Exit.Exit<TerminationReason>) => Effect.Effect<void>
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Forked uninterruptible (the caller masks), so `onExit` is in place before the first
    // interruption can land: a cell killed before its loop ran is still finalized.
    const running = loop.pipe(
      Effect.locally(currentActor, cell),
      Effect.interruptible,
      Effect.onExit(onExit)
    )
    cell.runtime.publish(LifecycleEvent.Started({ actor: cell.ref }))
    cell.fiber = yield* Effect.forkIn(running, cell.runtime.scope)
    if (cell.group === undefined) yield* Effect.addFinalizer(() => Effect.asVoid(stop(cell.ref)))
  })

/** Spawns an actor, as a member of a group when given. @internal */
export const spawnIn = <M extends Actor.Message, S, R>(
  behavior: Actor.Behavior<M, S, R>,
  options: Actor.SpawnOptions | undefined,
  membership: Membership | undefined
): Effect.Effect<
  Actor.ActorRef<M>,
  StartChildError,
  Exclude<R, Scope.Scope> | ActorSystemModule.ActorSystem | Scope.Scope
> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const runtime = runtimeOf(yield* SystemTag)
      const cell = yield* makeCell(
        runtime,
        options?.name,
        options?.mailbox?.capacity ?? 1024,
        options?.mailbox?.strategy ?? "suspend",
        membership
      )
      const loop = runActor(cell, behavior as unknown as AnyBehavior, {
        strategy: options?.supervision?.strategy ?? "restart",
        restarts: options?.supervision?.restarts ?? defaultRestarts,
        redelivery: options?.redelivery ?? defaultRedelivery
      })
      yield* launch(cell, loop as Effect.Effect<TerminationReason>, (exit) => finalize(cell, exit))
      yield* restore(Effect.void)
      return cell.ref as Actor.ActorRef<M>
    })
  ) as Effect.Effect<
    Actor.ActorRef<M>,
    StartChildError,
    Exclude<R, Scope.Scope> | ActorSystemModule.ActorSystem | Scope.Scope
  >

// --- supervisor groups -------------------------------------------------------------------------

/** What a group's children are made of: an actor, or a nested group. @internal */
export type GroupMember =
  | {
    readonly _tag: "Actor"
    /** Requirements erased: the public `Supervisor.start` carries them in its type. */
    readonly behavior: Actor.Behavior<Actor.Message, unknown, never>
    readonly options: Actor.SpawnOptions | undefined
    readonly restart: RestartType
  }
  | { readonly _tag: "Group"; readonly spec: GroupSpec }

/** @internal */
export interface GroupSpec {
  readonly name?: string | undefined
  readonly strategy: SupervisorGroup["strategy"]
  readonly restarts?: Schedule.Schedule<unknown, Cause.Cause<unknown>> | undefined
  readonly children: Readonly<Record<string, GroupMember>>
}

/** A started group as the public API shows it: its ref, its children's handles, its failure. @internal */
export interface StartedGroup {
  readonly name: string
  readonly ref: Actor.ActorRef<never>
  readonly children: Readonly<Record<string, Actor.ActorRef<never> | StartedGroup>>
  readonly failed: Effect.Effect<Cause.Cause<unknown>>
}

/**
 * Starts a group's actor, then its children in order (nested groups recursively). If a child
 * fails to start, the group — with the children already started — is stopped and the error
 * returned.
 *
 * @internal
 */
export const startGroup = (
  spec: GroupSpec,
  membership: Membership | undefined
): Effect.Effect<StartedGroup, StartChildError, ActorSystemModule.ActorSystem | Scope.Scope> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const runtime = runtimeOf(yield* SystemTag)
      const driver = yield* Schedule.driver(spec.restarts ?? defaultRestarts)
      const failed = yield* Deferred.make<Cause.Cause<unknown>>()
      const cell = yield* makeCell(runtime, spec.name ?? `supervisor-${nextGroupId++}`, 1, "fail", membership)
      const group = new SupervisorGroup(cell, spec.strategy, driver, failed)
      cell.supervising = group
      yield* launch(cell, runGroup(cell, group), (exit) => finalizeGroup(cell, group, exit))
      const children: Record<string, Actor.ActorRef<never> | StartedGroup> = {}
      const started = Effect.forEach(Object.entries(spec.children), ([key, member]) =>
        Effect.map(startMember(group, key, member), (value) => {
          children[key] = value
        }), { discard: true })
      const exit = yield* Effect.exit(started)
      if (Exit.isFailure(exit)) {
        yield* stop(cell.ref, { mode: "kill" })
        return yield* Effect.failCause(exit.cause)
      }
      yield* restore(Effect.void)
      return startedGroup(group, children)
    })
  )

const startedGroup = (
  group: SupervisorGroup,
  children: Readonly<Record<string, Actor.ActorRef<never> | StartedGroup>>
): StartedGroup => new StartedGroupImpl(group, children)

/** A group's handle: pipeable (for `startChild`/`stopChild` data-last) and inspectable. */
class StartedGroupImpl implements StartedGroup {
  readonly name: string
  readonly ref: Actor.ActorRef<never>
  readonly failed: Effect.Effect<Cause.Cause<unknown>>
  constructor(
    group: SupervisorGroup,
    readonly children: Readonly<Record<string, Actor.ActorRef<never> | StartedGroup>>
  ) {
    this.name = group.cell.name
    this.ref = group.cell.ref
    this.failed = Deferred.await(group.failed)
  }
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "Supervisor", name: this.name, children: Object.keys(this.children) }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** Starts one member of `group` under `key` (`undefined`: its own name). Call it uninterruptibly. */
const startMember = (
  group: SupervisorGroup,
  key: string | undefined,
  member: GroupMember
): Effect.Effect<Actor.ActorRef<never> | StartedGroup, StartChildError, ActorSystemModule.ActorSystem | Scope.Scope> =>
  member._tag === "Actor"
    ? spawnIn(member.behavior, member.options, { group, key, restart: member.restart })
    : startGroup(member.spec, { group, key, restart: "transient" })

/** The group whose handle (or ref) this is. @internal */
export const groupOf = (handle: StartedGroup): SupervisorGroup => cellOf(handle.ref).supervising!

/** @internal */
export const isStartedGroup = (u: unknown): u is StartedGroup =>
  Predicate.hasProperty(u, "ref") && isActorRef(u.ref) && cellOf(u.ref).supervising !== undefined

/**
 * Starts a child in a running group: registered under its name (or its generated one), last in
 * the start order, in one uninterruptible step. An interruption that arrives while it starts kills
 * the child again before `startChild` ends.
 *
 * @internal
 */
export const startChild: {
  (member: GroupMember): (self: StartedGroup) => Effect.Effect<Actor.ActorRef<never> | StartedGroup, StartChildError>
  (self: StartedGroup, member: GroupMember): Effect.Effect<Actor.ActorRef<never> | StartedGroup, StartChildError>
} = dual(2, (self: StartedGroup, member: GroupMember) =>
  Effect.uninterruptibleMask((restore) => {
    const group = groupOf(self)
    // A group member adds no finalizer to the scope: the group stops it.
    const started = startMember(group, undefined, member).pipe(
      Effect.scoped,
      Effect.provideService(SystemTag, group.cell.runtime)
    )
    return Effect.flatMap(started, (handle) => {
      const ref = isActorRef(handle) ? handle : handle.ref
      // The last thing before handing the child over: an interruption that arrived meanwhile lands
      // here and takes the child back out.
      return Effect.as(Effect.onInterrupt(restore(Effect.void), () => stop(ref, { mode: "kill" })), handle)
    })
  }))

/**
 * Stops a child for good: it is marked as leaving (no restart, whatever its restart type, and no
 * sibling restarts), then stopped like `Actor.stop`; it leaves the group's order once terminated.
 *
 * @internal
 */
export const stopChild: {
  (
    child: string | Actor.ActorRef<never>,
    options?: Actor.StopOptions
  ): (self: StartedGroup) => Effect.Effect<Terminated, ChildNotFound>
  (
    self: StartedGroup,
    child: string | Actor.ActorRef<never>,
    options?: Actor.StopOptions
  ): Effect.Effect<Terminated, ChildNotFound>
} = dual(
  (args) => isStartedGroup(args[0]),
  (self: StartedGroup, child: string | Actor.ActorRef<never>, options?: Actor.StopOptions) =>
    Effect.suspend(() => {
      const group = groupOf(self)
      const cell = typeof child === "string" ? group.byName.get(child) : cellOf(child)
      if (cell === undefined || cell.group !== group || cell.status === TERMINATED) {
        const name = typeof child === "string" ? child : child.name
        return Effect.fail(new ChildNotFound({ group: group.cell.name, child: name }))
      }
      cell.leaving = true
      return stop(cell.ref, options)
    })
)

let nextGroupId = 0

/**
 * Stops a group's children one by one, last started first, sharing the group's deadline: a
 * child stopped once it has passed is killed. Says whether any child had to be killed.
 */
const stopChildren = (
  group: SupervisorGroup,
  mode: "stop" | "drain" | "kill",
  timeout: Duration.Duration
): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const deadline = clock.unsafeCurrentTimeMillis() + Duration.toMillis(timeout)
    let killed = false
    const children = group.children.slice().reverse()
    // Stopped by their group, they are not restarted (a permanent child would be, after a stop).
    for (const child of children) child.leaving = true
    for (const child of children) {
      const remaining = deadline - clock.unsafeCurrentTimeMillis()
      const terminated = yield* stop(child.ref, { mode: remaining > 0 ? mode : "kill", timeout: remaining })
      if (terminated.reason._tag === "Killed") killed = true
    }
    return killed
  })

/**
 * A group's loop: it has no user messages; its system lane carries the stop, drain (its user lane
 * closing), kill, restart and failure of the group as a unit. A graceful stop during which a child
 * had to be killed (the deadline passed) ends the group as `Killed`, like an actor's overrun stop.
 */
const runGroup = (cell: ActorCell, group: SupervisorGroup): Effect.Effect<TerminationReason> =>
  Effect.gen(function*() {
    const lanes = { system: cell.system, user: cell.rx }
    const stopped = (killed: boolean) => killed ? TerminationReason.Killed() : TerminationReason.Stopped()
    while (true) {
      cell.parked = true
      const next = yield* Effect.either(Select.select(lanes, biased))
      cell.parked = false
      const timeout = cell.stopTimeout ?? cell.runtime.stopTimeout
      // The user lane closed: a drain.
      if (Either.isLeft(next)) return stopped(yield* stopChildren(group, "drain", timeout))
      if (next.right._tag === "user") {
        // Only reachable through a cast: a group's ref accepts no messages.
        cell.runtime.deadLetter(cell, messageOf(next.right.value), "NoRoute")
        continue
      }
      const control = next.right.value
      switch (control._tag) {
        case "Stop":
          return stopped(yield* stopChildren(group, "stop", timeout))
        case "Kill":
          // The exit kills the children.
          return TerminationReason.Killed()
        case "Restart":
          // The parent group restarts this one as a unit.
          yield* group.restartAll(undefined)
          continue
        case "GroupFailed": {
          Deferred.unsafeDone(group.failed, Exit.succeed(control.cause))
          // A top-level group started in a handler: its failure is that actor's crash.
          if (cell.group === undefined) escalate(cell, control.cause)
          yield* stopChildren(group, "stop", timeout)
          return TerminationReason.Failed({ cause: control.cause })
        }
        default:
          continue
      }
    }
  })

/** However the group's loop ended (a kill interrupts it), no child outlives the group. */
const finalizeGroup = (
  cell: ActorCell,
  group: SupervisorGroup,
  exit: Exit.Exit<TerminationReason>
): Effect.Effect<void> =>
  Effect.zipRight(
    stopChildren(group, "kill", cell.runtime.stopTimeout),
    finalize(cell, exit)
  )

// --- lifecycle ---------------------------------------------------------------------------------

/** @internal */
export const awaitTermination = (self: Actor.ActorRef<never>): Effect.Effect<Terminated> =>
  Deferred.await(cellOf(self).terminated)

/**
 * Kill travels on the system lane, ahead of every queued user message. A loop waiting on its
 * lanes takes it and ends; a busy one (in a handler, a hook or a restart backoff) would only look
 * at the lane afterwards, so its fiber is interrupted at once — which is the handler being
 * interrupted mid-message. Either way kill returns once the actor is gone; `timeout` bounds how
 * long an idle actor may take to act on the message before it is interrupted too.
 */
const kill = (cell: ActorCell, timeout: Duration.Duration): Effect.Effect<Terminated> =>
  Effect.withFiberRuntime((fiber) => {
    if (cell.status === TERMINATED) return awaitTermination(cell.ref)
    cell.status = STOPPING
    cell.system.push(killMessage)
    const actorFiber = cell.fiber
    if (actorFiber === undefined) return awaitTermination(cell.ref)
    // From its own handler: signal the interruption, which takes effect at once.
    if (fiber.getFiberRef(currentActor) === cell) {
      return Effect.zipRight(Fiber.interruptAsFork(actorFiber, fiber.id()), awaitTermination(cell.ref))
    }
    if (!cell.parked) return Effect.zipRight(Fiber.interrupt(actorFiber), awaitTermination(cell.ref))
    return awaitTermination(cell.ref).pipe(
      Effect.timeoutTo({
        duration: timeout,
        onSuccess: Effect.succeed,
        onTimeout: () => Effect.zipRight(Fiber.interrupt(actorFiber), awaitTermination(cell.ref))
      }),
      Effect.flatten
    )
  })

/** @internal */
export const stop: {
  (options?: Actor.StopOptions): (self: Actor.ActorRef<never>) => Effect.Effect<Terminated>
  (self: Actor.ActorRef<never>, options?: Actor.StopOptions): Effect.Effect<Terminated>
} = dual(
  (args) => isActorRef(args[0]),
  (self: Actor.ActorRef<never>, options?: Actor.StopOptions): Effect.Effect<Terminated> =>
    Effect.withFiberRuntime((fiber) => {
      const cell = cellOf(self)
      if (cell.status === TERMINATED) return awaitTermination(self)
      const mode = options?.mode ?? "stop"
      const timeout = options?.timeout === undefined ? cell.runtime.stopTimeout : Duration.decode(options.timeout)
      if (mode === "kill") return kill(cell, timeout)
      cell.stopTimeout = timeout
      requestStop(cell, mode)
      const closeLane = Mpsc.close(cell.tx)
      // From its own handler the actor cannot wait for itself: the stop happens after this message.
      if (fiber.getFiberRef(currentActor) === cell) {
        return Effect.as(closeLane, new Terminated({ actor: self, reason: TerminationReason.Stopped() }))
      }
      // Terminated, or — a permanent group child — this incarnation ended and its group took over.
      const stopped = cell.stopped
      return closeLane.pipe(
        Effect.zipRight(
          Deferred.await(stopped).pipe(Effect.timeoutTo({
            duration: timeout,
            onSuccess: (terminated) => Option.some(terminated),
            onTimeout: () => Option.none<Terminated>()
          }))
        ),
        Effect.flatMap(Option.match({ onNone: () => kill(cell, timeout), onSome: Effect.succeed }))
      )
    })
)

/** @internal */
export const watch: {
  (target: Actor.ActorRef<never>): (watcher: Actor.ActorRef<never>) => Effect.Effect<void>
  (watcher: Actor.ActorRef<never>, target: Actor.ActorRef<never>): Effect.Effect<void>
} = dual(2, (watcher: Actor.ActorRef<never>, target: Actor.ActorRef<never>): Effect.Effect<void> =>
  Effect.sync(() => {
    const watcherCell = cellOf(watcher)
    const targetCell = cellOf(target)
    if (targetCell.status !== TERMINATED) {
      targetCell.watchers.add(watcherCell)
      return
    }
    const terminated = targetCell.terminatedWith
    if (terminated !== undefined && watcherCell.status !== TERMINATED) {
      watcherCell.system.push({ _tag: "Terminated", terminated })
    }
  }))

/** @internal */
export const unwatch: {
  (target: Actor.ActorRef<never>): (watcher: Actor.ActorRef<never>) => Effect.Effect<void>
  (watcher: Actor.ActorRef<never>, target: Actor.ActorRef<never>): Effect.Effect<void>
} = dual(2, (watcher: Actor.ActorRef<never>, target: Actor.ActorRef<never>): Effect.Effect<void> =>
  Effect.sync(() => {
    cellOf(target).watchers.delete(cellOf(watcher))
  }))

/** @internal */
export const mailboxSize = (self: Actor.ActorRef<never>): Effect.Effect<number> => Mpsc.size(cellOf(self).rx)

// --- the system --------------------------------------------------------------------------------

/** @internal */
export const makeSystem = (options?: ActorSystemModule.ActorSystem.Options): Effect.Effect<
  ActorSystemModule.ActorSystem.Service,
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    // The actors' fibers live in a scope of their own, made first so that it closes last: a
    // fiber forked straight into the layer's scope would be interrupted before the shutdown
    // finalizer below could drain it (a scope runs its finalizers last-added first).
    const actorScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const hub = yield* PubSub.sliding<DeadLetter>(options?.deadLetterBuffer ?? 1024)
    const lifecycle = yield* PubSub.sliding<LifecycleEvent>(options?.deadLetterBuffer ?? 1024)
    const runtime = new SystemRuntime(
      actorScope,
      hub,
      lifecycle,
      Duration.toMillis(Duration.decode(options?.askTimeout ?? "5 seconds")),
      Duration.decode(options?.stopTimeout ?? "5 seconds"),
      options?.poisonCapacity ?? 1024
    )
    yield* Effect.forkScoped(runtime.timerLoop)
    // Registered last, so it runs first: actors drain before the timer and their fibers go.
    yield* Effect.addFinalizer(() => shutdown(runtime))
    return runtime
  })

/** @internal */
export const shutdown = (
  service: ActorSystemModule.ActorSystem.Service,
  options?: { readonly timeout?: Duration.DurationInput | undefined }
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const runtime = runtimeOf(service)
    const timeout = options?.timeout ?? runtime.stopTimeout
    // A group's children are stopped by their group, in reverse start order.
    return Effect.forEach(
      Array.from(runtime.cells).filter((cell) => cell.group === undefined),
      (cell) => stop(cell.ref, { mode: "drain", timeout }),
      { concurrency: "unbounded", discard: true }
    )
  })

/** @internal */
export const deadLetterStream: Stream.Stream<DeadLetter, never, ActorSystemModule.ActorSystem> = Stream.unwrap(
  Effect.map(SystemTag, (system) => system.deadLetters)
)

/** @internal */
export const lifecycleStream: Stream.Stream<LifecycleEvent, never, ActorSystemModule.ActorSystem> = Stream.unwrap(
  Effect.map(SystemTag, (system) => system.lifecycle)
)

/** @internal */
export const replay = (
  service: ActorSystemModule.ActorSystem.Service,
  poisoned: Reliable.Poisoned
): Effect.Effect<void, TellError> =>
  Effect.suspend(() => {
    const queue = runtimeOf(service).poisonedQueue
    const index = queue.indexOf(poisoned)
    if (index < 0) return Effect.void
    queue.splice(index, 1)
    return Effect.onInterrupt(
      tell(poisoned.actor as Actor.ActorRef<Actor.Message>, poisoned.message as Actor.Message),
      () => Effect.sync(() => queue.unshift(poisoned))
    )
  })
