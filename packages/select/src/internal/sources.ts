import { Readiness } from "@weft/channel"
import type { Deferred, Fiber, Mailbox, Scope, Stream } from "effect"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as S from "effect/Stream"
import { Aborted } from "../SelectError.js"
import { BranchImpl, isBranch } from "./core.js"
import { deferredReadiness, mailboxReadiness } from "./effectCompat.js"
import { noop, Wakers } from "./wakers.js"

/** @internal */
export const fromReadable = (readable: Readiness.Claimable<unknown, unknown>): BranchImpl =>
  new BranchImpl({ _tag: "Readiness", readiness: readable[Readiness.TypeId] }, true)

/** @internal */
export const toBranch = (u: unknown): BranchImpl => {
  if (isBranch(u)) return u
  if (Readiness.isClaimable(u)) return fromReadable(u)
  // Unreachable through the typed API; a plain value is a programming error.
  throw new TypeError(`a select branch must be a Branch or a Claimable, got ${String(u)}`)
}

/** @internal */
export const when = (self: unknown, enabled: boolean): BranchImpl => {
  const branch = toBranch(self)
  return new BranchImpl(branch.source, branch.enabled && enabled)
}

/** @internal */
export const sleep = (duration: Duration.DurationInput): BranchImpl =>
  new BranchImpl({ _tag: "Sleep", millis: Duration.toMillis(duration) }, true)

/** @internal */
export const sleepUntil = (at: number | Date): BranchImpl =>
  new BranchImpl({ _tag: "Until", at: typeof at === "number" ? at : at.getTime() }, true)

/** A branch that fails with `error` at `at` (epoch milliseconds): the stop branch of `timeout`. */
export const failAt = (at: number, error: unknown): BranchImpl =>
  new BranchImpl({ _tag: "Until", at, due: Exit.fail(error) }, true)

// -----------------------------------------------------------------------------
// Deferred: nothing is consumed, every waiter sees the same completion.
// -----------------------------------------------------------------------------

/** @internal */
export const deferred = <A, E>(self: Deferred.Deferred<A, E>): BranchImpl =>
  new BranchImpl({ _tag: "Effectful", readiness: deferredReadiness(self) }, true)

// -----------------------------------------------------------------------------
// Fiber: its exit, once it has one. Nothing is consumed.
// -----------------------------------------------------------------------------

/** @internal */
export const fiberReadiness = <A, E>(self: Fiber.RuntimeFiber<A, E>): Readiness.Readiness<Exit.Exit<A, E>, never> => ({
  claim: () => {
    const exit = self.unsafePoll()
    return exit === null ? undefined : Exit.succeed(exit)
  },
  onReady: (wake) => {
    if (self.unsafePoll() !== null) {
      wake()
      return noop
    }
    const observer = () => wake()
    self.addObserver(observer)
    return () => self.removeObserver(observer)
  }
})

/** @internal */
export const fiber = <A, E>(self: Fiber.RuntimeFiber<A, E>): BranchImpl =>
  new BranchImpl({ _tag: "Readiness", readiness: fiberReadiness(self) }, true)

// -----------------------------------------------------------------------------
// AbortSignal: ready once aborted, with its reason. Nothing is consumed.
// -----------------------------------------------------------------------------

const onAbort = (signal: AbortSignal) => (wake: () => void): () => void => {
  if (signal.aborted) {
    wake()
    return noop
  }
  const listener = () => wake()
  signal.addEventListener("abort", listener, { once: true })
  return () => signal.removeEventListener("abort", listener)
}

/** @internal */
export const abortReadiness = (signal: AbortSignal): Readiness.Readiness<unknown, never> => ({
  claim: () => signal.aborted ? Exit.succeed(signal.reason) : undefined,
  onReady: onAbort(signal)
})

/** @internal */
export const abort = (signal: AbortSignal): BranchImpl =>
  new BranchImpl({ _tag: "Readiness", readiness: abortReadiness(signal) }, true)

