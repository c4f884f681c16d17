import type { Stream } from "effect"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as Broadcast from "../Broadcast.js"
import type { ChannelClosed } from "../ChannelError.js"
import { InvalidCapacity, Lagged } from "../ChannelError.js"
import * as Readiness from "../Readiness.js"
import { Closable } from "./closable.js"
import { awaitReady, onReady, park, receiveLoop, validCapacity } from "./core.js"
import { claimOr, notReady } from "./effectCompat.js"
import { ChannelEnd } from "./end.js"
import { everything, untilClosed } from "./stream.js"
import { WaiterList } from "./waiters.js"

/** @internal */
export const SenderTypeId: Broadcast.SenderTypeId = Symbol.for(
  "@weft/channel/Broadcast/Sender"
) as Broadcast.SenderTypeId

/** @internal */
export const SubscriptionTypeId: Broadcast.SubscriptionTypeId = Symbol.for(
  "@weft/channel/Broadcast/Subscription"
) as Broadcast.SubscriptionTypeId

const senderVariance = { _A: (_: unknown): void => {} }
const subscriptionVariance = { _A: (_: never) => _ }

/**
 * A ring of the last `capacity` messages, addressed by sequence number. Each slot counts the
 * subscribers that still have to read it; the oldest slot is released once nobody needs it.
 */
class BroadcastChannel<A> extends Closable {
  readonly values: Array<A | undefined>
  /** Per slot: how many subscribers still have to read it. */
  readonly unread: Array<number>
  /** Sequence number of the oldest retained message. */
  head = 0
  /** Sequence number the next message gets. */
  tail = 0
  readonly subscribers = new Set<SubscriptionState<A>>()
  readonly senders = new WaiterList()
  closed = false

  constructor(readonly capacity: number, readonly lag: Broadcast.LagPolicy) {
    super("broadcast")
    this.values = new Array(capacity)
    this.unread = new Array<number>(capacity).fill(0)
  }

  readonly isWritable = (): boolean => this.closed || this.lag === "dropOldest" || this.tail - this.head < this.capacity

  /** Appends one message; the caller checked `isWritable`. */
  publish(value: A): void {
    if (this.tail - this.head === this.capacity) this.dropOldest()
    const slot = this.tail % this.capacity
    this.values[slot] = value
    this.unread[slot] = this.subscribers.size
    this.tail++
    if (this.subscribers.size === 0) this.releaseHead()
    for (const subscriber of this.subscribers) subscriber.readers.wakeOne()
  }

  private dropOldest(): void {
    this.values[this.head % this.capacity] = undefined
    this.head++
  }

  /** One subscriber is done with message `seq`. */
  release(seq: number): void {
    if (seq < this.head) return
    this.unread[seq % this.capacity]!--
    if (seq === this.head) this.releaseHead()
  }

  private releaseHead(): void {
    const before = this.head
    while (this.head < this.tail && this.unread[this.head % this.capacity] === 0) this.dropOldest()
    if (this.head > before && this.senders.size > 0) this.senders.wakeMany(this.head - before)
  }

  subscribe(): SubscriptionState<A> {
    const state = new SubscriptionState(this, this.tail)
    if (this.closed) state.active = false
    else this.subscribers.add(state)
    return state
  }

  unsubscribe(state: SubscriptionState<A>): void {
    if (!state.active) return
    state.active = false
    this.subscribers.delete(state)
    for (let seq = Math.max(state.next, this.head); seq < this.tail; seq++) this.release(seq)
    state.next = this.tail
    state.readers.wakeAll()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.senders.wakeAll()
    for (const subscriber of this.subscribers) subscriber.readers.wakeAll()
  }
}

/** One subscriber's cursor into the ring. */
class SubscriptionState<A> {
  readonly readers = new WaiterList()
  active = true
  readonly recv: Effect.Effect<A, ChannelClosed | Lagged>
  readonly awaitReadable: Effect.Effect<void>
  readonly readiness: Readiness.Readiness<A, ChannelClosed | Lagged>

  constructor(readonly channel: BroadcastChannel<A>, public next: number) {
    this.recv = receiveLoop(this.take, this.readers, this.isReadable, this.failure)
    this.awaitReadable = awaitReady(this.readers, this.isReadable)
    this.readiness = { claim: this.claim, onReady: onReady(this.readers, this.isReadable) }
  }

  readonly isReadable = (): boolean => this.next < this.channel.tail || this.channel.closed || !this.active

  /** Takes the next message; throws `NotReady` when there is none or this subscriber lagged. */
  readonly take = (): A => {
    const channel = this.channel
    if (!this.active || this.next < channel.head || this.next === channel.tail) return notReady()
    const seq = this.next++
    const value = channel.values[seq % channel.capacity] as A
    channel.release(seq)
    return value
  }

