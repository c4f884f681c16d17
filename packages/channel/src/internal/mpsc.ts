import type { Stream } from "effect"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import { ChannelClosed, InvalidCapacity, PermitUsed } from "../ChannelError.js"
import type * as Mpsc from "../Mpsc.js"
import * as Readiness from "../Readiness.js"
import { Closable } from "./closable.js"
import { awaitReady, onReady, park, receiveLoop, validCapacity } from "./core.js"
import { claimOr, notReady } from "./effectCompat.js"
import { ChannelEnd } from "./end.js"
import { Ring } from "./ring.js"
import { everything, untilClosed } from "./stream.js"
import { WaiterList } from "./waiters.js"

/** @internal */
export const SenderTypeId: Mpsc.SenderTypeId = Symbol.for("@weft/channel/Mpsc/Sender") as Mpsc.SenderTypeId

/** @internal */
export const ReceiverTypeId: Mpsc.ReceiverTypeId = Symbol.for("@weft/channel/Mpsc/Receiver") as Mpsc.ReceiverTypeId

const senderVariance = { _A: (_: unknown): void => {} }
const receiverVariance = { _A: (_: never) => _ }

/**
 * The shared state of one channel. Every operation on it is synchronous; suspension happens only
 * in `park`, and a parked fiber always re-checks the state in its own fiber when it wakes.
 */
class MpscChannel<A> extends Closable {
  readonly buffer: Ring<A>
  readonly receivers = new WaiterList()
  readonly senders = new WaiterList()
  /** Slots held by outstanding permits. */
  reserved = 0
  closed = false
  readonly recv: Effect.Effect<A, ChannelClosed>
  readonly awaitReadable: Effect.Effect<void>
  readonly readiness: Readiness.Readiness<A, ChannelClosed>
  private manyMax = 0
  private many: Effect.Effect<Chunk.Chunk<A>, ChannelClosed> | undefined = undefined

  constructor(readonly capacity: number) {
    super("mpsc")
    this.buffer = new Ring(capacity === Infinity ? 16 : capacity)
    this.recv = receiveLoop(this.takeOne, this.receivers, this.isReadable, this.ended)
    this.awaitReadable = awaitReady(this.receivers, this.isReadable)
    this.readiness = { claim: this.claim, onReady: onReady(this.receivers, this.isReadable) }
  }

  readonly isReadable = (): boolean => this.buffer.length > 0 || this.closed

  /** A sender may proceed: there is room, or the channel is closed (and the send fails). */
  readonly isWritable = (): boolean => this.closed || this.buffer.length + this.reserved < this.capacity

  readonly ended = (): Exit.Exit<never, ChannelClosed> | undefined =>
    this.closed && this.buffer.length === 0 ? this.closedExit : undefined

  readonly takeOne = (): A => {
    if (this.buffer.length === 0) return notReady()
    const value = this.buffer.shift()
    if (this.senders.size > 0) this.senders.wakeOne()
    return value
  }

  readonly claim = (): Exit.Exit<A, ChannelClosed> | undefined =>
    this.buffer.length > 0 ? Exit.succeed(this.takeOne()) : this.ended()

  recvUpTo(max: number): Effect.Effect<Chunk.Chunk<A>, ChannelClosed> {
    const limit = max >= 1 ? Math.floor(max) : 1
    if (this.many === undefined || this.manyMax !== limit) {
      this.manyMax = limit
      this.many = receiveLoop(() => this.takeMany(limit), this.receivers, this.isReadable, this.ended)
    }
    return this.many
  }

  takeMany(max: number): Chunk.Chunk<A> {
    if (this.buffer.length === 0) return notReady()
    const values = this.buffer.drain(max)
    if (this.senders.size > 0) this.senders.wakeMany(values.length)
    return Chunk.unsafeFromArray(values)
  }

  tryRecv(): Option.Option<A> {
    if (this.buffer.length > 0) return Option.some(this.takeOne())
    return this.closed ? notReady() : Option.none()
  }

  /** Appends without checking room: the caller checked it (or holds a permit). */
  push(value: A): void {
    this.buffer.push(value)
    if (this.receivers.size > 0) this.receivers.wakeOne()
  }

  /** Pushes as many of `values[from..]` as fit; returns the index of the first one left over. */
  pushAll(values: ReadonlyArray<A>, from: number): number {
    const room = this.capacity - this.buffer.length - this.reserved
    const end = Math.min(values.length, from + room)
    this.buffer.pushAll(values, from, end)
    if (this.receivers.size > 0) this.receivers.wakeMany(end - from)
    return end
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.receivers.wakeAll()
    this.senders.wakeAll()
  }

