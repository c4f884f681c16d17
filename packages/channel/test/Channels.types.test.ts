import { Broadcast, ChannelError, Mpsc, Oneshot, Watch } from "@weft/channel"
import type { Readiness } from "@weft/channel"
import type { Chunk, Effect, Either, Stream } from "effect"
import { describe, expectTypeOf, it } from "vitest"

declare const oneshotTx: Oneshot.Sender<number, "timeout">
declare const oneshotRx: Oneshot.Receiver<number, "timeout">
declare const broadcastTx: Broadcast.Sender<string>
declare const subscription: Broadcast.Subscription<string>
declare const watchTx: Watch.Sender<number>
declare const watchRx: Watch.Receiver<number>
declare const mpscRx: Mpsc.Receiver<boolean>

describe("Oneshot, Broadcast and Watch types", () => {
  it("the stream adapters end on close (no error channel); a broadcast stream carries its lags as elements", () => {
    expectTypeOf(Mpsc.toStream(mpscRx)).toEqualTypeOf<Stream.Stream<boolean>>()
    expectTypeOf(Mpsc.toStream(mpscRx, { maxChunkSize: 64 })).toEqualTypeOf<Stream.Stream<boolean>>()
    expectTypeOf(Broadcast.toStream(subscription)).toEqualTypeOf<
      Stream.Stream<Either.Either<string, ChannelError.Lagged>>
    >()
    expectTypeOf(Watch.toStream(watchRx)).toEqualTypeOf<Stream.Stream<number>>()
    expectTypeOf(subscription.pipe(Broadcast.recvUpTo(8))).toEqualTypeOf<
      Effect.Effect<Chunk.Chunk<string>, ChannelError.ChannelClosed | ChannelError.Lagged>
    >()
    // @ts-expect-error options, not a number
    Mpsc.toStream(mpscRx, 64)
  })

  it("a oneshot carries the sender's error type to the receiver", () => {
    expectTypeOf(Oneshot.recv(oneshotRx)).toEqualTypeOf<
      Effect.Effect<number, "timeout" | ChannelError.ChannelClosed>
    >()
    // @ts-expect-error only the declared failure can be sent
    Oneshot.fail(oneshotTx, "other")
    // @ts-expect-error only the declared value type can be sent
    Oneshot.send(oneshotTx, "1")
    expectTypeOf(oneshotRx).toMatchTypeOf<Readiness.Claimable<number, "timeout" | ChannelError.ChannelClosed>>()
  })

  it("a broadcast subscription can fail with Lagged", () => {
    expectTypeOf(Broadcast.recv(subscription)).toEqualTypeOf<
      Effect.Effect<string, ChannelError.ChannelClosed | ChannelError.Lagged>
    >()
    // @ts-expect-error wrong message type
    Broadcast.send(broadcastTx, 1)
    // @ts-expect-error the lag policy is one of two names
    Broadcast.make<string>({ capacity: 1, lag: "dropNewest" })
  })

  it("ChannelClosed keeps its shape and may carry how many messages a sendAll got in", () => {
    expectTypeOf<ChannelError.ChannelClosed["accepted"]>().toEqualTypeOf<number | undefined>()
    expectTypeOf<ChannelError.ChannelClosed["channel"]>().toEqualTypeOf<ChannelError.ChannelKind>()
    expectTypeOf(new ChannelError.ChannelClosed({ channel: "mpsc" })).toEqualTypeOf<ChannelError.ChannelClosed>()
    expectTypeOf(new ChannelError.ChannelClosed({ channel: "mpsc", accepted: 2 })._tag).toEqualTypeOf<"ChannelClosed">()
    // @ts-expect-error accepted is a count
    new ChannelError.ChannelClosed({ channel: "mpsc", accepted: "2" })
  })

  it("watch values are typed", () => {
    expectTypeOf(Watch.changed(watchRx)).toEqualTypeOf<Effect.Effect<number, ChannelError.ChannelClosed>>()
    expectTypeOf(Watch.borrow(watchTx)).toEqualTypeOf<Effect.Effect<number>>()
    // @ts-expect-error update must return the value type
    Watch.update(watchTx, (n) => String(n))
    // @ts-expect-error a sender has no changed
    Watch.changed(watchTx)
  })
})
