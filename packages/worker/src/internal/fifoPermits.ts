import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import type * as Option from "effect/Option"

/**
 * A counting semaphore that hands each released permit to the longest waiter, waking exactly
 * one fiber per release.
 *
 * Why not `Effect.Semaphore`: in effect 3.22 a release resumes every waiter while the permit is
 * still free (a waiter only takes it once it runs), so all but one wake up, find it taken and
 * wait again. With 64 jobs waiting for 2 threads that is 63 wasted fiber resumptions per job, and
 * the pool spent more main-thread time per job than the job took on its thread.
 *
 * Cancellation safety: a waiter's state (`waiting` → `granted` or `cancelled`) changes only in
 * synchronous code, and the one finalizer of `withPermit` reads it, so a permit granted to a
 * fiber that is interrupted before it could use it is passed on, never lost.
 *
 * @internal
 */
export interface FifoPermits {
  /** Runs `use` holding one permit, waiting in arrival order for it. */
  readonly withPermit: <A, E, R>(use: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Runs `use` holding one permit if one is free and nobody waits; `None` otherwise. */
  readonly withPermitIfAvailable: <A, E, R>(use: Effect.Effect<A, E, R>) => Effect.Effect<Option.Option<A>, E, R>
  /** Completes once every permit is free (every holder and waiter has finished). */
  readonly allReturned: Effect.Effect<void>
  /** Fibers waiting for a permit. */
  readonly waiting: () => number
}

interface Waiter {
  state: "waiting" | "granted" | "cancelled"
  readonly granted: Deferred.Deferred<void>
  next: Waiter | undefined
}

/** @internal */
export const make = (permits: number): FifoPermits => {
  let free = permits
  let waiting = 0
  // A singly linked FIFO; cancelled waiters stay in it and are skipped when reached.
  let head: Waiter | undefined
  let tail: Waiter | undefined
  let whenAllReturned: Array<() => void> = []

  const enqueue = (): Waiter => {
    const waiter: Waiter = { state: "waiting", granted: Deferred.unsafeMake(FiberId.none), next: undefined }
    if (tail === undefined) head = waiter
    else tail.next = waiter
    tail = waiter
    waiting++
    return waiter
  }

  const release = (): void => {
    while (head !== undefined) {
      const waiter = head
      head = waiter.next
      if (head === undefined) tail = undefined
      if (waiter.state === "waiting") {
        waiter.state = "granted"
        waiting--
        Deferred.unsafeDone(waiter.granted, Exit.void)
        return
      }
    }
    free++
    if (free === permits && whenAllReturned.length > 0) {
      const resumes = whenAllReturned
      whenAllReturned = []
      for (const resume of resumes) resume()
    }
  }

  // Runs in the finalizer: holding a permit (granted, possibly never used) returns it; still
  // waiting leaves the queue.
  const leave = (waiter: Waiter) =>
    Effect.sync(() => {
      if (waiter.state === "granted") return release()
      waiter.state = "cancelled"
      waiting--
    })

  const withPermit = <A, E, R>(use: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        if (free > 0 && waiting === 0) {
          free--
          return Effect.ensuring(restore(use), Effect.sync(release))
        }
        const waiter = enqueue()
        return Effect.ensuring(restore(Effect.zipRight(Deferred.await(waiter.granted), use)), leave(waiter))
      })
    )

  const withPermitIfAvailable = <A, E, R>(use: Effect.Effect<A, E, R>): Effect.Effect<Option.Option<A>, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        if (free === 0 || waiting > 0) return Effect.succeedNone
        free--
        return Effect.ensuring(Effect.asSome(restore(use)), Effect.sync(release))
      })
    )

  const allReturned = Effect.async<void>((resume) => {
    if (free === permits) return resume(Effect.void)
    const onReturned = () => resume(Effect.void)
    whenAllReturned.push(onReturned)
    return Effect.sync(() => {
      whenAllReturned = whenAllReturned.filter((f) => f !== onReturned)
    })
  })

  return { withPermit, withPermitIfAvailable, allReturned, waiting: () => waiting }
}
