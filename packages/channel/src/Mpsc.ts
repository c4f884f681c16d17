/**
 * Multi-producer channels, bounded or unbounded, with interrupt-safe receive.
 *
 * A channel has two ends: a {@link Sender} (share it freely between producers) and a
 * {@link Receiver} ({@link clone} it for more consumers — every message goes to exactly one
 * receiver). Messages from one producer arrive in the order it sent them.
 *
 * Cancellation safety: `recv`, `recvUpTo` and `tryRecv` never consume a message when
 * interrupted — a parked receiver is only woken, and claims the message synchronously in its own
 * fiber, in the same step that returns it. An interrupted `send` has either delivered its message
 * or not — never both, never twice.
 *
 * End of channel is always the typed error {@link ChannelClosed}: after {@link close}, receivers
 * first drain what is buffered.
 *
 * @since 0.1.0
 */
import type { Chunk, Effect, Inspectable, Option, Pipeable, Stream, Types } from "effect"
import * as Predicate from "effect/Predicate"
import type { ChannelClosed, InvalidCapacity, PermitUsed } from "./ChannelError.js"
import * as internal from "./internal/mpsc.js"
import type { Claimable } from "./Readiness.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  ChannelClosed,
  /**
   * @since 0.1.0
   * @category errors
   */
  InvalidCapacity,
  /**
   * @since 0.1.0
   * @category errors
   */
  PermitUsed
} from "./ChannelError.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const SenderTypeId: unique symbol = internal.SenderTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type SenderTypeId = typeof SenderTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export const ReceiverTypeId: unique symbol = internal.ReceiverTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type ReceiverTypeId = typeof ReceiverTypeId

/**
 * The sending end. Contravariant: a `Sender<Animal>` can stand where a `Sender<Cat>` is expected.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sender<in A> extends Pipeable.Pipeable, Inspectable.Inspectable {
  readonly [SenderTypeId]: { readonly _A: Types.Contravariant<A> }
}

/**
 * Whether `u` is a bounded or unbounded channel's sending end.
 *
 * @since 0.1.0
 * @category guards
 */
export const isSender = (u: unknown): u is Sender<never> => Predicate.hasProperty(u, SenderTypeId)

/**
 * The receiving end. Covariant: a `Receiver<Cat>` can stand where a `Receiver<Animal>` is
 * expected. It is a {@link Claimable}, so `@weft/select` can wait on it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Receiver<out A> extends Claimable<A, ChannelClosed>, Pipeable.Pipeable, Inspectable.Inspectable {
  readonly [ReceiverTypeId]: { readonly _A: Types.Covariant<A> }
}

/**
 * Whether `u` is a channel's receiving end.
 *
 * @since 0.1.0
 * @category guards
 */
export const isReceiver = (u: unknown): u is Receiver<unknown> => Predicate.hasProperty(u, ReceiverTypeId)

/**
 * One slot reserved in a bounded channel by {@link reserve}: sending through it never waits.
 * Use it exactly once — `send` or `release`; a second use fails with `PermitUsed`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Permit<in A> {
  /**
   * Sends into the reserved slot without waiting. Fails with `ChannelClosed` (and frees the slot)
   * when the channel was closed since the reservation.
   *
   * Cancellation safety: one synchronous step — the message is delivered or not, never lost.
   */
  send(value: A): Effect.Effect<void, ChannelClosed | PermitUsed>
  /** Gives the slot back unused. Does nothing when the permit was already used. */
  readonly release: Effect.Effect<void>
}

