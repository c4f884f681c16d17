import { Readiness } from "@weft/channel"
import type { Deferred, Fiber, Mailbox, Scope, Stream } from "effect"
import { Cause, Chunk, Duration, Effect, Exit, Option, Stream as S } from "effect"
import { Aborted } from "../SelectError.js"
import { BranchImpl, isBranch } from "./core.js"
import type { EffectfulReadiness } from "./core.js"
import { noop, Wakers } from "./wakers.js"

/** @internal */
export const fromReadable = (readable: Readiness.Readable<unknown, unknown>): BranchImpl =>
  new BranchImpl({ _tag: "Readiness", readiness: readable[Readiness.TypeId] }, true)

/** @internal */
export const toBranch = (u: unknown): BranchImpl => {
  if (isBranch(u)) return u
  if (Readiness.isReadable(u)) return fromReadable(u)
  // Unreachable through the typed API; a plain value is a programming error.
  throw new TypeError(`a select branch must be a Branch or a Readable, got ${String(u)}`)
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

/**
 * The state every effect 3.22 `Deferred` keeps (marked internal in its typings): `Deferred.await`
 * is built from these joiners, and `Deferred.poll` from this state.
 */
interface DeferredInternals<A, E> {
  readonly state: {
    readonly current:
      | { readonly _tag: "Pending"; readonly joiners: Array<(effect: Effect.Effect<A, E>) => void> }
      | { readonly _tag: "Done"; readonly effect: Effect.Effect<A, E> }
  }
}

const hasDeferredState = <A, E>(u: Deferred.Deferred<A, E>): u is Deferred.Deferred<A, E> & DeferredInternals<A, E> =>
  "state" in u

/** @internal */
export const deferredReadiness = <A, E>(deferred: Deferred.Deferred<A, E>): EffectfulReadiness => {
  if (!hasDeferredState(deferred)) {
    throw new TypeError("Select.deferred: this Deferred keeps no readable state (effect 3.22 expected)")
  }
  const self = deferred
  return {
    claim: () => {
      const state = self.state.current
      return state._tag === "Done" ? state.effect : undefined
    },
    onReady: (wake) => {
      const state = self.state.current
      if (state._tag === "Done") {
        wake()
        return noop
      }
      const joiner = () => wake()
      state.joiners.push(joiner)
      return () => {
        const current = self.state.current
        if (current._tag === "Pending") {
          const index = current.joiners.indexOf(joiner)
          if (index >= 0) current.joiners.splice(index, 1)
        }
      }
    }
  }
}

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

/**
 * The parts of effect 3.22's `MailboxImpl` the adapter relies on. `unsafeTake` and the taker set
 * are not on the public `ReadonlyMailbox` interface, but they are what `Mailbox.take` itself is
 * built from: a synchronous take, and one-shot takers that the mailbox wakes when it gets
 * messages or ends.
 */
interface MailboxInternals<A, E> {
  readonly unsafeTake: () => Exit.Exit<A, E | Cause.NoSuchElementException> | undefined
  readonly unsafeSize: () => Option.Option<number>
  readonly state: {
    readonly _tag: "Open" | "Closing" | "Done"
    readonly takers?: Set<(exit: Exit.Exit<void, E>) => void>
    readonly offers?: Set<unknown>
  }
}

const isMailboxInternals = <A, E>(
  u: Mailbox.ReadonlyMailbox<A, E>
): u is Mailbox.ReadonlyMailbox<A, E> & MailboxInternals<A, E> =>
  "unsafeTake" in u && typeof u.unsafeTake === "function" && "state" in u

/** @internal */
export const mailboxReadiness = <A, E>(
  self: Mailbox.ReadonlyMailbox<A, E>
): Readiness.Readiness<A, E | Cause.NoSuchElementException> => {
  if (!isMailboxInternals(self)) {
    throw new TypeError("Select.take: this Mailbox implementation has no synchronous take (effect 3.22 expected)")
  }
  const mailbox = self
  const isReady = (): boolean => {
    const state = mailbox.state
    return state._tag === "Done" || Option.getOrElse(mailbox.unsafeSize(), () => 0) > 0 || (state.offers?.size ?? 0) > 0
  }
  return {
    claim: () => mailbox.unsafeTake(),
    onReady: (wake) => {
      const takers = mailbox.state.takers
      if (isReady() || takers === undefined) {
        wake()
        return noop
      }
      let fired = false
      const taker = () => {
        fired = true
        wake()
      }
      takers.add(taker)
      return () => {
        const state = mailbox.state
        if (state._tag === "Done" || state.takers === undefined) return
        if (!fired) {
          state.takers.delete(taker)
          return
        }
        // Woken but possibly not the one that took: pass the wakeup on, as Mailbox.take would.
        fired = false
        if (!isReady()) return
        for (const next of state.takers) {
          state.takers.delete(next)
          next(Exit.void)
          break
        }
      }
    }
  }
}

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
): Effect.Effect<Readiness.Readable<A, E | Cause.NoSuchElementException>, never, R | Scope.Scope> =>
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
export const ticker = (period: Duration.DurationInput): Effect.Effect<Readiness.Readable<number>, never, Scope.Scope> =>
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
