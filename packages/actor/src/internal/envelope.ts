/**
 * Envelopes: what travels in an actor's user lane besides a told message — an ask (with its
 * deadline and reply slot) and a reliable message on its way to redelivery.
 */
import { Mpsc } from "@weft/channel"
import type { Exit, Tracer } from "effect"
import * as Effect from "effect/Effect"
import type * as Actor from "../Actor.js"
import { TracedMessage } from "./tracing.js"

/**
 * What an ask knows of the actor it went to: the cell, seen from below (see `cell.ts`).
 *
 * @internal
 */
export interface AskTarget {
  readonly name: string
  readonly rx: Mpsc.Receiver<unknown>
  readonly runtime: { expire(envelope: AskEnvelope, now: number, mailboxSize: number): void }
}

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
  /** The ask's span, the parent of its handler's (set only inside a trace, see `tracing.ts`). */
  parent: Tracer.AnySpan | undefined = undefined
  /** The reply, failure or timeout, once settled. */
  private outcome: Exit.Exit<unknown, unknown> | undefined = undefined
  /** Callers suspended in `awaitOutcome` (at most one at a time in practice). */
  private waiters: Array<(exit: Exit.Exit<unknown, unknown>) => void> | undefined = undefined
  constructor(
    readonly message: Actor.Message,
    readonly cell: AskTarget,
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

/** @internal */
export const NotStarted: unique symbol = Symbol("NotStarted")

let nextDeliveryId = 0

/** A fresh id for a reliable message's first delivery. @internal */
export const newDeliveryId = (): number => nextDeliveryId++

/** @internal */
export type Envelope = Actor.Message | AskEnvelope | ReliableEnvelope | TracedMessage

// Envelope classes are final, so comparing constructors is `instanceof` without walking a user
// message's whole prototype chain — which the loop would otherwise do twice per message.
/** @internal */
export const isAskEnvelope = (envelope: Envelope): envelope is AskEnvelope => envelope.constructor === AskEnvelope
/** @internal */
export const isReliableEnvelope = (envelope: Envelope): envelope is ReliableEnvelope =>
  envelope.constructor === ReliableEnvelope

/** @internal */
export const messageOf = (envelope: Envelope): Actor.Message =>
  envelope instanceof AskEnvelope || envelope instanceof ReliableEnvelope || envelope instanceof TracedMessage
    ? envelope.message
    : envelope