/**
 * Creates a channel that buffers at most `capacity` messages; `send` waits while it is full.
 * Fails with `InvalidCapacity` unless `capacity` is a positive integer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Mpsc.bounded<string>(16)
 *   yield* Mpsc.send(tx, "hello")
 *   return yield* Mpsc.recv(rx) // => "hello"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const bounded: <A>(
  capacity: number
) => Effect.Effect<readonly [Sender<A>, Receiver<A>], InvalidCapacity> = internal.bounded

/**
 * Creates a channel without a bound: `send` never waits.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unbounded: <A>() => Effect.Effect<readonly [Sender<A>, Receiver<A>]> = internal.unbounded

/**
 * Sends a message, waiting while a bounded channel is full. Fails with `ChannelClosed` once the
 * channel is closed (also when it closes while this send waits).
 *
 * Cancellation safety: the message is appended in one synchronous step. Interrupted while it
 * waits for room, the send has not delivered the message and never will; interrupted later, it
 * has delivered it exactly once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Mpsc.bounded<number>(1)
 *   yield* tx.pipe(Mpsc.send(1))
 *   yield* Effect.fork(Mpsc.send(tx, 2)) // waits until 1 is received
 *   const first = yield* Mpsc.recv(rx)
 *   const second = yield* Mpsc.recv(rx)
 *   return first + second
 * })
 * ```
 *
 * @since 0.1.0
 * @category sending
 */
export const send: {
  <A>(value: A): (self: Sender<A>) => Effect.Effect<void, ChannelClosed>
  <A>(self: Sender<A>, value: A): Effect.Effect<void, ChannelClosed>
} = internal.send

/**
 * What {@link unsafeTrySend} did: `"sent"` (the message is in the channel), `"full"` (no room;
 * nothing sent) or `"closed"` (the channel is closed; nothing sent).
 *
 * @since 0.1.0
 * @category models
 */
export type TrySendResult = "sent" | "full" | "closed"

/**
 * Sends as many of `values` (from index `from`, 0 by default) as there is room for right now, in
 * order, outside any effect: the batch form of {@link unsafeTrySend}. Returns the index of the
 * first value not sent — `values.length` when all were; those from there on were not (the channel
 * is full, or closed: then nothing was sent and `from` comes back). It never waits and never
 * throws, and wakes at most one waiting receiver per message sent.
 *
 * Cancellation safety: a plain function call — there is nothing to interrupt.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Mpsc.bounded<number>(2)
 *   const next = yield* Effect.sync(() => Mpsc.unsafeTrySendAll(tx, [1, 2, 3]))
 *   const first = yield* Mpsc.recv(rx)
 *   // Room for one more: the rest, from where the last call stopped.
 *   const end = yield* Effect.sync(() => Mpsc.unsafeTrySendAll(tx, [1, 2, 3], next))
 *   return [next, first, end] // => [2, 1, 3]
 * })
 * ```
 *
 * @since 0.1.0
 * @category sending
 */
export const unsafeTrySendAll: {
  <A>(values: ReadonlyArray<A>, from?: number): (self: Sender<A>) => number
  <A>(self: Sender<A>, values: ReadonlyArray<A>, from?: number): number
} = internal.unsafeTrySendAll

/**
 * Sends a message right now, outside any effect: the synchronous core of {@link trySend}, for
 * code that is already running inside a step of its own (an `Effect.suspend`, a handler, a
 * loop) and would pay a whole fiber step for `trySend`. It never waits and never throws: a full
 * channel answers `"full"`, a closed one `"closed"`, and in both cases nothing was sent. Like
 * `send`, it wakes at most one waiting receiver.
 *
 * Cancellation safety: a plain function call — there is nothing to interrupt.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Mpsc.bounded<number>(1)
 *   // One fiber step for a whole burst, instead of one per message:
 *   const results = yield* Effect.sync(() => [Mpsc.unsafeTrySend(tx, 1), Mpsc.unsafeTrySend(tx, 2)])
 *   return [results, yield* Mpsc.recv(rx)] // => [["sent", "full"], 1]
 * })
 * ```
 *
 * @since 0.1.0
 * @category sending
 */
export const unsafeTrySend: {
  <A>(value: A): (self: Sender<A>) => TrySendResult
  <A>(self: Sender<A>, value: A): TrySendResult
} = internal.unsafeTrySend

