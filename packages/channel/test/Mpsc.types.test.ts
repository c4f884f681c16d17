import { Mpsc, Readiness } from "@weft/channel"
import type { ChannelError } from "@weft/channel"
import type { Chunk, Effect, Exit, Option } from "effect"
import { describe, expectTypeOf, it } from "vitest"

interface Animal {
  readonly name: string
}
interface Cat extends Animal {
  readonly meows: true
}

declare const animals: Mpsc.Sender<Animal>
declare const cats: Mpsc.Receiver<Cat>
declare const numbers: Mpsc.Sender<number>
declare const numberReceiver: Mpsc.Receiver<number>

describe("Mpsc types", () => {
  it("constructors carry the message type and the typed InvalidCapacity", () => {
    expectTypeOf(Mpsc.bounded<string>(8)).toEqualTypeOf<
      Effect.Effect<readonly [Mpsc.Sender<string>, Mpsc.Receiver<string>], ChannelError.InvalidCapacity>
    >()
    expectTypeOf(Mpsc.unbounded<string>()).toEqualTypeOf<
      Effect.Effect<readonly [Mpsc.Sender<string>, Mpsc.Receiver<string>]>
    >()
  })

  it("Sender is contravariant, Receiver covariant", () => {
    expectTypeOf(animals).toMatchTypeOf<Mpsc.Sender<Cat>>()
    expectTypeOf(cats).toMatchTypeOf<Mpsc.Receiver<Animal>>()
    // @ts-expect-error a sender of cats cannot accept any animal
    const wider: Mpsc.Sender<Animal> = {} as Mpsc.Sender<Cat>
    // @ts-expect-error a receiver of animals does not promise cats
    const narrower: Mpsc.Receiver<Cat> = {} as Mpsc.Receiver<Animal>
    void wider
    void narrower
  })

  it("unsafeTrySend answers a TrySendResult, outside any effect, for the sender's type only", () => {
    expectTypeOf(Mpsc.unsafeTrySend(numbers, 1)).toEqualTypeOf<Mpsc.TrySendResult>()
    expectTypeOf(numbers.pipe(Mpsc.unsafeTrySend(1))).toEqualTypeOf<"sent" | "full" | "closed">()
    // @ts-expect-error a string is not a number
    Mpsc.unsafeTrySend(numbers, "1")
  })

  it("unsafeTrySendAll answers an index, outside any effect, for the sender's type only", () => {
    expectTypeOf(Mpsc.unsafeTrySendAll(numbers, [1, 2])).toEqualTypeOf<number>()
    expectTypeOf(numbers.pipe(Mpsc.unsafeTrySendAll([1, 2], 1))).toEqualTypeOf<number>()
    // @ts-expect-error a string is not a number
    Mpsc.unsafeTrySendAll(numbers, [1, "2"])
  })

  it("sending the wrong type does not compile", () => {
    // @ts-expect-error a string is not a number
    Mpsc.send(numbers, "one")
    // @ts-expect-error data-last too
    numbers.pipe(Mpsc.send("one"))
    // @ts-expect-error sendAll checks every element
    Mpsc.sendAll(numbers, [1, "two"])
    expectTypeOf(Mpsc.send(numbers, 1)).toEqualTypeOf<Effect.Effect<void, ChannelError.ChannelClosed>>()
  })

  it("receiving is typed, with ChannelClosed as the end", () => {
    expectTypeOf(Mpsc.recv(numberReceiver)).toEqualTypeOf<Effect.Effect<number, ChannelError.ChannelClosed>>()
    expectTypeOf(numberReceiver.pipe(Mpsc.recvUpTo(8))).toEqualTypeOf<
      Effect.Effect<Chunk.Chunk<number>, ChannelError.ChannelClosed>
    >()
    expectTypeOf(Mpsc.tryRecv(numberReceiver)).toEqualTypeOf<
      Effect.Effect<Option.Option<number>, ChannelError.ChannelClosed>
    >()
    // @ts-expect-error a sender cannot receive
    Mpsc.recv(numbers)
    // @ts-expect-error a receiver cannot send
    Mpsc.send(numberReceiver, 1)
  })

  it("a Receiver is a Claimable for select", () => {
    expectTypeOf(numberReceiver).toMatchTypeOf<Readiness.Claimable<number, ChannelError.ChannelClosed>>()
    expectTypeOf(numberReceiver[Readiness.TypeId].claim).returns.toEqualTypeOf<
      Exit.Exit<number, ChannelError.ChannelClosed> | undefined
    >()
  })

  it("a permit sends the channel's type", () => {
    const permit = {} as Mpsc.Permit<number>
    expectTypeOf(permit.send(1)).toEqualTypeOf<
      Effect.Effect<void, ChannelError.ChannelClosed | ChannelError.PermitUsed>
    >()
    // @ts-expect-error wrong message type
    permit.send("x")
  })
})