  /** Gives back permit slots and lets waiting senders use them. */
  unreserve(): void {
    this.reserved--
    if (this.senders.size > 0) this.senders.wakeOne()
  }
}

abstract class End<A> extends ChannelEnd {
  constructor(readonly channel: MpscChannel<A>) {
    super()
  }
  abstract readonly _tag: string
  toJSON() {
    return {
      _id: `Mpsc.${this._tag}`,
      size: this.channel.buffer.length,
      capacity: this.channel.capacity,
      closed: this.channel.closed
    }
  }
}

class SenderImpl<A> extends End<A> implements Mpsc.Sender<A> {
  readonly _tag = "Sender"
  readonly [SenderTypeId] = senderVariance
}

class ReceiverImpl<A> extends End<A> implements Mpsc.Receiver<A> {
  readonly _tag = "Receiver"
  readonly [ReceiverTypeId] = receiverVariance
  get [Readiness.TypeId]() {
    return this.channel.readiness
  }
}

const channelOf = <A>(self: Mpsc.Sender<A> | Mpsc.Receiver<A>): MpscChannel<A> => (self as unknown as End<A>).channel

const make = <A>(capacity: number): readonly [Mpsc.Sender<A>, Mpsc.Receiver<A>] => {
  const channel = new MpscChannel<A>(capacity)
  return [new SenderImpl(channel), new ReceiverImpl(channel)]
}

/** @internal */
export const bounded = <A>(
  capacity: number
): Effect.Effect<readonly [Mpsc.Sender<A>, Mpsc.Receiver<A>], InvalidCapacity> =>
  Effect.suspend(() =>
    validCapacity(capacity)
      ? Effect.succeed(make<A>(capacity))
      : Effect.fail(new InvalidCapacity({ channel: "mpsc", capacity }))
  )

/** @internal */
export const unbounded = <A>(): Effect.Effect<readonly [Mpsc.Sender<A>, Mpsc.Receiver<A>]> =>
  Effect.sync(() => make<A>(Infinity))

/** @internal */
export const send: {
  <A>(value: A): (self: Mpsc.Sender<A>) => Effect.Effect<void, ChannelClosed>
  <A>(self: Mpsc.Sender<A>, value: A): Effect.Effect<void, ChannelClosed>
} = dual(2, <A>(self: Mpsc.Sender<A>, value: A): Effect.Effect<void, ChannelClosed> => {
  const channel = channelOf(self)
  const loop: Effect.Effect<void, ChannelClosed> = Effect.suspend(() => {
    if (channel.closed) return channel.closedExit
    if (channel.buffer.length + channel.reserved < channel.capacity) {
      channel.push(value)
      return Exit.void
    }
    return Effect.zipRight(park(channel.senders, channel.isWritable), loop)
  })
  return loop
})

/** @internal */
export const unsafeTrySend: {
  <A>(value: A): (self: Mpsc.Sender<A>) => Mpsc.TrySendResult
  <A>(self: Mpsc.Sender<A>, value: A): Mpsc.TrySendResult
} = dual(2, <A>(self: Mpsc.Sender<A>, value: A): Mpsc.TrySendResult => {
  const channel = channelOf(self)
  if (channel.closed) return "closed"
  if (channel.buffer.length + channel.reserved >= channel.capacity) return "full"
  channel.push(value)
  return "sent"
})

/** @internal */
export const unsafeTrySendAll: {
  <A>(values: ReadonlyArray<A>, from?: number): (self: Mpsc.Sender<A>) => number
  <A>(self: Mpsc.Sender<A>, values: ReadonlyArray<A>, from?: number): number
} = dual(
  (args) => Predicate.hasProperty(args[0], SenderTypeId),
  <A>(self: Mpsc.Sender<A>, values: ReadonlyArray<A>, from = 0): number => {
    const channel = channelOf(self)
    return channel.closed ? from : channel.pushAll(values, from)
  }
)

/** @internal */
export const trySend: {
  <A>(value: A): (self: Mpsc.Sender<A>) => Effect.Effect<boolean, ChannelClosed>
  <A>(self: Mpsc.Sender<A>, value: A): Effect.Effect<boolean, ChannelClosed>
} = dual(2, <A>(self: Mpsc.Sender<A>, value: A): Effect.Effect<boolean, ChannelClosed> =>
  Effect.suspend(() => {
    const result = unsafeTrySend(self, value)
    return result === "closed" ? channelOf(self).closedExit : Exit.succeed(result === "sent")
  }))

