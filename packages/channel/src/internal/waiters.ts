/**
 * An intrusive FIFO list of one-shot wakers: the parked receivers (or senders) of a channel.
 *
 * A waker is removed from the list before it is called, so it runs at most once. A consumer that
 * was woken but took nothing (it was interrupted, or a `select` chose another branch) cancels its
 * node, and `cancel` passes the wakeup on to the next waiter while the source is still ready —
 * so one wakeup per ready item is enough and no wakeup is ever lost.
 *
 * @internal
 */
export class Waiter {
  prev: Waiter | undefined = undefined
  next: Waiter | undefined = undefined
  /** `true` once the waker was taken off the list and called. */
  fired = false
  /** `true` while the node is on a list. */
  linked = true
  constructor(readonly wake: () => void) {}
}

/** @internal */
export class WaiterList {
  private head: Waiter | undefined = undefined
  private tail: Waiter | undefined = undefined
  size = 0

  add(wake: () => void): Waiter {
    const node = new Waiter(wake)
    if (this.tail === undefined) {
      this.head = node
    } else {
      this.tail.next = node
      node.prev = this.tail
    }
    this.tail = node
    this.size++
    return node
  }

  /** Wakes the oldest waiter. Returns `false` when nobody waits. */
  wakeOne(): boolean {
    const node = this.head
    if (node === undefined) return false
    this.unlink(node)
    node.fired = true
    node.wake()
    return true
  }

  /** Wakes up to `n` waiters, oldest first. */
  wakeMany(n: number): void {
    while (n-- > 0 && this.wakeOne()) {
      // keep waking
    }
  }

  wakeAll(): void {
    while (this.wakeOne()) {
      // keep waking
    }
  }

  /**
   * Withdraws a waiter. When its waker already ran but its owner took nothing, the wakeup is
   * passed on to the next waiter as long as `stillReady()` holds.
   */
  cancel(node: Waiter, stillReady: () => boolean): void {
    if (node.linked) {
      this.unlink(node)
    } else if (node.fired && stillReady()) {
      node.fired = false
      this.wakeOne()
    }
  }

  private unlink(node: Waiter): void {
    if (node.prev === undefined) this.head = node.next
    else node.prev.next = node.next
    if (node.next === undefined) this.tail = node.prev
    else node.next.prev = node.prev
    node.prev = undefined
    node.next = undefined
    node.linked = false
    this.size--
  }
}