  /** A lag notice (it moves the cursor to the oldest retained message), or the end. */
  readonly failure = (): Exit.Exit<never, ChannelClosed | Lagged> | undefined => {
    const channel = this.channel
    if (this.active && this.next < channel.head) {
      const skipped = channel.head - this.next
      this.next = channel.head
      return Exit.fail(new Lagged({ skipped }))
    }
    return !this.active || (channel.closed && this.next === channel.tail) ? channel.closedExit : undefined
  }

  readonly claim = (): Exit.Exit<A, ChannelClosed | Lagged> | undefined =>
    this.active && this.next >= this.channel.head && this.next < this.channel.tail
      ? Exit.succeed(this.take())
      : this.failure()

  /** Takes up to `max` messages, in order; throws `NotReady` when there is none or it lagged. */
  takeMany(max: number): Array<A> {
    const channel = this.channel
    if (!this.active || this.next < channel.head || this.next === channel.tail) return notReady()
    const first = this.next
    const end = Math.min(channel.tail, first + max)
    const values = new Array<A>(end - first)
    // Read every value before releasing any: a release can free (and clear) the slots behind it.
    for (let seq = first; seq < end; seq++) values[seq - first] = channel.values[seq % channel.capacity] as A
    this.next = end
    for (let seq = first; seq < end; seq++) channel.release(seq)
    return values
  }

  /** `recvUpTo(max)`, made once per `max` as `Mpsc` does. */
  many: Effect.Effect<Chunk.Chunk<A>, ChannelClosed | Lagged> | undefined = undefined
  manyMax = 0

  recvUpTo(max: number): Effect.Effect<Chunk.Chunk<A>, ChannelClosed | Lagged> {
    const limit = max >= 1 ? Math.floor(max) : 1
    if (this.many === undefined || this.manyMax !== limit) {
      this.manyMax = limit
      this.many = receiveLoop(
        () => Chunk.unsafeFromArray(this.takeMany(limit)),
        this.readers,
        this.isReadable,
        this.failure
      )
    }
    return this.many
  }

  /**
   * What the stream of this subscription pulls: up to `max` messages, a lag notice first when
   * messages were dropped before this subscriber read them — one synchronous claim for both, so
   * an interrupted pull has taken nothing, not even the notice.
   */
  streamChunk(max: number): Effect.Effect<Chunk.Chunk<Either.Either<A, Lagged>>, ChannelClosed> {
    const take = (): Chunk.Chunk<Either.Either<A, Lagged>> => {
      const channel = this.channel
      let lagged: Lagged | undefined
      if (this.active && this.next < channel.head) {
        lagged = new Lagged({ skipped: channel.head - this.next })
        this.next = channel.head
      }
      // After a lag the oldest retained message is normally there (only a send drops messages);
      // a lag notice alone is a chunk too, never lost.
      const values = lagged !== undefined && this.next === channel.tail ? [] : this.takeMany(max)
      const out = new Array<Either.Either<A, Lagged>>(values.length + (lagged === undefined ? 0 : 1))
      let i = 0
      if (lagged !== undefined) out[i++] = Either.left(lagged)
      for (const value of values) out[i++] = Either.right(value)
      return Chunk.unsafeFromArray(out)
    }
    const ended = (): Exit.Exit<never, ChannelClosed> | undefined =>
      !this.active || (this.channel.closed && this.next === this.channel.tail) ? this.channel.closedExit : undefined
    return receiveLoop(take, this.readers, this.isReadable, ended)
  }
}

class SenderImpl<A> extends ChannelEnd implements Broadcast.Sender<A> {
  readonly [SenderTypeId] = senderVariance
  constructor(readonly channel: BroadcastChannel<A>) {
    super()
  }
  toJSON() {
    const channel = this.channel
    return {
      _id: "Broadcast.Sender",
      capacity: channel.capacity,
      lag: channel.lag,
      retained: channel.tail - channel.head,
      subscribers: channel.subscribers.size,
      closed: channel.closed
    }
  }
}

class SubscriptionImpl<A> extends ChannelEnd implements Broadcast.Subscription<A> {
  readonly [SubscriptionTypeId] = subscriptionVariance
  constructor(readonly state: SubscriptionState<A>) {
    super()
  }
  get [Readiness.TypeId]() {
    return this.state.readiness
  }
  toJSON() {
    return {
      _id: "Broadcast.Subscription",
      pending: this.state.channel.tail - this.state.next,
      active: this.state.active
    }
  }
}

const channelOf = <A>(self: Broadcast.Sender<A>): BroadcastChannel<A> => (self as unknown as SenderImpl<A>).channel
const stateOf = <A>(self: Broadcast.Subscription<A>): SubscriptionState<A> =>
  (self as unknown as SubscriptionImpl<A>).state