/**
 * Sends a message only if there is room now: `true` when sent, `false` when the channel is full.
 *
 * Cancellation safety: one synchronous step — nothing to interrupt in between.
 *
 * @since 0.1.0
 * @category sending
 */
export const trySend: {
  <A>(value: A): (self: Sender<A>) => Effect.Effect<boolean, ChannelClosed>
  <A>(self: Sender<A>, value: A): Effect.Effect<boolean, ChannelClosed>
} = internal.trySend

/**
 * Sends every message in order, filling free room in batches and waiting while the channel is
 * full. Messages from one `sendAll` stay in order, but other producers' messages may interleave
 * between batches.
 *
 * Closed part-way, it fails with `ChannelClosed { accepted }`: the first `accepted` messages were
 * accepted (and are received like any others), the rest were not sent.
 *
 * Cancellation safety: interrupted part-way, a prefix of the messages has been delivered, each
 * exactly once, and the rest has not been sent. How long that prefix is cannot be reported — an
 * interrupted fiber returns nothing — so a sender that must know sends in chunks it can account
 * for, or with `reserve`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Mpsc.bounded<number>(1024)
 *   yield* Mpsc.sendAll(tx, [1, 2, 3])
 *   return yield* Mpsc.recvUpTo(rx, 16) // => [1, 2, 3]
 * })
 * ```
 *
 * @since 0.1.0
 * @category sending
 */
export const sendAll: {
  <A>(values: Iterable<A>): (self: Sender<A>) => Effect.Effect<void, ChannelClosed>
  <A>(self: Sender<A>, values: Iterable<A>): Effect.Effect<void, ChannelClosed>
} = internal.sendAll

/**
 * Waits for room and reserves one slot, returning a {@link Permit} that sends into it without
 * waiting. Prepare the message after the reservation so it is never built for nothing — or lost
 * to an interrupted wait.
 *
 * Cancellation safety: the slot is reserved in the same synchronous step that returns the permit;
 * interrupted while waiting, nothing was reserved.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Mpsc.bounded<string>(1)
 *   const permit = yield* Mpsc.reserve(tx)
 *   yield* permit.send("ready")
 *   return yield* Mpsc.recv(rx)
 * })
 * ```
 *
 * @since 0.1.0
 * @category sending
 */
export const reserve: <A>(self: Sender<A>) => Effect.Effect<Permit<A>, ChannelClosed> = internal.reserve

/**
 * Receives the oldest message, waiting while the channel is empty. Fails with `ChannelClosed`
 * once the channel is closed and drained. Completes without suspending when a message is buffered.
 *
 * Cancellation safety: interrupted while waiting, it has consumed nothing — the message that
 * woke it stays in the channel for the next receiver.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Mpsc.unbounded<string>()
 *   yield* Mpsc.send(tx, "a")
 *   yield* Mpsc.close(tx)
 *   const a = yield* Mpsc.recv(rx) // => "a" — buffered messages are drained first
 *   const end = yield* Effect.flip(Mpsc.recv(rx)) // ChannelClosed
 *   return [a, end._tag]
 * })
 * ```
 *
 * @since 0.1.0
 * @category receiving
 */
export const recv: <A>(self: Receiver<A>) => Effect.Effect<A, ChannelClosed> = internal.recv

/**
 * Receives up to `max` messages at once, in order; waits only while the channel is empty, so the
 * chunk is never empty. A `max` below 1 counts as 1.
 *
 * Cancellation safety: interrupted while waiting, it has consumed nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Mpsc.bounded<number>(1024)
 *   yield* Mpsc.sendAll(tx, [1, 2, 3])
 *   return yield* rx.pipe(Mpsc.recvUpTo(16)) // => [1, 2, 3]
 * })
 * ```
 *
 * @since 0.1.0
 * @category receiving
 */
export const recvUpTo: {
  (max: number): <A>(self: Receiver<A>) => Effect.Effect<Chunk.Chunk<A>, ChannelClosed>
  <A>(self: Receiver<A>, max: number): Effect.Effect<Chunk.Chunk<A>, ChannelClosed>
} = internal.recvUpTo

