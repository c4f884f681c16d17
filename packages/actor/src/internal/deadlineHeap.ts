/**
 * A binary min-heap of deadlines whose entries remember their own position, so an entry can be
 * removed in O(log n) when its ask is answered instead of lingering until its deadline.
 */

/** @internal */
export interface HeapEntry {
  readonly deadline: number
  /** Position in the heap, -1 when not in it. */
  heapIndex: number
}

/** @internal */
export class DeadlineHeap<E extends HeapEntry> {
  private readonly items: Array<E> = []

  get size(): number {
    return this.items.length
  }

  peek(): E | undefined {
    return this.items[0]
  }

  push(entry: E): void {
    entry.heapIndex = this.items.length
    this.items.push(entry)
    this.siftUp(entry.heapIndex)
  }

  /** Removes and returns the earliest entry. */
  pop(): E | undefined {
    const first = this.items[0]
    if (first !== undefined) this.removeAt(0)
    return first
  }

  /** Removes `entry` if it is in the heap; harmless otherwise. */
  remove(entry: E): void {
    const index = entry.heapIndex
    if (index >= 0 && this.items[index] === entry) this.removeAt(index)
  }

  private removeAt(index: number): void {
    const items = this.items
    const removed = items[index]!
    const last = items.pop()!
    removed.heapIndex = -1
    if (index === items.length) return
    items[index] = last
    last.heapIndex = index
    this.siftDown(index)
    this.siftUp(last.heapIndex)
  }

  private siftUp(index: number): void {
    const items = this.items
    const entry = items[index]!
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = items[parentIndex]!
      if (parent.deadline <= entry.deadline) break
      items[index] = parent
      parent.heapIndex = index
      index = parentIndex
    }
    items[index] = entry
    entry.heapIndex = index
  }

  private siftDown(index: number): void {
    const items = this.items
    const length = items.length
    const entry = items[index]!
    while (true) {
      const left = 2 * index + 1
      if (left >= length) break
      const right = left + 1
      const child = right < length && items[right]!.deadline < items[left]!.deadline ? right : left
      const childEntry = items[child]!
      if (entry.deadline <= childEntry.deadline) break
      items[index] = childEntry
      childEntry.heapIndex = index
      index = child
    }
    items[index] = entry
    entry.heapIndex = index
  }
}
