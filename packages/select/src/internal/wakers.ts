/**
 * A set of one-shot wakers for sources where readiness is shared by every consumer (an aborted
 * signal, a completed ticker) or cheap to re-check (a stream handoff slot): every waker is called
 * when the source may have become ready, and a woken consumer that finds nothing simply waits again.
 *
 * @internal
 */
export class Wakers {
  private readonly set = new Set<() => void>()

  /** `Readiness.onReady` over this set: wakes at once when `isReady()` already holds. */
  register(isReady: () => boolean, wake: () => void): () => void {
    if (isReady()) {
      wake()
      return noop
    }
    this.set.add(wake)
    return () => {
      this.set.delete(wake)
    }
  }

  wakeAll(): void {
    if (this.set.size === 0) return
    const woken = Array.from(this.set)
    this.set.clear()
    for (const wake of woken) wake()
  }
}

/** @internal */
export const noop = (): void => {}
