import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import { dual, identity } from "effect/Function"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Arena from "../Arena.js"
import type * as MessageRef from "../MessageRef.js"
import { claimOr } from "./effectCompat.js"
import {
  type ArenaClosed,
  ArenaFull,
  type InvalidArenaConfig,
  type InvalidCount,
  PayloadTooLarge,
  type RefcountOverflow,
  type StaleRef
} from "./errors.js"
import { validate } from "./options.js"
import { ArenaStore, noTags } from "./store.js"

/** @internal */
export const TypeId: Arena.TypeId = Symbol.for("@weft/arena/Arena") as Arena.TypeId

/** How many leaked refs the close report names; the count is always exact. */
const leakSampleSize = 8

const emptyRefs: ReadonlyArray<MessageRef.MessageRef> = []

/** Where a suspended `alloc` stands; every transition happens inside one synchronous step. */
type WaiterState = "waiting" | "granted" | "taken" | "closed" | "abandoned"

/**
 * A suspended `alloc`, linked into the arena's FIFO queue. When room frees up the arena stores the
 * waiter's value itself ("granted") and wakes the fiber, so a later `alloc` can never take the
 * room first. The fiber then takes the ref over in a step of its own ("taken"), whose result is
 * the caller's. Until then the arena still owns the slot: an interrupt that lands before the
 * take-over frees it, through the wait's canceler or — for an interrupt that surfaces only after
 * the wait has ended, which a scheduler may arrange by yielding there — through `onFiberExit`.
 */
class Waiter<A> {
  prev: Waiter<A> | undefined = undefined
  next: Waiter<A> | undefined = undefined
  state: WaiterState = "waiting"
  ref: MessageRef.MessageRef | undefined = undefined
  resume: (effect: Effect.Effect<void, ArenaClosed>) => void = noResume
  constructor(
    readonly value: A,
    readonly size: number,
    readonly fiber: Fiber.RuntimeFiber<unknown, unknown>,
    readonly onFiberExit: () => void
  ) {}
}

const noResume = (): void => {}

/**
 * The signals an allocation step throws to leave its `Effect.sync` by the failure path, so that a
 * successful step hands its ref straight to the caller's continuation: the fiber runtime may yield,
 * and then be interrupted, between any two steps, and a ref returned one step later would be lost
 * in that gap. Classes, matched with `instanceof`, which survives the Proxy Effect wraps object
 * defects in inside traced fibers.
 */
class MustWait<A> {
  constructor(readonly value: A, readonly size: number) {}
}

class Refused {
  constructor(readonly effect: Effect.Effect<never, ArenaFull | PayloadTooLarge | ArenaClosed>) {}
}

/** @internal */
export class ArenaImpl<A> extends ArenaStore<A> implements Arena.Arena<A> {
  declare readonly [TypeId]: Arena.TypeId
  private readonly failWhenFull: boolean
  private head: Waiter<A> | undefined = undefined
  private tail: Waiter<A> | undefined = undefined

  constructor(options: Arena.Options<A>, generationBits: number) {
    super(options, generationBits)
    this.failWhenFull = options.onFull === "fail"
  }

  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  alloc(value: A): Effect.Effect<MessageRef.MessageRef, ArenaFull | PayloadTooLarge | ArenaClosed> {
    return this.claim(() => this.allocStep(value), identity)
  }

  tryAlloc(value: A): Effect.Effect<Option.Option<MessageRef.MessageRef>, PayloadTooLarge | ArenaClosed> {
    // One step, so the ref is the caller's in the step that stored it.
    return claimOr(
      () => {
        const size = this.bytesOf(value)
        const refused = this.refuseAlloc(size)
        if (refused !== undefined) throw new Refused(refused)
        return this.hasRoomNow(size) ? Option.some(this.insert(this.adopt(value), size)) : Option.none()
      },
      // The step never waits, and refuses only with `refuseAlloc`'s errors, never `ArenaFull`.
      (thrown) =>
        this.recover(thrown, Option.some) as
          | Effect.Effect<Option.Option<MessageRef.MessageRef>, PayloadTooLarge | ArenaClosed>
          | undefined
    )
  }

