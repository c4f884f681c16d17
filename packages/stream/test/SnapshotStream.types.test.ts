import type { ChannelError } from "@weft/channel"
import { SnapshotStream } from "@weft/stream"
import type { Scope, Stream } from "effect"
import { Effect } from "effect"
import { describe, expectTypeOf, it } from "vitest"

class Boom {
  readonly _tag = "Boom"
}

describe("SnapshotStream types", () => {
  it("suspend emits the snapshots; latest wraps them in Conflated", () => {
    const suspend = SnapshotStream.make({
      initial: 0,
      step: (total: number, n: number) => [total + n, String(total + n)] as const,
      capacity: 8,
      strategy: "suspend"
    })
    expectTypeOf(suspend).toEqualTypeOf<
      Effect.Effect<SnapshotStream.SnapshotStream<number, string, never>, SnapshotStream.InvalidArgument, Scope.Scope>
    >()
    const latest = SnapshotStream.make({
      initial: 0,
      step: (total: number, n: number) => Effect.succeed([total + n, total + n] as const),
      capacity: 8,
      strategy: "latest"
    })
    expectTypeOf(latest).toEqualTypeOf<
      Effect.Effect<
        SnapshotStream.SnapshotStream<number, SnapshotStream.Conflated<number>, never>,
        SnapshotStream.InvalidArgument,
        Scope.Scope
      >
    >()
  })

  it("send takes only events and fails only with ChannelClosed; step errors reach the stream", () => {
    type Handle = SnapshotStream.SnapshotStream<number, string, Boom>
    expectTypeOf<Handle["send"]>().toEqualTypeOf<(event: number) => Effect.Effect<void, ChannelError.ChannelClosed>>()
    expectTypeOf<Handle["stream"]>().toEqualTypeOf<Stream.Stream<string, Boom>>()
  })

  it("a strategy typed as the union is accepted, and the stream carries either shape", () => {
    const chosen = (conflate: boolean): "suspend" | "latest" => conflate ? "latest" : "suspend"
    const either = SnapshotStream.make({
      initial: 0,
      step: (total: number, n: number) => [total + n, total + n] as const,
      capacity: 8,
      strategy: chosen(true)
    })
    expectTypeOf(either).toEqualTypeOf<
      Effect.Effect<
        SnapshotStream.SnapshotStream<number, number | SnapshotStream.Conflated<number>, never>,
        SnapshotStream.InvalidArgument,
        Scope.Scope
      >
    >()
  })

  it("the strategy is one of two", () => {
    SnapshotStream.make({
      initial: 0,
      step: (total: number, n: number) => [total + n] as const,
      capacity: 8,
      // @ts-expect-error: not a strategy
      strategy: "drop"
    })
  })
})