/**
 * The messages of a receiver as a `Stream` (as Effect's `Mailbox.toStream`): each pull is one
 * {@link recvUpTo}, so a chunk holds everything buffered (at most `maxChunkSize`) and the stream
 * waits only while the channel is empty. It ends once the channel is closed and drained. The
 * stream reads through `self`: other receivers of the channel compete for the same messages. A
 * `maxChunkSize` below 1 counts as 1.
 *
 * Cancellation safety: an interrupted pull has consumed nothing, so a stream interrupted while it
 * waits leaves every message in the channel. A pulled chunk belongs to the stream: if the
 * consumer stops part-way through one (`Stream.take`, an interruption while it handles the
 * chunk), the rest of that chunk is gone from the channel. `maxChunkSize: 1` bounds that to the
 * message in hand.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Mpsc } from "@weft/channel"
 *
 * const program = Effect.gen(function*() {
 *   const [tx, rx] = yield* Mpsc.bounded<number>(1024)
 *   yield* Mpsc.sendAll(tx, [1, 2, 3])
 *   yield* Mpsc.close(tx)
 *   return yield* Stream.runCollect(Mpsc.toStream(rx)) // Chunk(1, 2, 3)
 * })
 * ```
 *
 * @since 0.1.0
 * @category streams
 */
export const toStream: <A>(
  self: Receiver<A>,
  options?: { readonly maxChunkSize?: number | undefined }
) => Stream.Stream<A> = internal.toStream

/**
 * Receives a message if one is buffered, without waiting: `None` when the channel is empty but
 * open; `ChannelClosed` when it is closed and drained.
 *
 * Cancellation safety: one synchronous step — nothing to interrupt in between.
 *
 * @since 0.1.0
 * @category receiving
 */
export const tryRecv: <A>(self: Receiver<A>) => Effect.Effect<Option.Option<A>, ChannelClosed> = internal.tryRecv

/**
 * Waits until a `recv` would complete without waiting (a message is buffered or the channel has
 * ended), consuming nothing. Another consumer may still take the message first.
 *
 * Cancellation safety: consumes nothing, interrupted or not.
 *
 * @since 0.1.0
 * @category readiness
 */
export const awaitReadable: <A>(self: Receiver<A>) => Effect.Effect<void> = internal.awaitReadable

/**
 * Whether a `recv` would complete now without waiting, consuming nothing.
 *
 * @since 0.1.0
 * @category readiness
 */
export const poll: <A>(self: Receiver<A>) => Effect.Effect<boolean> = internal.poll

/**
 * Another receiving end of the same channel. Receivers compete: each message goes to exactly one.
 *
 * @since 0.1.0
 * @category constructors
 */
export const clone: <A>(self: Receiver<A>) => Effect.Effect<Receiver<A>> = internal.clone

/**
 * Closes the channel, from either end. Later sends fail with `ChannelClosed`, and so do waiting
 * ones; receivers drain what is buffered, then fail with `ChannelClosed`. Closing twice is harmless.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const close: <A>(self: Sender<A> | Receiver<A>) => Effect.Effect<void> = internal.close

/**
 * How many messages are buffered now.
 *
 * @since 0.1.0
 * @category getters
 */
export const size: <A>(self: Sender<A> | Receiver<A>) => Effect.Effect<number> = internal.size

/**
 * The bound given to {@link bounded}; `Infinity` for an unbounded channel.
 *
 * @since 0.1.0
 * @category getters
 */
export const capacity: <A>(self: Sender<A> | Receiver<A>) => number = internal.capacity

/**
 * Whether the channel was closed (messages may still be buffered).
 *
 * @since 0.1.0
 * @category getters
 */
export const isClosed: <A>(self: Sender<A> | Receiver<A>) => Effect.Effect<boolean> = internal.isClosed