  allocUpTo(
    values: ReadonlyArray<A>
  ): Effect.Effect<ReadonlyArray<MessageRef.MessageRef>, ArenaFull | PayloadTooLarge | ArenaClosed> {
    if (values.length === 0) return Effect.succeed(emptyRefs)
    // Nothing fits now: the first value waits (or fails) exactly as `alloc` would; once it is
    // taken over, whatever fits behind it joins it in the same step.
    return this.claim(
      () => {
        const refs: Array<MessageRef.MessageRef> = []
        this.insertFitting(values, 0, refs)
        if (refs.length > 0) return refs
        refs.push(this.allocStep(values[0]!))
        return this.insertFitting(values, 1, refs)
      },
      (first) => this.insertFitting(values, 1, [first])
    )
  }

  allocScoped(value: A): Effect.Effect<MessageRef.MessageRef, ArenaFull | PayloadTooLarge | ArenaClosed, Scope.Scope> {
    // The allocation is interruptible (restore) and its last step hands the ref over; leaving
    // `restore` does not check for interrupts, so the finalizer is always registered for it.
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(
        restore(this.alloc(value)),
        (ref) => Effect.as(Effect.addFinalizer(() => Effect.ignore(this.release(ref))), ref)
      )
    )
  }

  /**
   * The layer's finalizer: frees every message, fails every waiter with `ArenaClosed`, and logs
   * the refs that were still live. Idempotent.
   */
  get close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.void
      this.closed = true
      const leaked = this.slots.freeAll(leakSampleSize)
      this.leaked = leaked.count
      this.leakedSample = leaked.sample
      let waiter = this.head
      this.head = this.tail = undefined
      this.waiting = 0
      while (waiter !== undefined) {
        const next = waiter.next
        waiter.prev = waiter.next = undefined
        this.failClosed(waiter)
        waiter = next
      }
      this.metrics.live.unsafeUpdate(0, noTags)
      this.metrics.bytes.unsafeUpdate(0, noTags)
      this.metrics.waiting.unsafeUpdate(0, noTags)
      if (leaked.count === 0) return Effect.void
      this.metrics.leaked.unsafeUpdate(leaked.count, noTags)
      return Effect.logWarning(`arena "${this.name}" closed with ${leaked.count} leaked message(s)`).pipe(
        Effect.annotateLogs({
          arena: this.name,
          leaked: leaked.count,
          sample: leaked.sample.map(String).join(", ")
        })
      )
    })
  }

  // ---------------------------------------------------------------------------------------------
  // Allocation and backpressure

  /**
   * Runs `step` as one synchronous step whose result is the caller's (see `effectCompat.ts`);
   * when it throws `MustWait` the fiber waits for room, and `finish` turns the ref it takes over
   * into the result.
   */
  private claim<X>(
    step: () => X,
    finish: (ref: MessageRef.MessageRef) => X
  ): Effect.Effect<X, ArenaFull | PayloadTooLarge | ArenaClosed> {
    return claimOr(step, (thrown) => this.recover(thrown, finish))
  }

  /** How an allocation step that threw goes on: refused, or waiting; `undefined` for a defect. */
  private recover<X>(
    thrown: unknown,
    finish: (ref: MessageRef.MessageRef) => X
  ): Effect.Effect<X, ArenaFull | PayloadTooLarge | ArenaClosed> | undefined {
    if (thrown instanceof Refused) return thrown.effect
    if (thrown instanceof MustWait) return this.waitForRoom(thrown.value as A, thrown.size, finish)
    return undefined
  }

  /** Stores `value` if it fits now; otherwise throws why not (`Refused`) or that it waits (`MustWait`). */
  private allocStep(value: A): MessageRef.MessageRef {
    const size = this.bytesOf(value)
    const refused = this.refuseAlloc(size)
    if (refused !== undefined) throw new Refused(refused)
    if (this.hasRoomNow(size)) return this.insert(this.adopt(value), size)
    if (this.failWhenFull) {
      throw new Refused(Effect.fail(
        new ArenaFull({ capacity: this.slots.capacity, live: this.slots.live, bytes: this.slots.bytes })
      ))
    }
    throw new MustWait(this.adopt(value), size)
  }

  /** Why no allocation of `size` bytes can ever succeed now, if that is the case. */
  private refuseAlloc(size: number): Effect.Effect<never, PayloadTooLarge | ArenaClosed> | undefined {
    if (this.closed) return Effect.fail(this.closedError())
    if (size > this.maxBytes) return Effect.fail(new PayloadTooLarge({ size, maxBytes: this.maxBytes }))
    return undefined
  }

  /** Room for `size` more bytes that no earlier waiter is queued for. */
  private hasRoomNow(size: number): boolean {
    return this.head === undefined && this.fits(size)
  }

  private fits(size: number): boolean {
    return this.slots.freeCount > 0 && this.slots.bytes + size <= this.maxBytes
  }

  /**
   * Queues a waiter and suspends (interruptibly, as the caller is) until it is granted room or the
   * arena closes; then takes the granted ref over in one step. An interrupt before the take-over
   * gives the room back: the wait's canceler does, or the fiber's exit does for an interrupt that
   * surfaces between the end of the wait and the take-over.
   *
   * Why a fiber observer (`RuntimeFiber.addObserver`, public) and not
   * `Effect.uninterruptibleMask` + `Effect.onInterrupt`: leaving the mask is itself a point where a
   * pending interrupt is taken, and it drops the region's result — the ref already taken over —
   * so a slot leaks. Tried: `Arena.handover.test.ts` then fails at step 7 for `alloc`, `allocUpTo`
   * and `allocScoped`. The take-over's own step hands the ref to the caller's continuation as its
   * value, with nothing in between where an interrupt could land.
   */
  private waitForRoom<X>(
    value: A,
    size: number,
    finish: (ref: MessageRef.MessageRef) => X
  ): Effect.Effect<X, ArenaClosed> {
    return Effect.withFiberRuntime((fiber) => {
      const waiter: Waiter<A> = new Waiter(value, size, fiber, () => this.abandon(waiter))
      return Effect.zipRight(
        Effect.async<void, ArenaClosed>((resume) => {
          waiter.resume = resume
          fiber.addObserver(waiter.onFiberExit)
          this.enqueue(waiter)
          return Effect.sync(waiter.onFiberExit)
        }),
        Effect.sync(() => finish(this.takeOver(waiter)))
      )
    })
  }

  /** The waiter's own step: the granted ref becomes the caller's. */
  private takeOver(waiter: Waiter<A>): MessageRef.MessageRef {
    waiter.fiber.removeObserver(waiter.onFiberExit)
    waiter.state = "taken"
    return waiter.ref!
  }

  /** Checks again at registration: room may have freed, or the arena closed, since `alloc` looked. */
  private enqueue(waiter: Waiter<A>): void {
    if (this.closed) {
      this.failClosed(waiter)
    } else if (this.hasRoomNow(waiter.size)) {
      this.grant(waiter)
    } else {
      waiter.prev = this.tail
      if (this.tail === undefined) this.head = waiter
      else this.tail.next = waiter
      this.tail = waiter
      this.metrics.waiting.unsafeUpdate(++this.waiting, noTags)
    }
  }

  private unlink(waiter: Waiter<A>): void {
    if (waiter.prev === undefined) this.head = waiter.next
    else waiter.prev.next = waiter.next
    if (waiter.next === undefined) this.tail = waiter.prev
    else waiter.next.prev = waiter.prev
    waiter.prev = waiter.next = undefined
    this.metrics.waiting.unsafeUpdate(--this.waiting, noTags)
  }

  private grant(waiter: Waiter<A>): void {
    waiter.ref = this.insert(waiter.value, waiter.size)
    waiter.state = "granted"
    waiter.resume(Effect.void)
  }

  private failClosed(waiter: Waiter<A>): void {
    waiter.fiber.removeObserver(waiter.onFiberExit)
    waiter.state = "closed"
    waiter.resume(Effect.fail(this.closedError()))
  }

  /** Strict FIFO: a head that does not fit yet holds back smaller waiters behind it. */
  private grantWaiters(): void {
    let waiter = this.head
    while (waiter !== undefined && this.fits(waiter.size)) {
      this.unlink(waiter)
      this.grant(waiter)
      waiter = this.head
    }
  }

  /** Gives back what an interrupted waiter was queued for or granted. Idempotent. */
  private abandon(waiter: Waiter<A>): void {
    waiter.fiber.removeObserver(waiter.onFiberExit)
    switch (waiter.state) {
      case "waiting": {
        const wasHead = waiter === this.head
        this.unlink(waiter)
        // The head may have been the only thing holding smaller waiters back.
        if (wasHead) this.grantWaiters()
        break
      }
      case "granted": {
        // The ref never reached the caller, so nobody else can hold a count on it.
        const index = this.slots.indexOf(waiter.ref!)
        if (index >= 0) this.releaseAt(index)
        break
      }
      default:
        // Taken (the caller owns the ref), closed, or abandoned already: nothing to give back.
        return
    }
    waiter.state = "abandoned"
  }

  protected roomFreed(): void {
    if (this.head !== undefined) this.grantWaiters()
  }

  /**
   * Stores `values[from..]` in order while each fits now with no waiter ahead, stopping at the
   * first that does not fit, is heavier than `maxBytes`, or when the arena is closed: that one is
   * left for the caller's next call, which waits for it or fails with its error. The counters
   * and metrics are updated once for the whole run.
   */
  private insertFitting(
    values: ReadonlyArray<A>,
    from: number,
    refs: Array<MessageRef.MessageRef>
  ): Array<MessageRef.MessageRef> {
    if (this.closed || this.head !== undefined) return refs
    // First how many fit, then adopt them (all at once with `adoptMany`), then store them.
    let free = this.slots.freeCount
    let bytes = this.slots.bytes
    let to = from
    for (; to < values.length && free > 0; to++, free--) {
      const size = this.bytesOf(values[to]!)
      if (size > this.maxBytes || bytes + size > this.maxBytes) break
      bytes += size
    }
    if (to === from) return refs
    if (this.adoptMany === undefined) {
      for (let i = from; i < to; i++) refs.push(this.slots.insert(this.adopt(values[i]!), this.bytesOf(values[i]!)))
    } else {
      const adopted = this.adoptMany(from === 0 && to === values.length ? values : values.slice(from, to))
      for (let i = from; i < to; i++) refs.push(this.slots.insert(adopted[i - from]!, this.bytesOf(values[i]!)))
    }
    this.inserted(to - from)
    return refs
  }
}

