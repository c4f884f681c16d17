/**
 * The arena's store: its slots, refcounts, counters and metrics, and the operations that read and
 * count references. Allocation — fitting values in and making callers wait for room — is the
 * subclass's (`arena.ts`), which hears of freed room through `roomFreed`.
 */
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import type * as Arena from "../Arena.js"
import type * as ArenaMetrics from "../ArenaMetrics.js"
import type * as MessageRef from "../MessageRef.js"
import { ArenaClosed, InvalidCount, RefcountOverflow, StaleRef } from "./errors.js"
import { metricsFor } from "./metrics.js"
import { maxRefcount, Slots } from "./slots.js"

/**
 * Metric updates without extra tags: the metrics' keys carry the arena tag already.
 *
 * @internal
 */
export const noTags: ReadonlyArray<never> = []

/** @internal */
export abstract class ArenaStore<A> {
  readonly slots: Slots<A>
  readonly name: string
  readonly metrics: ArenaMetrics.ArenaMetrics
  protected readonly maxBytes: number
  protected readonly bytesOf: (value: A) => number
  protected readonly adopt: (value: A) => A
  protected readonly adoptMany: ((values: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined
  protected waiting = 0
  protected closed = false
  protected allocs = 0
  protected frees = 0
  protected staleAccesses = 0
  protected highWater = 0
  protected leaked = 0
  protected leakedSample: ReadonlyArray<MessageRef.MessageRef> = []

  constructor(options: Arena.Options<A>, generationBits: number) {
    this.slots = new Slots(options.capacity, generationBits)
    this.name = options.name ?? "arena"
    this.maxBytes = options.maxBytes ?? Infinity
    this.bytesOf = options.bytesOf ?? (() => 0)
    this.adopt = options.adopt ?? identity
    this.adoptMany = options.adoptMany
    this.metrics = metricsFor(this.name)
    this.metrics.capacity.unsafeUpdate(options.capacity, noTags)
    this.metrics.live.unsafeUpdate(0, noTags)
    this.metrics.bytes.unsafeUpdate(0, noTags)
    this.metrics.waiting.unsafeUpdate(0, noTags)
    this.metrics.highWater.unsafeUpdate(0, noTags)
  }

  /** Called after slots were freed, in the same step, to hand the room to waiting allocations. */
  protected abstract roomFreed(): void

  // ---------------------------------------------------------------------------------------------
  // Reading and refcounting

  get(ref: MessageRef.MessageRef): Effect.Effect<A, StaleRef | ArenaClosed> {
    return Effect.suspend(() => {
      const index = this.liveIndex(ref)
      return index < 0 ? this.refuse(ref) : Effect.succeed(this.slots.values[index] as A)
    })
  }

  getAll(refs: ReadonlyArray<MessageRef.MessageRef>): Effect.Effect<ReadonlyArray<A>, StaleRef | ArenaClosed> {
    return Effect.suspend(() => {
      const values = new Array<A>(refs.length)
      for (let i = 0; i < refs.length; i++) {
        const index = this.liveIndex(refs[i]!)
        if (index < 0) return this.refuse(refs[i]!)
        values[i] = this.slots.values[index] as A
      }
      return Effect.succeed(values)
    })
  }

  getOption(ref: MessageRef.MessageRef): Effect.Effect<Option.Option<A>, ArenaClosed> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.fail(this.closedError())
      const index = this.slots.indexOf(ref)
      if (index >= 0) return Effect.succeed(Option.some(this.slots.values[index] as A))
      this.countStaleAccess()
      return Effect.succeed(Option.none())
    })
  }

  retain(ref: MessageRef.MessageRef): Effect.Effect<void, StaleRef | RefcountOverflow | ArenaClosed> {
    return Effect.suspend((): Effect.Effect<void, StaleRef | RefcountOverflow | ArenaClosed> => {
      const index = this.liveIndex(ref)
      if (index < 0) return this.refuse(ref)
      return this.retainAt(index) ? Effect.void : Effect.fail(new RefcountOverflow({ ref, max: maxRefcount }))
    })
  }

  release(ref: MessageRef.MessageRef): Effect.Effect<void, StaleRef | ArenaClosed> {
    return Effect.suspend(() => {
      const index = this.liveIndex(ref)
      if (index < 0) return this.refuse(ref)
      this.releaseAt(index)
      return Effect.void
    })
  }

  retainAll(
    refs: ReadonlyArray<MessageRef.MessageRef>,
    times: number
  ): Effect.Effect<void, StaleRef | RefcountOverflow | InvalidCount | ArenaClosed> {
    return Effect.suspend((): Effect.Effect<void, StaleRef | RefcountOverflow | InvalidCount | ArenaClosed> => {
      if (!Number.isSafeInteger(times) || times < 0) return Effect.fail(new InvalidCount({ count: times }))
      if (this.closed) return Effect.fail(this.closedError())
      if (times === 0) return Effect.void
      const refcounts = this.slots.refcounts
      // All or nothing: a stale ref or an overflow part-way undoes the counts already added
      // (counting duplicates exactly, since each occurrence was added on its own).
      for (let i = 0; i < refs.length; i++) {
        const ref = refs[i]!
        const index = this.slots.indexOf(ref)
        const overflows = index >= 0 && refcounts[index]! > maxRefcount - times
        if (index < 0 || overflows) {
          for (let j = 0; j < i; j++) refcounts[refs[j]!.index] = refcounts[refs[j]!.index]! - times
          return overflows ? Effect.fail(new RefcountOverflow({ ref, max: maxRefcount })) : this.refuse(ref)
        }
        refcounts[index] = refcounts[index]! + times
      }
      return Effect.void
    })
  }

  releaseAll(refs: ReadonlyArray<MessageRef.MessageRef>): Effect.Effect<number, ArenaClosed> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.fail(this.closedError())
      let stale = 0
      let freed = 0
      for (let i = 0; i < refs.length; i++) {
        const index = this.slots.indexOf(refs[i]!)
        if (index < 0) stale++
        else if (this.slots.release(index)) freed++
      }
      if (stale > 0) {
        this.staleAccesses += stale
        this.metrics.staleAccesses.unsafeUpdate(stale, noTags)
      }
      if (freed > 0) this.freed(freed)
      return Effect.succeed(stale)
    })
  }

  use<B, E, R>(
    ref: MessageRef.MessageRef,
    f: (value: A) => Effect.Effect<B, E, R>
  ): Effect.Effect<B, E | StaleRef | RefcountOverflow | ArenaClosed, R> {
    // The borrow is a retain taken and paired with its release in one uninterruptible step, so
    // `f` may be interrupted anywhere without leaking the count.
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend((): Effect.Effect<B, E | StaleRef | RefcountOverflow | ArenaClosed, R> => {
        const index = this.liveIndex(ref)
        if (index < 0) return this.refuse(ref)
        if (!this.retainAt(index)) return Effect.fail(new RefcountOverflow({ ref, max: maxRefcount }))
        const value = this.slots.values[index] as A
        return Effect.ensuring(restore(Effect.suspend(() => f(value))), Effect.sync(() => this.endBorrow(ref)))
      })
    )
  }

  get stats(): Effect.Effect<Arena.Stats> {
    return Effect.sync(() => this.unsafeStats())
  }

  unsafeStats(): Arena.Stats {
    return {
      capacity: this.slots.capacity,
      live: this.slots.live,
      bytes: this.slots.bytes,
      highWater: this.highWater,
      allocs: this.allocs,
      frees: this.frees,
      staleAccesses: this.staleAccesses,
      waiting: this.waiting,
      closed: this.closed,
      leaked: this.leaked,
      leakedSample: this.leakedSample
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Slot bookkeeping

  protected insert(value: A, size: number): MessageRef.MessageRef {
    const ref = this.slots.insert(value, size)
    this.inserted(1)
    return ref
  }

  protected inserted(count: number): void {
    const live = this.slots.live
    this.allocs += count
    if (live > this.highWater) {
      this.highWater = live
      this.metrics.highWater.unsafeUpdate(live, noTags)
    }
    this.metrics.allocs.unsafeUpdate(count, noTags)
    this.metrics.live.unsafeUpdate(live, noTags)
    this.metrics.bytes.unsafeUpdate(this.slots.bytes, noTags)
  }

  protected releaseAt(index: number): void {
    if (this.slots.release(index)) this.freed(1)
  }

  /** Books `count` slots just freed and hands the room on (see `roomFreed`). */
  private freed(count: number): void {
    this.frees += count
    this.metrics.frees.unsafeUpdate(count, noTags)
    this.metrics.live.unsafeUpdate(this.slots.live, noTags)
    this.metrics.bytes.unsafeUpdate(this.slots.bytes, noTags)
    this.roomFreed()
  }

  private retainAt(index: number): boolean {
    const count = this.slots.refcounts[index]!
    if (count === maxRefcount) return false
    this.slots.refcounts[index] = count + 1
    return true
  }

  private endBorrow(ref: MessageRef.MessageRef): void {
    // After close the slot was freed with everything else; its generation no longer matches.
    const index = this.liveIndex(ref)
    if (index >= 0) this.releaseAt(index)
  }

  /** The slot of a live ref, or -1 when the ref is stale or the arena closed. */
  private liveIndex(ref: MessageRef.MessageRef): number {
    return this.closed ? -1 : this.slots.indexOf(ref)
  }

  /** The failure for a ref `liveIndex` turned down. */
  private refuse(ref: MessageRef.MessageRef): Effect.Effect<never, StaleRef | ArenaClosed> {
    if (this.closed) return Effect.fail(this.closedError())
    this.countStaleAccess()
    return Effect.fail(new StaleRef({ ref, currentGeneration: this.slots.generationAt(ref.index) }))
  }

  private countStaleAccess(): void {
    this.staleAccesses++
    this.metrics.staleAccesses.unsafeUpdate(1, noTags)
  }

  protected closedError(): ArenaClosed {
    return new ArenaClosed({ arena: this.name })
  }
}
