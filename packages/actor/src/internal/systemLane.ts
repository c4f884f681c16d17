import { Readiness } from "@weft/channel"
import * as Exit from "effect/Exit"

/**
 * The system lane: an unbounded FIFO of control messages that is never dropped. It is a plain
 * array with one waker because it has exactly one consumer (the actor loop, or the deadline
 * timer, which uses one as its wake-up signal) and its producers only ever append, synchronously.
 *
 * @internal
 */
export class SystemLane<A> implements Readiness.Claimable<A> {
  private items: Array<A> = []
  private head = 0
  private waker: (() => void) | undefined = undefined

  readonly [Readiness.TypeId]: Readiness.Readiness<A, never> = {
    claim: () => {
      const value = this.poll()
      return value === undefined ? undefined : Exit.succeed(value)
    },
    onReady: (wake) => {
      if (this.head < this.items.length) {
        wake()
        return () => {}
      }
      this.waker = wake
      return () => {
        if (this.waker === wake) this.waker = undefined
      }
    }
  }

  get size(): number {
    return this.items.length - this.head
  }

  push(value: A): void {
    this.items.push(value)
    const waker = this.waker
    if (waker !== undefined) {
      this.waker = undefined
      waker()
    }
  }

  /** Takes every queued `value` out (compared by identity): a control message gone stale. */
  remove(value: A): void {
    const kept = this.items.slice(this.head).filter((item) => item !== value)
    this.items = kept
    this.head = 0
  }

  poll(): A | undefined {
    if (this.head === this.items.length) return undefined
    const value = this.items[this.head]!
    this.head++
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    }
    return value
  }
}