/** @internal */
export const make = <A>(
  options: Broadcast.Options
): Effect.Effect<readonly [Broadcast.Sender<A>, Broadcast.Subscription<A>], InvalidCapacity> =>
  Effect.suspend(() => {
    if (!validCapacity(options.capacity)) {
      return Effect.fail(new InvalidCapacity({ channel: "broadcast", capacity: options.capacity }))
    }
    const channel = new BroadcastChannel<A>(options.capacity, options.lag ?? "suspend")
    return Effect.succeed([new SenderImpl(channel), new SubscriptionImpl(channel.subscribe())] as const)
  })

/** @internal */
export const send: {
  <A>(value: A): (self: Broadcast.Sender<A>) => Effect.Effect<void, ChannelClosed>
  <A>(self: Broadcast.Sender<A>, value: A): Effect.Effect<void, ChannelClosed>
} = dual(2, <A>(self: Broadcast.Sender<A>, value: A): Effect.Effect<void, ChannelClosed> => {
  const channel = channelOf(self)
  const loop: Effect.Effect<void, ChannelClosed> = Effect.suspend(() => {
    if (channel.closed) return channel.closedExit
    if (channel.isWritable()) {
      channel.publish(value)
      return Exit.void
    }
    return Effect.zipRight(park(channel.senders, channel.isWritable), loop)
  })
  return loop
})

/** @internal */
export const unsafeTrySend: {
  <A>(value: A): (self: Broadcast.Sender<A>) => Broadcast.TrySendResult
  <A>(self: Broadcast.Sender<A>, value: A): Broadcast.TrySendResult
} = dual(2, <A>(self: Broadcast.Sender<A>, value: A): Broadcast.TrySendResult => {
  const channel = channelOf(self)
  if (channel.closed) return "closed"
  if (!channel.isWritable()) return "full"
  channel.publish(value)
  return "sent"
})

/** @internal */
export const subscribe = <A>(self: Broadcast.Sender<A>): Effect.Effect<Broadcast.Subscription<A>> =>
  Effect.sync(() => new SubscriptionImpl(channelOf(self).subscribe()))

/** @internal */
export const unsubscribe = <A>(self: Broadcast.Subscription<A>): Effect.Effect<void> =>
  Effect.sync(() => {
    const state = stateOf(self)
    state.channel.unsubscribe(state)
  })

/** @internal */
export const subscribeScoped = <A>(
  self: Broadcast.Sender<A>
): Effect.Effect<Broadcast.Subscription<A>, never, Scope.Scope> => Effect.acquireRelease(subscribe(self), unsubscribe)

/** @internal */
export const recv = <A>(self: Broadcast.Subscription<A>): Effect.Effect<A, ChannelClosed | Lagged> => stateOf(self).recv

/** @internal */
export const recvUpTo: {
  (max: number): <A>(self: Broadcast.Subscription<A>) => Effect.Effect<Chunk.Chunk<A>, ChannelClosed | Lagged>
  <A>(self: Broadcast.Subscription<A>, max: number): Effect.Effect<Chunk.Chunk<A>, ChannelClosed | Lagged>
} = dual(2, <A>(self: Broadcast.Subscription<A>, max: number) => stateOf(self).recvUpTo(max))

/** @internal */
export const toStream = <A>(
  self: Broadcast.Subscription<A>,
  options?: { readonly maxChunkSize?: number | undefined }
): Stream.Stream<Either.Either<A, Lagged>> => {
  const max = options?.maxChunkSize ?? everything
  return untilClosed(stateOf(self).streamChunk(max >= 1 ? Math.floor(max) : 1))
}

/** @internal */
export const tryRecv = <A>(
  self: Broadcast.Subscription<A>
): Effect.Effect<Option.Option<A>, ChannelClosed | Lagged> => {
  const state = stateOf(self)
  return claimOr(
    () =>
      state.active && state.next === state.channel.tail && !state.channel.closed
        ? Option.none()
        : Option.some(state.take()),
    () => state.failure() ?? Effect.succeedNone
  )
}

/** @internal */
export const awaitReadable = <A>(self: Broadcast.Subscription<A>): Effect.Effect<void> => stateOf(self).awaitReadable

/** @internal */
export const poll = <A>(self: Broadcast.Subscription<A>): Effect.Effect<boolean> =>
  Effect.sync(() => stateOf(self).isReadable())

/** @internal */
export const close = <A>(self: Broadcast.Sender<A>): Effect.Effect<void> => Effect.sync(() => channelOf(self).close())

/** @internal */
export const isClosed = <A>(self: Broadcast.Sender<A>): Effect.Effect<boolean> =>
  Effect.sync(() => channelOf(self).closed)

/** @internal */
export const subscriberCount = <A>(self: Broadcast.Sender<A>): Effect.Effect<number> =>
  Effect.sync(() => channelOf(self).subscribers.size)

/** @internal */
export const pending = <A>(self: Broadcast.Subscription<A>): Effect.Effect<number> =>
  Effect.sync(() => {
    const state = stateOf(self)
    return state.active ? state.channel.tail - Math.max(state.next, state.channel.head) : 0
  })
