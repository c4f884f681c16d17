import type * as MessageRef from "../MessageRef.js"
import { MessageRefImpl } from "./messageRef.js"

/** The largest refcount a `Uint32Array` cell holds. */
export const maxRefcount = 0xffff_ffff

/**
 * The synchronous heart of an arena: a fixed number of slots kept in parallel typed arrays
 * (generation, refcount, size) beside one array of values, and a stack of free slot indices.
 *
 * A slot is live while its refcount is above 0. Freeing a slot bumps its generation, so every ref
 * handed out for the old message stops matching. Generations wrap modulo `2^generationBits`
 * (32 outside tests): storing `(generation + 1) & mask` into a `Uint32Array` wraps correctly for
 * every width up to 32, so the small widths the tests use run exactly this code.
 *
 * Not thread-safe and not Effect-aware: the arena calls it from inside single `Effect.sync`-like
 * steps, which is what makes each operation atomic with respect to other fibers.
 *
 * @internal
 */
export class Slots<A> {
  readonly generations: Uint32Array
  readonly refcounts: Uint32Array
  readonly sizes: Float64Array
  readonly values: Array<A | undefined>
  readonly freeStack: Uint32Array
  readonly generationMask: number
  /** How many indices `freeStack` holds: the free slots. */
  freeCount: number
  live = 0
  bytes = 0

  constructor(readonly capacity: number, generationBits: number) {
    this.generations = new Uint32Array(capacity)
    this.refcounts = new Uint32Array(capacity)
    this.sizes = new Float64Array(capacity)
    this.values = new Array<A | undefined>(capacity).fill(undefined)
    this.freeStack = new Uint32Array(capacity)
    this.generationMask = generationBits === 32 ? 0xffff_ffff : 2 ** generationBits - 1
    this.freeCount = capacity
    this.resetFreeStack()
  }

  /** Slot 0 on top, so a fresh arena fills from index 0 up. */
  private resetFreeStack(): void {
    const capacity = this.capacity
    for (let i = 0; i < capacity; i++) this.freeStack[i] = capacity - 1 - i
    this.freeCount = capacity
  }

  /** Stores `value` in a free slot with refcount 1. The caller has checked `freeCount > 0`. */
  insert(value: A, size: number): MessageRef.MessageRef {
    const index = this.freeStack[--this.freeCount]!
    this.refcounts[index] = 1
    this.sizes[index] = size
    this.values[index] = value
    this.live++
    this.bytes += size
    return new MessageRefImpl(index, this.generations[index]!)
  }

  /** The slot of a live ref, or -1 when the ref is stale or from a larger arena. */
  indexOf(ref: MessageRef.MessageRef): number {
    const index = ref.index
    return index < this.capacity && this.refcounts[index]! > 0 && this.generations[index] === ref.generation
      ? index
      : -1
  }

  /** The generation a ref to slot `index` would need now, or `undefined` past the last slot. */
  generationAt(index: number): number | undefined {
    return index < this.capacity ? this.generations[index] : undefined
  }

  /** Drops one count from a live slot; frees it at 0. Returns whether the slot was freed. */
  release(index: number): boolean {
    const count = this.refcounts[index]! - 1
    this.refcounts[index] = count
    if (count > 0) return false
    this.free(index)
    return true
  }

  private free(index: number): void {
    this.values[index] = undefined
    this.bytes -= this.sizes[index]!
    this.sizes[index] = 0
    this.generations[index] = (this.generations[index]! + 1) & this.generationMask
    this.freeStack[this.freeCount++] = index
    this.live--
  }

  /**
   * Frees every live slot at once (generations bumped). Returns how many were live and the refs
   * of the first `sampleSize` of them.
   */
  freeAll(sampleSize: number): { readonly count: number; readonly sample: ReadonlyArray<MessageRef.MessageRef> } {
    let count = 0
    const sample: Array<MessageRef.MessageRef> = []
    for (let index = 0; index < this.capacity; index++) {
      if (this.refcounts[index]! === 0) continue
      if (count++ < sampleSize) sample.push(new MessageRefImpl(index, this.generations[index]!))
      this.refcounts[index] = 0
      this.generations[index] = (this.generations[index]! + 1) & this.generationMask
    }
    this.values.fill(undefined)
    this.sizes.fill(0)
    this.live = 0
    this.bytes = 0
    this.resetFreeStack()
    return { count, sample }
  }
}
