import type { Exit } from "effect"
import * as Effect from "effect/Effect"
import { claimOr } from "./effectCompat.js"
import type { WaiterList } from "./waiters.js"

/**
 * Suspends until a waker on `list` fires, or at once when `isReady()` already holds. Interrupted
 * after its waker fired, it passes the wakeup on (see `WaiterList.cancel`).
 *
 * @internal
 */
export const park = (list: WaiterList, isReady: () => boolean): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (isReady()) {
      resume(Effect.void)
      return
    }
    const node = list.add(() => resume(Effect.void))
    return Effect.sync(() => list.cancel(node, isReady))
  })

/**
 * The receive loop every channel shares: claim synchronously; when nothing is buffered either
 * report the end of the channel or park and try again.
 *
 * @internal
 */
export const receiveLoop = <A, E>(
  take: () => A,
  readers: WaiterList,
  isReady: () => boolean,
  ended: () => Exit.Exit<never, E> | undefined
): Effect.Effect<A, E> => {
  const loop: Effect.Effect<A, E> = claimOr(take, () => ended() ?? Effect.zipRight(park(readers, isReady), loop))
  return loop
}

/**
 * Waits until `isReady()` holds without consuming anything. The wakeup that ended the wait is
 * passed on, because this waiter does not claim: a receiver parked behind it still gets its turn.
 *
 * @internal
 */
export const awaitReady = (readers: WaiterList, isReady: () => boolean): Effect.Effect<void> => {
  const loop: Effect.Effect<void> = Effect.suspend(() =>
    isReady() ? Effect.void : Effect.zipRight(park(readers, isReady), passOn)
  )
  const passOn: Effect.Effect<void> = Effect.suspend(() => {
    if (!isReady()) return loop
    readers.wakeOne()
    return Effect.void
  })
  return loop
}

/**
 * `Readiness.onReady` over a waiter list: calls `wake` at once when already ready, otherwise
 * registers it. Unregistering after the waker ran passes the wakeup on while still ready.
 *
 * @internal
 */
export const onReady = (readers: WaiterList, isReady: () => boolean) => (wake: () => void): () => void => {
  if (isReady()) {
    wake()
    return noop
  }
  const node = readers.add(wake)
  return () => readers.cancel(node, isReady)
}

const noop = (): void => {}

/** @internal */
export const validCapacity = (capacity: number): boolean => Number.isInteger(capacity) && capacity > 0
