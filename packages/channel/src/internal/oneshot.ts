import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import type { ChannelClosed } from "../ChannelError.js"
import type * as Oneshot from "../Oneshot.js"
import * as Readiness from "../Readiness.js"
import { Closable } from "./closable.js"
import { awaitReady, onReady, receiveLoop } from "./core.js"
import { claimOr, notReady } from "./effectCompat.js"
import { ChannelEnd } from "./end.js"
import { WaiterList } from "./waiters.js"

/** @internal */
export const SenderTypeId: Oneshot.SenderTypeId = Symbol.for("@weft/channel/Oneshot/Sender") as Oneshot.SenderTypeId

/** @internal */
export const ReceiverTypeId: Oneshot.ReceiverTypeId = Symbol.for(
  "@weft/channel/Oneshot/Receiver"
) as Oneshot.ReceiverTypeId

const senderVariance = { _A: (_: unknown): void => {}, _E: (_: unknown): void => {} }
const receiverVariance = { _A: (_: never) => _, _E: (_: never) => _ }

const Pending = 0
const Full = 1
const Ended = 2

class OneshotChannel<A, E> extends Closable {
  state: typeof Pending | typeof Full | typeof Ended = Pending
  value: A | undefined = undefined
  /** How `fail` or `close` ended the channel; unset while pending, and after a value was taken. */
  private ending: Exit.Exit<never, E | ChannelClosed> | undefined = undefined
  readonly readers = new WaiterList()
  readonly recv: Effect.Effect<A, E | ChannelClosed>
  // Made on first use: a oneshot lives for one exchange, and most are only received from.
  private waitReadable: Effect.Effect<void> | undefined = undefined
  private readinessOf: Readiness.Readiness<A, E | ChannelClosed> | undefined = undefined

  constructor() {
    super("oneshot")
    this.recv = receiveLoop(this.take, this.readers, this.isReadable, this.ended)
  }

  get awaitReadable(): Effect.Effect<void> {
    return this.waitReadable ??= awaitReady(this.readers, this.isReadable)
  }

  get readiness(): Readiness.Readiness<A, E | ChannelClosed> {
    return this.readinessOf ??= { claim: this.claim, onReady: onReady(this.readers, this.isReadable) }
  }

  /** What every receive reports once the channel has ended. */
  get end(): Exit.Exit<never, E | ChannelClosed> {
    return this.ending ?? this.closedExit
  }

  readonly isReadable = (): boolean => this.state !== Pending

  readonly ended = (): Exit.Exit<never, E | ChannelClosed> | undefined => this.state === Ended ? this.end : undefined

  readonly take = (): A => {
    if (this.state !== Full) return notReady()
    const value = this.value as A
    this.value = undefined
    this.state = Ended
    return value
  }

  readonly claim = (): Exit.Exit<A, E | ChannelClosed> | undefined =>
    this.state === Full ? Exit.succeed(this.take()) : this.ended()

  complete(value: A): boolean {
    if (this.state !== Pending) return false
    this.value = value
    this.state = Full
    this.readers.wakeAll()
    return true
  }

  finish(end: Exit.Exit<never, E | ChannelClosed>): boolean {
    if (this.state !== Pending) return false
    this.ending = end
    this.state = Ended
    this.readers.wakeAll()
    return true
  }
}

abstract class End<A, E> extends ChannelEnd {
  constructor(readonly channel: OneshotChannel<A, E>) {
    super()
  }
  abstract readonly _tag: string
  toJSON() {
    return { _id: `Oneshot.${this._tag}`, state: ["pending", "full", "ended"][this.channel.state] }
  }
}

class SenderImpl<A, E> extends End<A, E> implements Oneshot.Sender<A, E> {
  readonly _tag = "Sender"
  readonly [SenderTypeId] = senderVariance
}

class ReceiverImpl<A, E> extends End<A, E> implements Oneshot.Receiver<A, E> {
  readonly _tag = "Receiver"
  readonly [ReceiverTypeId] = receiverVariance
  get [Readiness.TypeId]() {
    return this.channel.readiness
  }
}

const channelOf = <A, E>(self: Oneshot.Sender<A, E> | Oneshot.Receiver<A, E>): OneshotChannel<A, E> =>
  (self as unknown as End<A, E>).channel

/** @internal */
export const make = <A, E = never>(): Effect.Effect<readonly [Oneshot.Sender<A, E>, Oneshot.Receiver<A, E>]> =>
  Effect.sync(() => {
    const channel = new OneshotChannel<A, E>()
    return [new SenderImpl(channel), new ReceiverImpl(channel)] as const
  })

/** @internal */
export const send: {
  <A>(value: A): <E>(self: Oneshot.Sender<A, E>) => Effect.Effect<void, ChannelClosed>
  <A, E>(self: Oneshot.Sender<A, E>, value: A): Effect.Effect<void, ChannelClosed>
} = dual(2, <A, E>(self: Oneshot.Sender<A, E>, value: A): Effect.Effect<void, ChannelClosed> =>
  Effect.suspend(() => {
    const channel = channelOf(self)
    return channel.complete(value) ? Exit.void : channel.closedExit
  }))

/** @internal */
export const fail: {
  <E>(error: E): <A>(self: Oneshot.Sender<A, E>) => Effect.Effect<void, ChannelClosed>
  <A, E>(self: Oneshot.Sender<A, E>, error: E): Effect.Effect<void, ChannelClosed>
} = dual(2, <A, E>(self: Oneshot.Sender<A, E>, error: E): Effect.Effect<void, ChannelClosed> =>
  Effect.suspend(() => {
    const channel = channelOf(self)
    return channel.finish(Exit.fail(error)) ? Exit.void : channel.closedExit
  }))

/** @internal */
export const recv = <A, E>(self: Oneshot.Receiver<A, E>): Effect.Effect<A, E | ChannelClosed> => channelOf(self).recv

/** @internal */
export const tryRecv = <A, E>(self: Oneshot.Receiver<A, E>): Effect.Effect<Option.Option<A>, E | ChannelClosed> => {
  const channel = channelOf(self)
  return claimOr(
    () => channel.state === Full ? Option.some(channel.take()) : channel.state === Ended ? notReady() : Option.none(),
    () => channel.end
  )
}

/** @internal */
export const awaitReadable = <A, E>(self: Oneshot.Receiver<A, E>): Effect.Effect<void> => channelOf(self).awaitReadable

/** @internal */
export const poll = <A, E>(self: Oneshot.Receiver<A, E>): Effect.Effect<boolean> =>
  Effect.sync(() => channelOf(self).isReadable())

/** @internal */
export const close = <A, E>(self: Oneshot.Sender<A, E> | Oneshot.Receiver<A, E>): Effect.Effect<void> =>
  Effect.sync(() => {
    const channel = channelOf(self)
    channel.finish(channel.closedExit)
  })

/** @internal */
export const isClosed = <A, E>(self: Oneshot.Sender<A, E> | Oneshot.Receiver<A, E>): Effect.Effect<boolean> =>
  Effect.sync(() => channelOf(self).state !== Pending)
