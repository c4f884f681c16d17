import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { ChannelClosed } from "../ChannelError.js"
import * as Readiness from "../Readiness.js"
import type * as Watch from "../Watch.js"
import { Closable } from "./closable.js"
import { awaitReady, onReady, receiveLoop } from "./core.js"
import { notReady } from "./effectCompat.js"
import { ChannelEnd } from "./end.js"
import { WaiterList } from "./waiters.js"

/** @internal */
export const SenderTypeId: Watch.SenderTypeId = Symbol.for("@weft/channel/Watch/Sender") as Watch.SenderTypeId

/** @internal */
export const ReceiverTypeId: Watch.ReceiverTypeId = Symbol.for("@weft/channel/Watch/Receiver") as Watch.ReceiverTypeId

const senderVariance = { _A: (_: unknown): void => {} }
const receiverVariance = { _A: (_: never) => _ }

/**
 * The latest value and its version. Receivers wait on one shared list; every change wakes them
 * all, since every receiver wants to see it.
 */
class WatchChannel<A> extends Closable {
  version = 0
  closed = false
  readonly readers = new WaiterList()
  constructor(public value: A) {
    super("watch")
  }

  set(value: A): void {
    this.value = value
    this.version++
    this.readers.wakeAll()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.readers.wakeAll()
  }
}

/** One receiver: the version it has seen last. */
class ReceiverImpl<A> extends ChannelEnd implements Watch.Receiver<A> {
  readonly [ReceiverTypeId] = receiverVariance
  readonly changed: Effect.Effect<A, ChannelClosed>
  readonly awaitReadable: Effect.Effect<void>
  readonly readiness: Readiness.Readiness<A, ChannelClosed>

  constructor(readonly channel: WatchChannel<A>, public seen: number) {
    super()
    this.changed = receiveLoop(this.take, channel.readers, this.isReadable, this.ended)
    this.awaitReadable = awaitReady(channel.readers, this.isReadable)
    this.readiness = { claim: this.claim, onReady: onReady(channel.readers, this.isReadable) }
  }

  get [Readiness.TypeId]() {
    return this.readiness
  }

  readonly hasChanged = (): boolean => this.channel.version > this.seen

  readonly isReadable = (): boolean => this.hasChanged() || this.channel.closed

  readonly take = (): A => {
    if (!this.hasChanged()) return notReady()
    this.seen = this.channel.version
    return this.channel.value
  }

  readonly ended = (): Exit.Exit<never, ChannelClosed> | undefined =>
    this.channel.closed ? this.channel.closedExit : undefined

  readonly claim = (): Exit.Exit<A, ChannelClosed> | undefined =>
    this.hasChanged() ? Exit.succeed(this.take()) : this.ended()

  toJSON() {
    return { _id: "Watch.Receiver", version: this.channel.version, seen: this.seen, closed: this.channel.closed }
  }
}

class SenderImpl<A> extends ChannelEnd implements Watch.Sender<A> {
  readonly [SenderTypeId] = senderVariance
  constructor(readonly channel: WatchChannel<A>) {
    super()
  }
  toJSON() {
    return { _id: "Watch.Sender", version: this.channel.version, closed: this.channel.closed }
  }
}

const channelOf = <A>(self: Watch.Sender<A> | Watch.Receiver<A>): WatchChannel<A> =>
  (self as unknown as SenderImpl<A> | ReceiverImpl<A>).channel
const receiverOf = <A>(self: Watch.Receiver<A>): ReceiverImpl<A> => self as unknown as ReceiverImpl<A>

/** @internal */
export const make = <A>(initial: A): Effect.Effect<readonly [Watch.Sender<A>, Watch.Receiver<A>]> =>
  Effect.sync(() => {
    const channel = new WatchChannel(initial)
    return [new SenderImpl(channel), new ReceiverImpl(channel, 0)] as const
  })

/** @internal */
export const send: {
  <A>(value: A): (self: Watch.Sender<A>) => Effect.Effect<void, ChannelClosed>
  <A>(self: Watch.Sender<A>, value: A): Effect.Effect<void, ChannelClosed>
} = dual(2, <A>(self: Watch.Sender<A>, value: A): Effect.Effect<void, ChannelClosed> =>
  Effect.suspend(() => {
    const channel = channelOf(self)
    if (channel.closed) return channel.closedExit
    channel.set(value)
    return Exit.void
  }))

/** @internal */
export const update: {
  <A>(f: (current: A) => A): (self: Watch.Sender<A>) => Effect.Effect<A, ChannelClosed>
  <A>(self: Watch.Sender<A>, f: (current: A) => A): Effect.Effect<A, ChannelClosed>
} = dual(2, <A>(self: Watch.Sender<A>, f: (current: A) => A): Effect.Effect<A, ChannelClosed> =>
  Effect.suspend(() => {
    const channel = channelOf(self)
    if (channel.closed) return channel.closedExit
    const next = f(channel.value)
    channel.set(next)
    return Exit.succeed(next)
  }))

/** @internal */
export const borrow = <A>(self: Watch.Sender<A> | Watch.Receiver<A>): Effect.Effect<A> =>
  Effect.sync(() => channelOf(self).value)

/** @internal */
export const version = <A>(self: Watch.Sender<A> | Watch.Receiver<A>): Effect.Effect<number> =>
  Effect.sync(() => channelOf(self).version)

/** @internal */
export const changed = <A>(self: Watch.Receiver<A>): Effect.Effect<A, ChannelClosed> => receiverOf(self).changed

/** @internal */
export const markSeen = <A>(self: Watch.Receiver<A>): Effect.Effect<A> =>
  Effect.sync(() => {
    const receiver = receiverOf(self)
    receiver.seen = receiver.channel.version
    return receiver.channel.value
  })

/** @internal */
export const hasChanged = <A>(self: Watch.Receiver<A>): Effect.Effect<boolean> =>
  Effect.sync(() => receiverOf(self).hasChanged())

/** @internal */
export const awaitReadable = <A>(self: Watch.Receiver<A>): Effect.Effect<void> => receiverOf(self).awaitReadable

/** @internal */
export const poll = <A>(self: Watch.Receiver<A>): Effect.Effect<boolean> =>
  Effect.sync(() => receiverOf(self).isReadable())

/** @internal */
export const subscribe = <A>(self: Watch.Sender<A>): Effect.Effect<Watch.Receiver<A>> =>
  Effect.sync(() => {
    const channel = channelOf(self)
    return new ReceiverImpl(channel, channel.version)
  })

/** @internal */
export const clone = <A>(self: Watch.Receiver<A>): Effect.Effect<Watch.Receiver<A>> =>
  Effect.sync(() => {
    const receiver = receiverOf(self)
    return new ReceiverImpl(receiver.channel, receiver.seen)
  })

/** @internal */
export const close = <A>(self: Watch.Sender<A> | Watch.Receiver<A>): Effect.Effect<void> =>
  Effect.sync(() => channelOf(self).close())

/** @internal */
export const isClosed = <A>(self: Watch.Sender<A> | Watch.Receiver<A>): Effect.Effect<boolean> =>
  Effect.sync(() => channelOf(self).closed)

/** @internal */
export const toStream = <A>(self: Watch.Receiver<A>): Stream.Stream<A> =>
  Stream.concat(
    Stream.fromEffect(markSeen(self)),
    Stream.repeatEffectOption(Effect.catchAll(changed(self), () => Effect.fail(Option.none())))
  )
