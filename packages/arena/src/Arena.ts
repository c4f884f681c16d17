/**
 * A generational, refcounted, bounded arena for values of any type.
 *
 * Store a value once with `alloc` and pass the returned `MessageRef` around: it is a small plain
 * value, so queues, maps and other fibers can hold it without holding the value. The arena keeps
 * a refcount per message (`retain` / `release`); when the count reaches 0 the slot is freed and its
 * generation bumped, so every ref to the old message becomes *stale*. A stale ref is answered with
 * `StaleRef` (or `None`), never with the message that reused the slot, and a stale `release` never
 * touches that message.
 *
 * The arena is bounded by `capacity` slots and, optionally, by `maxBytes` (with `bytesOf` to weigh
 * each value). When it is full, `alloc` waits in FIFO order (`onFull: "suspend"`, the default) or
 * fails with `ArenaFull` (`onFull: "fail"`); `tryAlloc` never waits. Waiting allocations are served
 * before any later one, so they cannot be starved.
 *
 * The arena lives in a `Scope`. Closing it frees every message, logs the refs that were still live
 * (also kept in `stats`), fails waiting allocations, and makes every later operation but `stats`
 * fail with `ArenaClosed`.
 *
 * Cancellation safety: every operation except a waiting `alloc` / `allocScoped` and the body of
 * `use` is a single synchronous step, so interruption finds it either not started or done; an
 * allocation's ref is the caller's result in the step that stores it. An interrupted waiting
 * allocation keeps no slot and no bytes — a grant it did not take over goes to the next waiter, at
 * the latest when the interrupted fiber ends — under any scheduler; `use` always returns its
 * borrow.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/arena.js"
import type {
  ArenaClosed,
  ArenaFull,
  InvalidArenaConfig,
  InvalidCount,
  PayloadTooLarge,
  RefcountOverflow,
  StaleRef
} from "./internal/errors.js"
import type * as MessageRef from "./MessageRef.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  ArenaClosed,
  /**
   * @since 0.1.0
   * @category errors
   */
  ArenaFull,
  /**
   * @since 0.1.0
   * @category errors
   */
  InvalidArenaConfig,
  /**
   * @since 0.1.0
   * @category errors
   */
  InvalidCount,
  /**
   * @since 0.1.0
   * @category errors
   */
  PayloadTooLarge,
  /**
   * @since 0.1.0
   * @category errors
   */
  RefcountOverflow,
  /**
   * @since 0.1.0
   * @category errors
   */
  StaleRef
} from "./internal/errors.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * An arena of `A` values. The methods are the same operations as this module's functions; the
 * functions' docs state each one's guarantees.
 *
 * @since 0.1.0
 * @category models
 */
export interface Arena<A> extends Pipeable {
  readonly [TypeId]: TypeId
  /** See {@link alloc}. */
  alloc(value: A): Effect.Effect<MessageRef.MessageRef<A>, ArenaFull | PayloadTooLarge | ArenaClosed>
  /** See {@link tryAlloc}. */
  tryAlloc(value: A): Effect.Effect<Option.Option<MessageRef.MessageRef<A>>, PayloadTooLarge | ArenaClosed>
  /** See {@link allocUpTo}. */
  allocUpTo(
    values: ReadonlyArray<A>
  ): Effect.Effect<ReadonlyArray<MessageRef.MessageRef<A>>, ArenaFull | PayloadTooLarge | ArenaClosed>
  /** See {@link allocScoped}. */
  allocScoped(value: A): Effect.Effect<MessageRef.MessageRef<A>, ArenaFull | PayloadTooLarge | ArenaClosed, Scope.Scope>
  /** See {@link get}. */
  get(ref: MessageRef.MessageRef<A>): Effect.Effect<A, StaleRef | ArenaClosed>
  /** See {@link getAll}. */
  getAll(refs: ReadonlyArray<MessageRef.MessageRef<A>>): Effect.Effect<ReadonlyArray<A>, StaleRef | ArenaClosed>
  /** See {@link getOption}. */
  getOption(ref: MessageRef.MessageRef<A>): Effect.Effect<Option.Option<A>, ArenaClosed>
  /** See {@link retain}. */
  retain(ref: MessageRef.MessageRef<A>): Effect.Effect<void, StaleRef | RefcountOverflow | ArenaClosed>
  /** See {@link release}. */
  release(ref: MessageRef.MessageRef<A>): Effect.Effect<void, StaleRef | ArenaClosed>
  /** See {@link retainAll}. */
  retainAll(
    refs: ReadonlyArray<MessageRef.MessageRef<A>>,
    times: number
  ): Effect.Effect<void, StaleRef | RefcountOverflow | InvalidCount | ArenaClosed>
  /** See {@link releaseAll}. */
  releaseAll(refs: ReadonlyArray<MessageRef.MessageRef<A>>): Effect.Effect<number, ArenaClosed>
  /** See {@link use}. */
  use<B, E, R>(
    ref: MessageRef.MessageRef<A>,
    f: (value: A) => Effect.Effect<B, E, R>
  ): Effect.Effect<B, E | StaleRef | RefcountOverflow | ArenaClosed, R>
  /** See {@link stats}. */
  readonly stats: Effect.Effect<Stats>
}