/** A branch that fails with `Aborted { reason }` once `signal` aborts: the stop branch of `abortable`. */
export const abortFailure = (signal: AbortSignal): BranchImpl =>
  new BranchImpl({
    _tag: "Readiness",
    readiness: {
      claim: () => signal.aborted ? Exit.fail(new Aborted({ reason: signal.reason })) : undefined,
      onReady: onAbort(signal)
    }
  }, true)

// -----------------------------------------------------------------------------
// Mailbox: readiness from its size, a synchronous take, wakeups from its own taker set.
// -----------------------------------------------------------------------------

/** @internal */
export const take = <A, E>(self: Mailbox.ReadonlyMailbox<A, E>): BranchImpl =>
  new BranchImpl({ _tag: "Readiness", readiness: mailboxReadiness(self) }, true)

// -----------------------------------------------------------------------------
// Stream: a worker fiber owns the stream and hands its elements over one chunk at a time.
// -----------------------------------------------------------------------------

class StreamHandoff<A, E> {
  buffer: Array<A> = []
  index = 0
  ended: Exit.Exit<never, E | Cause.NoSuchElementException> | undefined = undefined
  resumeWorker: (() => void) | undefined = undefined
  readonly readers = new Wakers()

  isReady = (): boolean => this.index < this.buffer.length || this.ended !== undefined

  claim = (): Exit.Exit<A, E | Cause.NoSuchElementException> | undefined => {
    if (this.index < this.buffer.length) {
      const value = this.buffer[this.index++]!
      if (this.index === this.buffer.length) {
        this.buffer = []
        this.index = 0
        const resume = this.resumeWorker
        this.resumeWorker = undefined
        resume?.()
      }
      return Exit.succeed(value)
    }
    return this.ended
  }

  /** The worker's step: publish one chunk, then wait until readers have claimed all of it. */
  offer = (chunk: Chunk.Chunk<A>): Effect.Effect<void> =>
    Effect.async<void>((resume) => {
      this.buffer = Chunk.toArray(chunk)
      this.index = 0
      if (this.buffer.length === 0) return resume(Effect.void)
      this.resumeWorker = () => resume(Effect.void)
      this.readers.wakeAll()
    })

  end = (exit: Exit.Exit<void, E>): void => {
    this.ended = Exit.isSuccess(exit) ? Exit.fail(new Cause.NoSuchElementException()) : Exit.failCause(exit.cause)
    this.readers.wakeAll()
  }
}

/** @internal */
export const fromStream = <A, E, R>(
  stream: Stream.Stream<A, E, R>
): Effect.Effect<Readiness.Claimable<A, E | Cause.NoSuchElementException>, never, R | Scope.Scope> =>
  Effect.suspend(() => {
    const handoff = new StreamHandoff<A, E>()
    return Effect.as(
      Effect.forkScoped(
        Effect.onExit(S.runForEachChunk(stream, handoff.offer), (exit) => Effect.sync(() => handoff.end(exit)))
      ),
      Readiness.make<A, E | Cause.NoSuchElementException>({
        claim: handoff.claim,
        onReady: (wake) => handoff.readers.register(handoff.isReady, wake)
      })
    )
  })

// -----------------------------------------------------------------------------
// Ticker: a periodic tick that keeps its schedule across selects.
// -----------------------------------------------------------------------------

/** @internal */
export const ticker = (
  period: Duration.DurationInput
): Effect.Effect<Readiness.Claimable<number>, never, Scope.Scope> =>
  Effect.suspend(() => {
    let pending = 0
    const readers = new Wakers()
    const isReady = () => pending > 0
    const tick = Effect.sync(() => {
      pending++
      readers.wakeAll()
    })
    return Effect.as(
      Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(period), tick))),
      Readiness.make<number>({
        claim: () => {
          if (pending === 0) return undefined
          const ticks = pending
          pending = 0
          return Exit.succeed(ticks)
        },
        onReady: (wake) => readers.register(isReady, wake)
      })
    )
  })
