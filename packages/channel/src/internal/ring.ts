/**
 * A growable FIFO ring buffer with a power-of-two backing array: O(1) push/shift, batch drain,
 * no per-element allocation.
 *
 * @internal
 */
export class Ring<A> {
  private items: Array<A | undefined>
  private mask: number
  private head = 0
  length = 0

  constructor(initialCapacity: number) {
    let size = 16
    while (size < initialCapacity && size < 65536) size *= 2
    this.items = new Array(size)
    this.mask = size - 1
  }

  push(value: A): void {
    if (this.length === this.items.length) this.grow()
    this.items[(this.head + this.length) & this.mask] = value
    this.length++
  }

  /** Removes and returns the oldest element. The caller checks `length > 0` first. */
  shift(): A {
    const value = this.items[this.head] as A
    this.items[this.head] = undefined
    this.head = (this.head + 1) & this.mask
    this.length--
    return value
  }

  /** Appends `values[from..end)` in order. */
  pushAll(values: ReadonlyArray<A>, from: number, end: number): void {
    const count = end - from
    while (this.length + count > this.items.length) this.grow()
    const items = this.items
    const mask = this.mask
    let at = this.head + this.length
    for (let i = from; i < end; i++) items[at++ & mask] = values[i]
    this.length += count
  }

  /** Removes and returns up to `max` of the oldest elements, in order, with bulk copies. */
  drain(max: number): Array<A> {
    const count = Math.min(max, this.length)
    const items = this.items
    const start = this.head
    const end = start + count
    let out: Array<A | undefined>
    if (end <= items.length) {
      out = items.slice(start, end)
      items.fill(undefined, start, end)
    } else {
      const wrapped = end - items.length
      out = items.slice(start).concat(items.slice(0, wrapped))
      items.fill(undefined, start)
      items.fill(undefined, 0, wrapped)
    }
    this.head = end & this.mask
    this.length -= count
    return out as Array<A>
  }

  private grow(): void {
    const old = this.items
    const size = old.length * 2
    const items = new Array<A | undefined>(size)
    for (let i = 0; i < this.length; i++) items[i] = old[(this.head + i) & this.mask]
    this.items = items
    this.mask = size - 1
    this.head = 0
  }
}
