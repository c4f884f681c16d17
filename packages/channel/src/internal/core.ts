import type { Exit } from "effect"
import { Cause, Effect } from "effect"
import type { WaiterList } from "./waiters.js"

/**
 * The signal a claim step throws when nothing is ready. It never escapes this package: `claimOr`
 * catches it. A symbol, so throwing it captures no stack, and so it reaches `claimOr` as itself:
 * Effect wraps object defects in a Proxy (to attach the current span) inside traced fibers, which
 * would defeat the identity check.
 */
const NotReady: unique symbol = Symbol("@weft/channel/NotReady")

/** @internal */
export const notReady = (): never => {
  throw NotReady
}

const isNotReady = (cause: Cause.Cause<unknown>): boolean => Cause.isDieType(cause) && cause.defect === NotReady

/**
 * Runs `take` as one synchronous step and falls back to `onNotReady` when it throws `NotReady`.
 *
 * Why a thrown signal instead of returning a value or a suspended effect: the fiber runtime can
 * yield — and then be interrupted — between any two steps of an effect. A value taken in one step
 * and returned from the next could be lost in that gap. An `Effect.sync` step hands its result
 * directly to the caller's continuation (the recovery frame below it is skipped on success), so a
 * value that `take` removes from a buffer always reaches the caller.
 *
 * @internal
 */
export const claimOr = <A, A2, E2>(
  take: () => A,
  onNotReady: () => Effect.Effect<A2, E2>
): Effect.Effect<A | A2, E2> =>
  Effect.catchAllCause(Effect.sync(take), (cause) => isNotReady(cause) ? onNotReady() : Effect.failCause(cause))

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
