import type { Bytes } from "@weft/bytes"
import type { Effect, Option } from "effect"
import { Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import type { BlockingPool, SharedArena } from "../src/index.js"
import { BlockingRunner, ThreadBytes } from "../src/index.js"

class Rejected extends Schema.TaggedError<Rejected>()("Rejected", { reason: Schema.String }) {}

class Hash extends Schema.TaggedRequest<Hash>()("Hash", {
  failure: Rejected,
  success: Schema.Number,
  payload: { data: ThreadBytes.Transfer }
}) {}

class Ping extends Schema.TaggedRequest<Ping>()("Ping", {
  failure: Schema.Never,
  success: Schema.String,
  payload: {}
}) {}

type Jobs = Hash | Ping

declare const pool: BlockingPool.BlockingPool<Jobs>
declare const data: Bytes.Bytes
declare const arena: SharedArena.SharedArena

describe("worker types", () => {
  it("run returns each job's own success and failure, plus the pool's errors", () => {
    expectTypeOf(pool.run(new Hash({ data }))).toEqualTypeOf<
      Effect.Effect<number, Rejected | BlockingPool.BlockingError>
    >()
    expectTypeOf(pool.run(new Ping()))
      .toEqualTypeOf<Effect.Effect<string, BlockingPool.BlockingError>>()
  })

  it("run accepts only the pool's jobs", () => {
    class Other extends Schema.TaggedRequest<Other>()("Other", {
      failure: Schema.Never,
      success: Schema.Number,
      payload: {}
    }) {}
    // @ts-expect-error: not one of the pool's jobs
    pool.run(new Other())
  })

  it("handlers must cover every tag and return the job's types", () => {
    const handlers: BlockingRunner.Handlers<Jobs> = {
      Hash: ({ data }) => data.length,
      Ping: async () => "pong"
    }
    expectTypeOf(handlers.Hash).parameter(1).toEqualTypeOf<AbortSignal>()
    // @ts-expect-error: Ping is missing
    const missing: BlockingRunner.Handlers<Jobs> = { Hash: () => 1 }
    // @ts-expect-error: Ping must return a string
    const wrong: BlockingRunner.Handlers<Jobs> = { Hash: () => 1, Ping: () => 1 }
    void [missing, wrong, BlockingRunner.launch]
  })

  it("ThreadBytes schemas decode to Bytes and encode to Uint8Array", () => {
    expectTypeOf(ThreadBytes.Transfer).toEqualTypeOf<Schema.Schema<Bytes.Bytes, Uint8Array>>()
    expectTypeOf(new Hash({ data }).data).toEqualTypeOf<Bytes.Bytes>()
  })

  it("shared arena operations are typed", () => {
    expectTypeOf(arena.alloc(data)).toEqualTypeOf<
      Effect.Effect<SharedArena.SharedRef, SharedArena.PayloadTooLarge | SharedArena.SharedArenaFull>
    >()
    expectTypeOf(arena.tryAlloc(data)).toEqualTypeOf<
      Effect.Effect<Option.Option<SharedArena.SharedRef>, SharedArena.PayloadTooLarge>
    >()
  })
})