/** @internal */
export const sendAll: {
  <A>(values: Iterable<A>): (self: Mpsc.Sender<A>) => Effect.Effect<void, ChannelClosed>
  <A>(self: Mpsc.Sender<A>, values: Iterable<A>): Effect.Effect<void, ChannelClosed>
} = dual(2, <A>(self: Mpsc.Sender<A>, values: Iterable<A>): Effect.Effect<void, ChannelClosed> =>
  Effect.suspend(() => {
    const channel = channelOf(self)
    const array = Array.isArray(values) ? values as ReadonlyArray<A> : Array.from(values)
    let next = 0
    const loop: Effect.Effect<void, ChannelClosed> = Effect.suspend(() => {
      if (channel.closed) return Exit.fail(new ChannelClosed({ channel: "mpsc", accepted: next }))
      next = channel.pushAll(array, next)
      return next === array.length ? Exit.void : Effect.zipRight(park(channel.senders, channel.isWritable), loop)
    })
    return loop
  }))

class PermitImpl<A> implements Mpsc.Permit<A> {
  private used = false
  constructor(private readonly channel: MpscChannel<A>) {}
  send(value: A): Effect.Effect<void, ChannelClosed | PermitUsed> {
    return Effect.suspend((): Effect.Effect<void, ChannelClosed | PermitUsed> => {
      if (this.used) return Exit.fail(new PermitUsed())
      this.used = true
      if (this.channel.closed) {
        this.channel.unreserve()
        return this.channel.closedExit
      }
      // The slot stays counted until the message occupies it, so no sender can take it meanwhile.
      this.channel.reserved--
      this.channel.push(value)
      return Exit.void
    })
  }
  get release(): Effect.Effect<void> {
    return Effect.sync(() => {
      if (this.used) return
      this.used = true
      this.channel.unreserve()
    })
  }
}

/** @internal */
export const reserve = <A>(self: Mpsc.Sender<A>): Effect.Effect<Mpsc.Permit<A>, ChannelClosed> => {
  const channel = channelOf(self)
  const loop: Effect.Effect<Mpsc.Permit<A>, ChannelClosed> = claimOr(
    () => {
      if (channel.closed || channel.buffer.length + channel.reserved >= channel.capacity) return notReady()
      channel.reserved++
      return new PermitImpl(channel)
    },
    () => channel.closed ? channel.closedExit : Effect.zipRight(park(channel.senders, channel.isWritable), loop)
  )
  return loop
}

/** @internal */
export const recv = <A>(self: Mpsc.Receiver<A>): Effect.Effect<A, ChannelClosed> => channelOf(self).recv

/** @internal */
export const recvUpTo: {
  (max: number): <A>(self: Mpsc.Receiver<A>) => Effect.Effect<Chunk.Chunk<A>, ChannelClosed>
  <A>(self: Mpsc.Receiver<A>, max: number): Effect.Effect<Chunk.Chunk<A>, ChannelClosed>
} = dual(2, <A>(self: Mpsc.Receiver<A>, max: number) => channelOf(self).recvUpTo(max))

/** @internal */
export const toStream = <A>(
  self: Mpsc.Receiver<A>,
  options?: { readonly maxChunkSize?: number | undefined }
): Stream.Stream<A> => {
  const channel = channelOf(self)
  return untilClosed(channel.recvUpTo(options?.maxChunkSize ?? everything))
}

/** @internal */
export const tryRecv = <A>(self: Mpsc.Receiver<A>): Effect.Effect<Option.Option<A>, ChannelClosed> => {
  const channel = channelOf(self)
  return claimOr(() => channel.tryRecv(), () => channel.closedExit)
}

/** @internal */
export const awaitReadable = <A>(self: Mpsc.Receiver<A>): Effect.Effect<void> => channelOf(self).awaitReadable

/** @internal */
export const poll = <A>(self: Mpsc.Receiver<A>): Effect.Effect<boolean> =>
  Effect.sync(() => channelOf(self).isReadable())

/** @internal */
export const clone = <A>(self: Mpsc.Receiver<A>): Effect.Effect<Mpsc.Receiver<A>> =>
  Effect.sync(() => new ReceiverImpl(channelOf(self)))

/** @internal */
export const close = <A>(self: Mpsc.Sender<A> | Mpsc.Receiver<A>): Effect.Effect<void> =>
  Effect.sync(() => channelOf(self).close())

/** @internal */
export const size = <A>(self: Mpsc.Sender<A> | Mpsc.Receiver<A>): Effect.Effect<number> =>
  Effect.sync(() => channelOf(self).buffer.length)

/** @internal */
export const capacity = <A>(self: Mpsc.Sender<A> | Mpsc.Receiver<A>): number => channelOf(self).capacity

/** @internal */
export const isClosed = <A>(self: Mpsc.Sender<A> | Mpsc.Receiver<A>): Effect.Effect<boolean> =>
  Effect.sync(() => channelOf(self).closed)
