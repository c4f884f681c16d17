import { Broadcast } from "@weft/channel"
import { Select } from "@weft/select"
import type { Duration, Either, MetricLabel, Scope } from "effect"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Stream from "effect/Stream"
import type { ActorRef } from "../Actor.js"
import { AskTimeout } from "../ActorError.js"
import * as ActorMetrics from "../ActorMetrics.js"
import type * as ActorSystem from "../ActorSystem.js"
import { DeadLetter, OnDeadLetter, type Reason, type Releasing } from "../DeadLetter.js"
import type { LifecycleEvent } from "../Lifecycle.js"
import type { Reliable } from "../Reliable.js"
import { Poisoned } from "../Reliable.js"
import { DeadlineHeap, type HeapEntry } from "./deadlineHeap.js"
import type { AskEnvelope, ReliableEnvelope } from "./envelope.js"
import { SystemLane } from "./systemLane.js"

/**
 * The tag the internals use for the public `ActorSystem` service (the same key).
 *
 * @internal
 */
export const SystemTag = Context.GenericTag<ActorSystem.ActorSystem, ActorSystem.ActorSystem.Service>(
  "@weft/actor/ActorSystem"
)

/**
 * What the runtime knows of an actor: the cell, seen from below (see `cell.ts`).
 *
 * @internal
 */
export interface RegisteredActor {
  readonly name: string
  readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
  readonly ref: ActorRef<never>
}

/**
 * Something the system's timer does at its deadline: expire an ask, redeliver a message.
 *
 * @internal
 */
export interface TimerEntry extends HeapEntry {
  fire(now: number): Effect.Effect<void>
  /** The timer stops (the system shuts down) before the deadline. */
  abandon(): void
}

/**
 * The state one `ActorSystem` layer owns: the registry, the dead-letter counter and stream,
 * and the single timer that serves every deadline in the system — ask deadlines and reliable
 * redeliveries.
 *
 * The timer is one fiber over a min-heap of deadlines. It sleeps (on the `Clock`, so `TestClock`
 * drives it) until the earliest deadline, and is woken early only when an ask arrives with a
 * deadline earlier than the one it sleeps towards — rare when asks share a default timeout.
 *
 * @internal
 */
export class SystemRuntime<Cell extends RegisteredActor = RegisteredActor> implements ActorSystem.ActorSystem.Service {
  readonly cells = new Set<Cell>()
  readonly names = new Map<string, Cell>()
  deadLetterTotal = 0
  lateReplyTotal = 0
  private readonly deadlines = new DeadlineHeap<TimerEntry>()
  /** The deadline the timer fiber sleeps towards; `Infinity` while it waits for work. */
  private timerAt = Infinity
  /** Pokes the timer fiber when a deadline earlier than `timerAt` arrives. */
  private readonly timerWake = new SystemLane<true>()

  constructor(
    readonly scope: Scope.Scope,
    private readonly deadLetterHub: Broadcast.Sender<DeadLetter>,
    private readonly lifecycleHub: Broadcast.Sender<LifecycleEvent>,
    readonly askTimeoutMs: number,
    readonly stopTimeout: Duration.Duration,
    readonly poisonCapacity: number
  ) {}

  addTimer(entry: TimerEntry): void {
    this.deadlines.push(entry)
    if (entry.deadline < this.timerAt) {
      this.timerAt = entry.deadline
      this.timerWake.push(true)
    }
  }

  removeDeadline(envelope: AskEnvelope): void {
    this.deadlines.remove(envelope)
  }

  deadLetter(
    cell: RegisteredActor,
    message: unknown,
    reason: Reason,
    failure: Option.Option<unknown> = Option.none()
  ): void {
    this.deadLetterAt(cell.name, cell.labels, message, reason, failure)
  }

  /** A dead letter addressed to `actor` (an actor or a dispatcher), counted under `labels`. */
  deadLetterAt(
    actor: string,
    labels: ReadonlyArray<MetricLabel.MetricLabel>,
    message: unknown,
    reason: Reason,
    failure: Option.Option<unknown> = Option.none()
  ): void {
    this.deadLetterTotal++
    if (Predicate.hasProperty(message, OnDeadLetter)) (message as Releasing)[OnDeadLetter]()
    ActorMetrics.deadLetters.unsafeUpdate(1, labels)
    // "dropOldest": never waits; a subscriber that falls behind gets a `Lagged` with the count.
    Broadcast.unsafeTrySend(
      this.deadLetterHub,
      new DeadLetter(
        Option.isSome(failure) ? { actor, message, reason, failure: failure.value } : { actor, message, reason }
      )
    )
  }

  /** Messages that exhausted their redeliveries, oldest first, at most `poisonCapacity`. */
  readonly poisonedQueue: Array<Poisoned> = []