Object.defineProperty(ArenaImpl.prototype, TypeId, { value: TypeId })

// -----------------------------------------------------------------------------------------------
// Constructors

/** @internal */
export const isArena = (u: unknown): u is Arena.Arena<unknown> => typeof u === "object" && u !== null && TypeId in u

/**
 * `generationBits` is the tests' hook: a narrow generation counter wraps after a few reuses, so a
 * test can drive a slot through a whole wrap of exactly the code that wraps at 2^32.
 *
 * @internal
 */
export const make = <A>(
  options: Arena.Options<A>,
  generationBits = 32
): Effect.Effect<Arena.Arena<A>, InvalidArenaConfig, Scope.Scope> =>
  Effect.suspend(() => {
    const invalid = validate(options)
    return invalid !== undefined
      ? Effect.fail(invalid)
      : Effect.acquireRelease(Effect.sync(() => new ArenaImpl(options, generationBits)), (arena) => arena.close)
  })

// -----------------------------------------------------------------------------------------------
// Data-first / data-last forms of the methods

/** @internal */
export const alloc = dual(
  2,
  <A>(
    self: Arena.Arena<A>,
    value: A
  ): Effect.Effect<MessageRef.MessageRef, ArenaFull | PayloadTooLarge | ArenaClosed> => self.alloc(value)
)

