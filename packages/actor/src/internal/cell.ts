/**
 * The cell: one actor's state — its two lanes, its status and the links that death watch,
 * supervision and cycle detection follow — and the ref that points at it.
 */
import { Mpsc } from "@weft/channel"
import type { Cause, Duration, Effect, Fiber, FiberId, Scope } from "effect"
import * as Deferred from "effect/Deferred"
import * as Equal from "effect/Equal"
import * as Hash from "effect/Hash"
import * as Inspectable from "effect/Inspectable"
import * as MetricLabel from "effect/MetricLabel"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as Actor from "../Actor.js"
import type * as ActorSystemModule from "../ActorSystem.js"
import type { RestartType } from "../Supervision.js"
import type { Terminated } from "../Terminated.js"
import { type AskParty, type AskWait, makeCurrentParty } from "./askWait.js"
import type { Envelope } from "./envelope.js"
import type { SystemRuntime } from "./runtime.js"
import { SystemLane } from "./systemLane.js"

/** @internal */
export const TypeId: Actor.TypeId = Symbol.for("@weft/actor/ActorRef") as Actor.TypeId

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

/** An actor's status. @internal */
export const RUNNING = 0
/** @internal */
export const STOPPING = 1
/** @internal */
export const TERMINATED = 2

/** What supervision decided about a crash. @internal */
export const RESUME = 0
/** @internal */
export const RESTART = 1
/** @internal */
export const TERMINATE = 2
/** @internal */
export const STOPPED = 3

/** A message on an actor's system lane. @internal */
export type SystemMessage =
  | { readonly _tag: "Stop" }
  | { readonly _tag: "Kill" }
  | { readonly _tag: "Restart" }
  | { readonly _tag: "Terminated"; readonly terminated: Terminated }
  | { readonly _tag: "ChildFailed"; readonly child: string; readonly cause: Cause.Cause<unknown> }
  | { readonly _tag: "GroupFailed"; readonly cause: Cause.Cause<unknown> }

/** @internal */
export const stopMessage: SystemMessage = { _tag: "Stop" }
/** @internal */
export const killMessage: SystemMessage = { _tag: "Kill" }
/** @internal */
export const restartMessage: SystemMessage = { _tag: "Restart" }

/**
 * The supervisor group a cell belongs to, as the cell sees it: the group itself
 * (`SupervisorGroup`, in `group.ts`) decides a member's exits and forgets it once terminated.
 *
 * @internal
 */
export interface GroupLink {
  /** Decides `child`'s exit: `RESTART` or `TERMINATE`; may sleep for a backoff. */
  childExited(child: ActorCell, cause: Cause.Cause<unknown>, crashed: boolean): Effect.Effect<number>
  remove(child: ActorCell): void
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
  group: GroupLink | undefined = undefined
  /** The name its group knows it by. */
  key: string | undefined = undefined
  /** When its group restarts it (see `Supervision.RestartType`). */
  restart: RestartType = "transient"
  /** Its group (or `Supervision.stopChild`) is stopping it: it is not restarted any more. */
  leaving = false
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
    readonly runtime: SystemRuntime<ActorCell>,
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
 * The actor whose loop the current fiber is, or (`ForkedFrom`) the actor and run a fiber was
 * forked from: its asks block the actor while that run lasts (see `askWait.ts`).
 *
 * @internal
 */
export const currentActor = makeCurrentParty<ActorCell>()

/** Sends a child's unabsorbed failure to its parent, whose own supervision then applies. @internal */
export const escalate = (cell: ActorCell, cause: Cause.Cause<unknown>): void => {
  const parent = cell.parent
  if (parent !== undefined && parent.status !== TERMINATED) {
    parent.system.push({ _tag: "ChildFailed", child: cell.name, cause })
  }
}

/** @internal */
export const runtimeOf = (service: ActorSystemModule.ActorSystem.Service): SystemRuntime<ActorCell> =>
  service as SystemRuntime<ActorCell>

/** @internal */
export const mailboxSize = (self: Actor.ActorRef<never>): Effect.Effect<number> => Mpsc.size(cellOf(self).rx)
