import type { Bytes } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import { Sink, Stream } from "effect"
import { Readable } from "node:stream"
import { describe, expectTypeOf, it } from "vitest"

describe("NodeBridge types", () => {
  it("reads Bytes with ReadError, writes Bytes with WriteError", () => {
    expectTypeOf(NodeBridge.fromReadable(() => Readable.from([]))).toEqualTypeOf<
      Stream.Stream<Bytes.Bytes, NodeBridge.ReadError>
    >()
    expectTypeOf(NodeBridge.toWritable(() => process.stdout)).toEqualTypeOf<
      Sink.Sink<void, Bytes.Bytes, never, NodeBridge.WriteError>
    >()
    // @ts-expect-error: the sink takes Bytes, not strings
    Stream.run(Stream.make("text"), NodeBridge.toWritable(() => process.stdout))
    expectTypeOf(Sink.drain).not.toEqualTypeOf(NodeBridge.toWritable(() => process.stdout))
  })

  it("fromSocket takes the same options as fromReadable", () => {
    expectTypeOf(NodeBridge.fromSocket).parameter(1).toEqualTypeOf<NodeBridge.ReadOptions | undefined>()
    expectTypeOf(NodeBridge.fromReadable).parameter(1).toEqualTypeOf<NodeBridge.ReadOptions | undefined>()
  })
})