/**
 * Whether `u` is an arena.
 *
 * @since 0.1.0
 * @category guards
 */
export const isArena = (u: unknown): u is Arena<unknown> => Predicate.hasProperty(u, TypeId)

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<A> {
  /** How many messages the arena holds at once: an integer from 1 to 2^24. */
  readonly capacity: number
  /** The most bytes (as weighed by `bytesOf`) the live messages may hold together. Needs `bytesOf`. */
  readonly maxBytes?: number | undefined
  /** Weighs a value, in bytes, for `maxBytes` and `stats.bytes`. Without it every value weighs 0. */
  readonly bytesOf?: ((value: A) => number) | undefined
  /** What `alloc` does when the arena is full: wait for room (the default) or fail with `ArenaFull`. */
  readonly onFull?: "suspend" | "fail" | undefined
  /**
   * Applied to each value as the arena stores it, e.g. to copy it into memory the arena owns. It
   * must not change the value's weight.
   */
  readonly adopt?: ((value: A) => A) | undefined
  /**
   * Applied instead of `adopt` to the values one `allocUpTo` stores at once (every value it stores
   * without waiting), e.g. to copy them all with one allocation. It returns one value per value,
   * in order, and must not change any value's weight. Default: `adopt` on each.
   */
  readonly adoptMany?: ((values: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined
  /** Names the arena in its metrics (tag `arena`), its close report and `ArenaClosed`. Default "arena". */
  readonly name?: string | undefined
}

/**
 * A snapshot of an arena's counters. `allocs = frees + live + leaked` at all times.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly capacity: number
  /** Messages stored now. */
  readonly live: number
  /** Bytes the live messages hold, as weighed by `bytesOf`. */
  readonly bytes: number
  /** The most messages that were ever live at once. */
  readonly highWater: number
  /** Messages stored, including those handed to waiting allocations. */
  readonly allocs: number
  /** Messages freed by their last `release`. */
  readonly frees: number
  /** Operations refused because their ref was stale (`get`, `getOption`, `retain`, `release`, `use`). */
  readonly staleAccesses: number
  /** Allocations waiting for room now. */
  readonly waiting: number
  /** Whether the arena's scope has closed. */
  readonly closed: boolean
  /** Messages still live when the arena closed (0 while it is open). */
  readonly leaked: number
  /** The refs of up to 8 of the leaked messages, to find who forgot to release them. */
  readonly leakedSample: ReadonlyArray<MessageRef.MessageRef>
}

/**
 * Creates an arena that lives until the scope closes. Fails with `InvalidArenaConfig` for a
 * capacity outside 1…2^24, a `maxBytes` that is not a positive integer or comes without `bytesOf`.
 *
 * Cancellation safety: creation is one synchronous step; the arena's release (close) is registered
 * with the scope in the same step.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arena } from "@weft/arena"
 *
 * const program = Effect.gen(function*() {
 *   const arena = yield* Arena.make<string>({ capacity: 1024 })
 *   const ref = yield* arena.alloc("hello")
 *   const text = yield* arena.get(ref) // => "hello"
 *   yield* arena.release(ref)
 *   return text
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A>(options: Options<A>) => Effect.Effect<Arena<A>, InvalidArenaConfig, Scope.Scope> = (
  options
) => internal.make(options)

/**
 * Stores `value` with refcount 1 and returns its ref. Waits in FIFO order while the arena is full
 * (by slots or by `maxBytes`) with `onFull: "suspend"`, or fails with `ArenaFull` with
 * `onFull: "fail"`. A value heavier than `maxBytes` fails at once with `PayloadTooLarge`.
 *
 * Cancellation safety: interrupted while waiting, it takes no slot and no bytes and leaves the
 * queue — even when room was granted to it in the same instant. Once it has returned, the ref is
 * the caller's to release; to have that happen even if the caller is interrupted next, use
 * {@link allocScoped}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arena } from "@weft/arena"
 *
 * Effect.gen(function*() {
 *   const arena = yield* Arena.make<string>({ capacity: 2, onFull: "fail" })
 *   const ref = yield* Arena.alloc(arena, "a")
 *   const same = yield* arena.pipe(Arena.alloc("b")) // data-last
 * })
 * ```
 *
 * @since 0.1.0
 * @category allocating
 */
export const alloc: {
  <A>(value: A): (self: Arena<A>) => Effect.Effect<MessageRef.MessageRef<A>, ArenaFull | PayloadTooLarge | ArenaClosed>
  <A>(self: Arena<A>, value: A): Effect.Effect<MessageRef.MessageRef<A>, ArenaFull | PayloadTooLarge | ArenaClosed>
} = internal.alloc

/**
 * Stores `value` if there is room right now and no allocation is waiting ahead of it; `None`
 * otherwise. Never waits. A value heavier than `maxBytes` fails with `PayloadTooLarge`.
 *
 * Cancellation safety: a single synchronous step; interruption finds it not started or done.
 *
 * @since 0.1.0
 * @category allocating
 */
export const tryAlloc: {
  <A>(
    value: A
  ): (self: Arena<A>) => Effect.Effect<Option.Option<MessageRef.MessageRef<A>>, PayloadTooLarge | ArenaClosed>
  <A>(self: Arena<A>, value: A): Effect.Effect<Option.Option<MessageRef.MessageRef<A>>, PayloadTooLarge | ArenaClosed>
} = internal.tryAlloc

/**
 * Stores a prefix of `values`, in order, and returns its refs (each with refcount 1): every value
 * that fits now, in one step. When not even the first one fits, the first waits in FIFO order
 * exactly as {@link alloc} (or fails with `ArenaFull` under `onFull: "fail"`), and once it is
 * stored, the values behind it that fit join it. The result is empty only for empty `values`;
 * otherwise call again with the rest (`values.slice(refs.length)`) until all are stored — the
 * batch form of a loop over `alloc`, with the same backpressure, at one step per batch instead of
 * one per value.
 *
 * A value heavier than `maxBytes` ends the prefix before it; when it is first, the call fails at
 * once with `PayloadTooLarge` (nothing stored).
 *
 * Cancellation safety: as `alloc`: only the wait for the first value can be interrupted, and an
 * interrupted call has stored nothing — even when room was granted in the same instant. Once it
 * has returned, the refs are the caller's to release.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arena, type MessageRef } from "@weft/arena"
 *
 * // Stores every value, a batch per step, waiting for room between batches.
 * const allocAll = <A>(arena: Arena.Arena<A>, values: ReadonlyArray<A>) =>
 *   Effect.gen(function*() {
 *     const refs: Array<MessageRef.MessageRef> = []
 *     while (refs.length < values.length) {
 *       refs.push(...(yield* Arena.allocUpTo(arena, values.slice(refs.length))))
 *     }
 *     return refs
 *   })
 * ```
 *
 * @since 0.1.0
 * @category allocating
 */
export const allocUpTo: {
  <A>(
    values: ReadonlyArray<A>
  ): (
    self: Arena<A>
  ) => Effect.Effect<ReadonlyArray<MessageRef.MessageRef<A>>, ArenaFull | PayloadTooLarge | ArenaClosed>
  <A>(
    self: Arena<A>,
    values: ReadonlyArray<A>
  ): Effect.Effect<ReadonlyArray<MessageRef.MessageRef<A>>, ArenaFull | PayloadTooLarge | ArenaClosed>
} = internal.allocUpTo

/**
 * Like {@link alloc}, and the scope releases the ref when it closes. If the ref was already
 * released by hand, that closing release is refused as stale (and counted in
 * `stats.staleAccesses`); after the arena closed it is skipped. Either way the scope's close
 * never fails.
 *
 * Cancellation safety: the wait is interruptible and leaks nothing, as with `alloc`; handing out
 * the ref and registering its release happen in one uninterruptible step, so a ref is never
 * handed out without its release.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arena } from "@weft/arena"
 *
 * Effect.gen(function*() {
 *   const arena = yield* Arena.make<string>({ capacity: 16 })
 *   yield* Effect.scoped(Effect.gen(function*() {
 *     const ref = yield* Arena.allocScoped(arena, "short-lived")
 *     yield* Arena.get(arena, ref)
 *   })) // released here
 * })
 * ```
 *
 * @since 0.1.0
 * @category allocating
 */
export const allocScoped: {
  <A>(
    value: A
  ): (self: Arena<A>) => Effect.Effect<MessageRef.MessageRef<A>, ArenaFull | PayloadTooLarge | ArenaClosed, Scope.Scope>
  <A>(
    self: Arena<A>,
    value: A
  ): Effect.Effect<MessageRef.MessageRef<A>, ArenaFull | PayloadTooLarge | ArenaClosed, Scope.Scope>
} = internal.allocScoped

/**
 * The message `ref` stands for, or `StaleRef { ref, currentGeneration }` when its slot has been
 * freed or reused since. Counts stale calls in `stats.staleAccesses`.
 *
 * The value is returned as stored, not copied: treat it as read-only, and do not keep it past your
 * last `release` (use {@link use} to borrow it safely while others may release).
 *
 * Cancellation safety: a single synchronous step; interruption finds it not started or done.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arena } from "@weft/arena"
 *
 * Effect.gen(function*() {
 *   const arena = yield* Arena.make<string>({ capacity: 16 })
 *   const ref = yield* arena.alloc("x")
 *   yield* arena.release(ref)
 *   const error = yield* Effect.flip(Arena.get(arena, ref)) // StaleRef: freed
 * })
 * ```
 *
 * @since 0.1.0
 * @category reading
 */
export const get: {
  <P>(ref: MessageRef.MessageRef<P>): <A extends P>(self: Arena<A>) => Effect.Effect<A, StaleRef | ArenaClosed>
  <A>(self: Arena<A>, ref: MessageRef.MessageRef<NoInfer<A>>): Effect.Effect<A, StaleRef | ArenaClosed>
} = internal.get

/**
 * The messages `refs` stand for, in order, in one step — the batch form of {@link get}, e.g. for
 * a consumer handed a batch of refs. All or nothing: the first stale ref fails the call with its
 * `StaleRef` (counted in `stats.staleAccesses`) and no value is returned. The values are the
 * stored ones, not copies: the same rules as for `get` apply.
 *
 * Cancellation safety: a single synchronous step; interruption finds it not started or done.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arena } from "@weft/arena"
 *
 * const program = Effect.gen(function*() {
 *   const arena = yield* Arena.make<string>({ capacity: 16 })
 *   const refs = yield* Arena.allocUpTo(arena, ["a", "b"])
 *   const values = yield* Arena.getAll(arena, refs) // => ["a", "b"]
 * })
 * ```
 *
 * @since 0.1.0
 * @category reading
 */
export const getAll: {
  <P>(
    refs: ReadonlyArray<MessageRef.MessageRef<P>>
  ): <A extends P>(self: Arena<A>) => Effect.Effect<ReadonlyArray<A>, StaleRef | ArenaClosed>
  <A>(
    self: Arena<A>,
    refs: ReadonlyArray<MessageRef.MessageRef<NoInfer<A>>>
  ): Effect.Effect<ReadonlyArray<A>, StaleRef | ArenaClosed>
} = internal.getAll

/**
 * The message `ref` stands for, or `None` when the ref is stale (counted in
 * `stats.staleAccesses`).
 *
 * Cancellation safety: a single synchronous step; interruption finds it not started or done.
 *
 * @since 0.1.0
 * @category reading
 */
export const getOption: {
  <P>(ref: MessageRef.MessageRef<P>): <A extends P>(self: Arena<A>) => Effect.Effect<Option.Option<A>, ArenaClosed>
  <A>(self: Arena<A>, ref: MessageRef.MessageRef<NoInfer<A>>): Effect.Effect<Option.Option<A>, ArenaClosed>
} = internal.getOption

/**
 * Adds one to the message's refcount: one more `release` is needed to free it. Fails with
 * `StaleRef` after the message was freed (nothing is revived) and with `RefcountOverflow` at
 * 2^32 - 1 counts.
 *
 * Cancellation safety: a single synchronous step; interruption finds it not started or done.
 *
 * @since 0.1.0
 * @category refcounting
 */
export const retain: {
  <P>(
    ref: MessageRef.MessageRef<P>
  ): <A extends P>(self: Arena<A>) => Effect.Effect<void, StaleRef | RefcountOverflow | ArenaClosed>
  <A>(
    self: Arena<A>,
    ref: MessageRef.MessageRef<NoInfer<A>>
  ): Effect.Effect<void, StaleRef | RefcountOverflow | ArenaClosed>
} = internal.retain

/**
 * Drops one count; at 0 the message is freed, its slot's generation bumped, and the oldest waiting
 * allocations that now fit are served. A stale ref (freed, or a double release that freed it) fails
 * with `StaleRef` and changes nothing — in particular not the message that now occupies the slot.
 *
 * Cancellation safety: a single synchronous step; interruption finds it not started or done.
 *
 * @since 0.1.0
 * @category refcounting
 */
export const release: {
  <P>(ref: MessageRef.MessageRef<P>): <A extends P>(self: Arena<A>) => Effect.Effect<void, StaleRef | ArenaClosed>
  <A>(self: Arena<A>, ref: MessageRef.MessageRef<NoInfer<A>>): Effect.Effect<void, StaleRef | ArenaClosed>
} = internal.release

/**
 * Adds `times` (default 1) to the refcount of every ref in `refs`, in one step — e.g. one count
 * per consumer of a batch being fanned out. All or nothing: when a ref is stale (`StaleRef`) or
 * would pass 2^32 - 1 counts (`RefcountOverflow`), no count is changed. A ref listed twice is
 * retained twice. `times` must be a non-negative integer (`InvalidCount` otherwise).
 *
 * Cancellation safety: a single synchronous step; interruption finds it not started or done.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arena } from "@weft/arena"
 *
 * Effect.gen(function*() {
 *   const arena = yield* Arena.make<string>({ capacity: 16 })
 *   const refs = yield* Arena.allocUpTo(arena, ["a", "b"])
 *   yield* Arena.retainAll(arena, refs, 2) // three owners each now
 * })
 * ```
 *
 * @since 0.1.0
 * @category refcounting
 */
export const retainAll: {
  <P>(
    refs: ReadonlyArray<MessageRef.MessageRef<P>>,
    times?: number
  ): <A extends P>(self: Arena<A>) => Effect.Effect<void, StaleRef | RefcountOverflow | InvalidCount | ArenaClosed>
  <A>(
    self: Arena<A>,
    refs: ReadonlyArray<MessageRef.MessageRef<NoInfer<A>>>,
    times?: number
  ): Effect.Effect<void, StaleRef | RefcountOverflow | InvalidCount | ArenaClosed>
} = internal.retainAll

/**
 * Drops one count from every ref in `refs`, in one step, freeing the messages that reach 0 (and
 * serving waiting allocations from the room). Unlike {@link release}, stale refs do not fail the
 * call: they are skipped — never touching the message that reused their slot — counted in
 * `stats.staleAccesses`, and their number is the result (0 when every ref was live). A ref listed
 * twice is released twice.
 *
 * Cancellation safety: a single synchronous step; interruption finds it not started or done.
 *
 * @since 0.1.0
 * @category refcounting
 */
export const releaseAll: {
  <P>(
    refs: ReadonlyArray<MessageRef.MessageRef<P>>
  ): <A extends P>(self: Arena<A>) => Effect.Effect<number, ArenaClosed>
  <A>(self: Arena<A>, refs: ReadonlyArray<MessageRef.MessageRef<NoInfer<A>>>): Effect.Effect<number, ArenaClosed>
} = internal.releaseAll

/**
 * Borrows the message for the duration of `f`: holds one extra count while `f` runs, so other
 * owners may release meanwhile without freeing it under `f`.
 *
 * Cancellation safety: the borrow is taken and its return registered in one uninterruptible step;
 * whether `f` succeeds, fails or is interrupted, the count is returned exactly once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arena } from "@weft/arena"
 *
 * Effect.gen(function*() {
 *   const arena = yield* Arena.make<string>({ capacity: 16 })
 *   const ref = yield* arena.alloc("payload")
 *   const length = yield* Arena.use(arena, ref, (text) => Effect.succeed(text.length))
 * })
 * ```
 *
 * @since 0.1.0
 * @category reading
 */
export const use: {
  <A, B, E, R>(
    ref: MessageRef.MessageRef<NoInfer<A>>,
    f: (value: A) => Effect.Effect<B, E, R>
  ): (self: Arena<A>) => Effect.Effect<B, E | StaleRef | RefcountOverflow | ArenaClosed, R>
  <A, B, E, R>(
    self: Arena<A>,
    ref: MessageRef.MessageRef<NoInfer<A>>,
    f: (value: A) => Effect.Effect<B, E, R>
  ): Effect.Effect<B, E | StaleRef | RefcountOverflow | ArenaClosed, R>
} = internal.use

/**
 * The arena's counters now. Works after close too: that is where the leak report stays.
 *
 * Cancellation safety: a single synchronous step; interruption finds it not started or done.
 *
 * @since 0.1.0
 * @category getters
 */
export const stats: <A>(self: Arena<A>) => Effect.Effect<Stats> = internal.stats