/** @internal */
export const tryAlloc = dual(
  2,
  <A>(
    self: Arena.Arena<A>,
    value: A
  ): Effect.Effect<Option.Option<MessageRef.MessageRef>, PayloadTooLarge | ArenaClosed> => self.tryAlloc(value)
)

/** @internal */
export const allocUpTo = dual(
  2,
  <A>(
    self: Arena.Arena<A>,
    values: ReadonlyArray<A>
  ): Effect.Effect<ReadonlyArray<MessageRef.MessageRef>, ArenaFull | PayloadTooLarge | ArenaClosed> =>
    self.allocUpTo(values)
)

/** @internal */
export const allocScoped = dual(
  2,
  <A>(
    self: Arena.Arena<A>,
    value: A
  ): Effect.Effect<MessageRef.MessageRef, ArenaFull | PayloadTooLarge | ArenaClosed, Scope.Scope> =>
    self.allocScoped(value)
)

/** @internal */
export const get = dual(
  2,
  <A>(self: Arena.Arena<A>, ref: MessageRef.MessageRef): Effect.Effect<A, StaleRef | ArenaClosed> => self.get(ref)
)

/** @internal */
export const getAll = dual(
  2,
  <A>(
    self: Arena.Arena<A>,
    refs: ReadonlyArray<MessageRef.MessageRef>
  ): Effect.Effect<ReadonlyArray<A>, StaleRef | ArenaClosed> => self.getAll(refs)
)

