import type { Option } from "effect"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { dual } from "effect/Function"
import { InvalidPermits } from "../ChannelError.js"
import type * as Semaphore from "../Semaphore.js"
import { ChannelEnd } from "./end.js"

/** @internal */
export const TypeId: Semaphore.TypeId = Symbol.for("@weft/channel/Semaphore") as Semaphore.TypeId

interface Waiter {
  state: "waiting" | "granted" | "cancelled"
  readonly granted: Deferred.Deferred<void>
  next: Waiter | undefined
}

/**
 * Each released permit goes to the longest waiter, and only that fiber wakes. A waiter's state
 * (`waiting` → `granted` or `cancelled`) changes only in synchronous code, and the one finalizer
 * of `withPermit` reads it, so a permit granted to a fiber interrupted before it could use it is
 * passed on, never lost.
 */
class SemaphoreImpl extends ChannelEnd implements Semaphore.Semaphore {
  readonly [TypeId]: Semaphore.TypeId = TypeId
  free: number
  waiting = 0
  // A singly linked FIFO; cancelled waiters stay in it and are skipped when reached.
  private head: Waiter | undefined = undefined
  private tail: Waiter | undefined = undefined
  private whenAllReturned: Array<() => void> = []

  constructor(readonly permits: number) {
    super()
    this.free = permits
  }

  toJSON() {
    return { _id: "Semaphore", permits: this.permits, available: this.free, waiting: this.waiting }
  }

  enqueue(): Waiter {
    const waiter: Waiter = { state: "waiting", granted: Deferred.unsafeMake(FiberId.none), next: undefined }
    if (this.tail === undefined) this.head = waiter
    else this.tail.next = waiter
    this.tail = waiter
    this.waiting++
    return waiter
  }

  readonly release = (): void => {
    while (this.head !== undefined) {
      const waiter = this.head
      this.head = waiter.next
      if (this.head === undefined) this.tail = undefined
      if (waiter.state === "waiting") {
        waiter.state = "granted"
        this.waiting--
        Deferred.unsafeDone(waiter.granted, Exit.void)
        return
      }
    }
    this.free++
    if (this.free === this.permits && this.whenAllReturned.length > 0) {
      const resumes = this.whenAllReturned
      this.whenAllReturned = []
      for (const resume of resumes) resume()
    }
  }

  /** The finalizer: holding a permit (granted, possibly never used) returns it; still waiting leaves the line. */
  leave(waiter: Waiter): Effect.Effect<void> {
    return Effect.sync(() => {
      if (waiter.state === "granted") return this.release()
      waiter.state = "cancelled"
      this.waiting--
    })
  }

  readonly allReturned: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.free === this.permits) return resume(Effect.void)
    const onReturned = () => resume(Effect.void)
    this.whenAllReturned.push(onReturned)
    return Effect.sync(() => {
      this.whenAllReturned = this.whenAllReturned.filter((f) => f !== onReturned)
    })
  })
}

const isValidPermits = (permits: number): boolean => Number.isSafeInteger(permits) && permits > 0

const implOf = (self: Semaphore.Semaphore): SemaphoreImpl => self as SemaphoreImpl

/** @internal */
export const unsafeMake = (permits: number): Semaphore.Semaphore => {
  if (!isValidPermits(permits)) throw new InvalidPermits({ permits })
  return new SemaphoreImpl(permits)
}

/** @internal */
export const make = (permits: number): Effect.Effect<Semaphore.Semaphore, InvalidPermits> =>
  Effect.suspend(() =>
    isValidPermits(permits) ? Effect.succeed(new SemaphoreImpl(permits)) : Effect.fail(new InvalidPermits({ permits }))
  )

/** @internal */
export const withPermit: {
  (self: Semaphore.Semaphore): <A, E, R>(use: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(use: Effect.Effect<A, E, R>, self: Semaphore.Semaphore): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(use: Effect.Effect<A, E, R>, self: Semaphore.Semaphore): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const impl = implOf(self)
        if (impl.free > 0 && impl.waiting === 0) {
          impl.free--
          return Effect.ensuring(restore(use), Effect.sync(impl.release))
        }
        const waiter = impl.enqueue()
        return Effect.ensuring(restore(Effect.zipRight(Deferred.await(waiter.granted), use)), impl.leave(waiter))
      })
    )
)

/** @internal */
export const withPermitIfAvailable: {
  (self: Semaphore.Semaphore): <A, E, R>(use: Effect.Effect<A, E, R>) => Effect.Effect<Option.Option<A>, E, R>
  <A, E, R>(use: Effect.Effect<A, E, R>, self: Semaphore.Semaphore): Effect.Effect<Option.Option<A>, E, R>
} = dual(
  2,
  <A, E, R>(use: Effect.Effect<A, E, R>, self: Semaphore.Semaphore): Effect.Effect<Option.Option<A>, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const impl = implOf(self)
        if (impl.free === 0 || impl.waiting > 0) return Effect.succeedNone
        impl.free--
        return Effect.ensuring(Effect.asSome(restore(use)), Effect.sync(impl.release))
      })
    )
)

/** @internal */
export const awaitAllReturned = (self: Semaphore.Semaphore): Effect.Effect<void> => implOf(self).allReturned

/** @internal */
export const available = (self: Semaphore.Semaphore): Effect.Effect<number> => Effect.sync(() => implOf(self).free)

/** @internal */
export const waiting = (self: Semaphore.Semaphore): Effect.Effect<number> => Effect.sync(() => implOf(self).waiting)