  poison(cell: RegisteredActor, envelope: ReliableEnvelope, reason: string): void {
    this.poisonedQueue.push(
      new Poisoned({
        actor: cell.ref,
        message: envelope.message as Reliable,
        id: envelope.id,
        attempts: envelope.attempt,
        reason
      })
    )
    if (this.poisonedQueue.length > this.poisonCapacity) {
      const evicted = this.poisonedQueue.shift()!
      this.deadLetter(cell, evicted.message, "Evicted")
    }
  }

  get poisoned(): Effect.Effect<ReadonlyArray<Poisoned>> {
    return Effect.sync(() => this.poisonedQueue.slice())
  }

  publish(event: LifecycleEvent): void {
    Broadcast.unsafeTrySend(this.lifecycleHub, event)
  }

  /** Completes an ask with `exit` unless it is already settled; says whether it did. */
  settle(envelope: AskEnvelope, exit: Exit.Exit<unknown, unknown>): boolean {
    if (envelope.settled) return false
    envelope.settled = true
    this.deadlines.remove(envelope)
    envelope.complete(exit)
    return true
  }

  /** Completes an ask with its handler's outcome; an outcome nobody waits for any more is counted. */
  reply(envelope: AskEnvelope, exit: Exit.Exit<unknown, unknown>): void {
    if (!this.settle(envelope, exit)) this.lateReplyTotal++
  }

  /** Fails an ask with `AskTimeout` if it is still waiting. */
  expire(envelope: AskEnvelope, now: number, mailboxSize: number): void {
    if (envelope.settled) return
    envelope.settled = true
    this.deadlines.remove(envelope)
    envelope.complete(
      Exit.fail(
        new AskTimeout({
          actor: envelope.cell.name,
          tag: envelope.message._tag,
          mailboxSize,
          waitedMs: now - envelope.sentAt
        })
      )
    )
  }

  /** Dead-letters what the timer still held when it stopped (see `TimerEntry.abandon`). */
  private abandonTimers(): void {
    for (let entry = this.deadlines.pop(); entry !== undefined; entry = this.deadlines.pop()) entry.abandon()
  }

  readonly timerLoop: Effect.Effect<never> = Effect.gen(this, function*() {
    const clock = yield* Effect.clock
    while (true) {
      while (this.timerWake.poll() !== undefined) {
        // Pokes that arrived while we were awake are already accounted for below.
      }
      const now = clock.unsafeCurrentTimeMillis()
      let next = this.deadlines.peek()
      while (next !== undefined && next.deadline <= now) {
        this.deadlines.pop()
        yield* next.fire(now)
        next = this.deadlines.peek()
      }
      this.timerAt = next === undefined ? Infinity : next.deadline
      if (next === undefined) yield* Select.select({ wake: this.timerWake })
      else yield* Select.select({ wake: this.timerWake, due: Select.sleepUntil(next.deadline) })
    }
  }).pipe(Effect.ensuring(Effect.sync(() => this.abandonTimers())))

  // --- the public service ----------------------------------------------------------------------

  lookup(name: string): Effect.Effect<Option.Option<ActorRef<never>>> {
    return Effect.sync(() => Option.map(Option.fromNullable(this.names.get(name)), (cell) => cell.ref))
  }

  get deadLetters(): Stream.Stream<Either.Either<DeadLetter, Broadcast.Lagged>> {
    return streamOf(this.deadLetterHub)
  }

  get subscribeDeadLetters(): Effect.Effect<Broadcast.Subscription<DeadLetter>, never, Scope.Scope> {
    return Broadcast.subscribeScoped(this.deadLetterHub)
  }

  get lifecycle(): Stream.Stream<Either.Either<LifecycleEvent, Broadcast.Lagged>> {
    return streamOf(this.lifecycleHub)
  }

  get subscribeLifecycle(): Effect.Effect<Broadcast.Subscription<LifecycleEvent>, never, Scope.Scope> {
    return Broadcast.subscribeScoped(this.lifecycleHub)
  }

  get deadLetterCount(): Effect.Effect<number> {
    return Effect.sync(() => this.deadLetterTotal)
  }

  get lateReplies(): Effect.Effect<number> {
    return Effect.sync(() => this.lateReplyTotal)
  }

  get actors(): Effect.Effect<ReadonlyArray<ActorRef<never>>> {
    return Effect.sync(() => Array.from(this.cells, (cell) => cell.ref))
  }
}

/** A subscription made when the stream is run, and ended with it. */
const streamOf = <A>(hub: Broadcast.Sender<A>): Stream.Stream<Either.Either<A, Broadcast.Lagged>> =>
  Stream.unwrapScoped(Effect.map(Broadcast.subscribeScoped(hub), (subscription) => Broadcast.toStream(subscription)))