/** @internal */
export const getOption = dual(
  2,
  <A>(self: Arena.Arena<A>, ref: MessageRef.MessageRef): Effect.Effect<Option.Option<A>, ArenaClosed> =>
    self.getOption(ref)
)

/** @internal */
export const retain = dual(
  2,
  <A>(
    self: Arena.Arena<A>,
    ref: MessageRef.MessageRef
  ): Effect.Effect<void, StaleRef | RefcountOverflow | ArenaClosed> => self.retain(ref)
)

/** @internal */
export const release = dual(
  2,
  <A>(self: Arena.Arena<A>, ref: MessageRef.MessageRef): Effect.Effect<void, StaleRef | ArenaClosed> =>
    self.release(ref)
)

/** @internal */
export const retainAll = dual(
  (args) => isArena(args[0]),
  <A>(
    self: Arena.Arena<A>,
    refs: ReadonlyArray<MessageRef.MessageRef>,
    times = 1
  ): Effect.Effect<void, StaleRef | RefcountOverflow | InvalidCount | ArenaClosed> => self.retainAll(refs, times)
)

/** @internal */
export const releaseAll = dual(
  2,
  <A>(self: Arena.Arena<A>, refs: ReadonlyArray<MessageRef.MessageRef>): Effect.Effect<number, ArenaClosed> =>
    self.releaseAll(refs)
)

/** @internal */
export const use = dual(
  3,
  <A, B, E, R>(
    self: Arena.Arena<A>,
    ref: MessageRef.MessageRef,
    f: (value: A) => Effect.Effect<B, E, R>
  ): Effect.Effect<B, E | StaleRef | RefcountOverflow | ArenaClosed, R> => self.use(ref, f)
)

/** @internal */
export const stats = <A>(self: Arena.Arena<A>): Effect.Effect<Arena.Stats> => self.stats
