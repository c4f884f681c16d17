/**
 * Model-based property tests: random programs of alloc / retain / release / get / stale accesses,
 * run by several fibers against one message arena, checked after every step against a model of
 * who holds which counts.
 *
 * Fibers switch only at explicit `yieldNow` commands (`withMaxOpsBeforeYield` is lifted), so every
 * command — the arena call plus the model update — is one atomic step, and the global invariants
 * (live, bytes, staleAccesses) can be checked between any two of them.
 */
import { assert, describe, it } from "@effect/vitest"
import type { MessageRef } from "@weft/arena"
import { Arena, MessageArena } from "@weft/arena"
import { Bytes } from "@weft/bytes"
import { Effect, Either, FastCheck as fc, Option } from "effect"

const capacity = 5
const maxBytes = 48

type Command =
  | { readonly op: "alloc"; readonly size: number }
  | { readonly op: "retain" | "release" | "get" | "publish"; readonly pick: number }
  | { readonly op: "getFreed" | "releaseFreed" | "retainFreed"; readonly pick: number }
  | { readonly op: "adopt" | "yield" }

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    arbitrary: fc.record({ op: fc.constant("alloc" as const), size: fc.integer({ min: 0, max: maxBytes + 4 }) }),
    weight: 4
  },
  {
    arbitrary: fc.record({
      op: fc.constantFrom("retain" as const, "release" as const, "get" as const, "publish" as const),
      pick: fc.nat()
    }),
    weight: 6
  },
  {
    arbitrary: fc.record({
      op: fc.constantFrom("getFreed" as const, "releaseFreed" as const, "retainFreed" as const),
      pick: fc.nat()
    }),
    weight: 3
  },
  { arbitrary: fc.record({ op: fc.constantFrom("adopt" as const, "yield" as const) }), weight: 2 }
)

/** One owned count on a message: who holds it is the array it sits in. */
interface Holding {
  readonly ref: MessageRef.MessageRef
  readonly payload: Bytes.Bytes
}

interface Model {
  readonly holdings: Array<Array<Holding>>
  /** Counts handed from one fiber to whoever adopts them, as a dispatcher would. */
  readonly mailbox: Array<Holding>
  readonly freed: Array<MessageRef.MessageRef>
  staleAccesses: number
  payloads: number
}

const liveInModel = (model: Model): Map<string, Holding> => {
  const live = new Map<string, Holding>()
  for (const held of [...model.holdings.flat(), ...model.mailbox]) live.set(String(held.ref), held)
  return live
}

const checkInvariants = (arena: Arena.Arena<Bytes.Bytes>, model: Model) =>
  Effect.gen(function*() {
    const stats = yield* arena.stats
    const live = liveInModel(model)
    let bytes = 0
    for (const held of live.values()) bytes += Bytes.size(held.payload)
    assert.strictEqual(stats.live, live.size, "live matches the model")
    assert.strictEqual(stats.bytes, bytes, "bytes match the model")
    assert.strictEqual(stats.staleAccesses, model.staleAccesses, "stale accesses match the model")
    assert.strictEqual(stats.allocs, stats.frees + stats.live)
    assert.isAtMost(stats.live, capacity)
    assert.isAtMost(stats.bytes, maxBytes)
  })

const runCommand = (arena: Arena.Arena<Bytes.Bytes>, model: Model, fiber: number, cmd: Command) =>
  Effect.gen(function*() {
    const mine = model.holdings[fiber]!
    switch (cmd.op) {
      case "alloc": {
        // Distinct content per payload, so a wrong slot can never pass the content check.
        const payload = Bytes.fromUint8Array(new Uint8Array(cmd.size).fill(++model.payloads % 251))
        const result = yield* Effect.either(arena.alloc(payload))
        if (Either.isRight(result)) {
          mine.push({ ref: result.right, payload })
        } else if (result.left._tag === "PayloadTooLarge") {
          assert.isAbove(cmd.size, maxBytes)
        } else {
          assert.strictEqual(result.left._tag, "ArenaFull")
          const live = liveInModel(model)
          let bytes = 0
          for (const held of live.values()) bytes += Bytes.size(held.payload)
          assert.isTrue(live.size === capacity || bytes + cmd.size > maxBytes, "ArenaFull only when full")
        }
        return
      }
      case "retain":
      case "publish": {
        if (mine.length === 0) return
        const held = mine[cmd.pick % mine.length]!
        yield* arena.retain(held.ref)
        if (cmd.op === "retain") mine.push(held)
        else model.mailbox.push(held)
        return
      }
      case "release": {
        if (mine.length === 0) return
        const [held] = mine.splice(cmd.pick % mine.length, 1)
        yield* arena.release(held!.ref)
        if (!liveInModel(model).has(String(held!.ref))) model.freed.push(held!.ref)
        return
      }
      case "get": {
        if (mine.length === 0) return
        const held = mine[cmd.pick % mine.length]!
        const payload = yield* arena.get(held.ref)
        assert.strictEqual(payload, held.payload, `${held.ref} returns exactly its payload`)
        assert.isTrue(Bytes.equals(payload, held.payload))
        return
      }
      case "getFreed":
      case "releaseFreed":
      case "retainFreed": {
        if (model.freed.length === 0) return
        const ref = model.freed[cmd.pick % model.freed.length]!
        model.staleAccesses++
        if (cmd.op === "getFreed") {
          const error = yield* Effect.flip(arena.get(ref))
          assert.strictEqual(error._tag, "StaleRef", `${ref} was freed`)
          return
        }
        const error = yield* Effect.flip(cmd.op === "releaseFreed" ? arena.release(ref) : arena.retain(ref))
        assert.strictEqual(error._tag, "StaleRef", `${ref} was freed`)
        return
      }
      case "adopt": {
        const held = model.mailbox.shift()
        if (held !== undefined) mine.push(held)
        return
      }
      case "yield":
        return yield* Effect.yieldNow()
    }
  })

describe("Arena: model-based properties", () => {
  it.effect.prop(
    "several fibers: live refs return their payload, freed refs are stale, live and bytes match the model",
    [fc.array(fc.array(command, { maxLength: 40 }), { minLength: 2, maxLength: 4 })],
    ([programs]) =>
      Effect.gen(function*() {
        const arena = yield* MessageArena.make({ capacity, maxBytes, onFull: "fail" })
        const model: Model = {
          holdings: programs.map(() => []),
          mailbox: [],
          freed: [],
          staleAccesses: 0,
          payloads: 0
        }
        yield* Effect.forEach(
          programs,
          (program, fiber) =>
            Effect.forEach(program, (cmd) =>
              Effect.zipRight(runCommand(arena, model, fiber, cmd), checkInvariants(arena, model)), { discard: true }),
          { concurrency: "unbounded", discard: true }
        )
        // Everyone lets go: the arena must end empty, with every ref stale.
        const all = [...model.holdings.flat(), ...model.mailbox]
        for (const held of all) {
          yield* arena.release(held.ref)
        }
        for (const held of all) {
          assert.isTrue(Option.isNone(yield* arena.getOption(held.ref)))
        }
        const stats = yield* arena.stats
        assert.deepStrictEqual([stats.live, stats.bytes, stats.allocs - stats.frees], [0, 0, 0])
      }).pipe(Effect.scoped, Effect.withMaxOpsBeforeYield(Number.MAX_SAFE_INTEGER)),
    { fastCheck: { numRuns: 100 } }
  )

  it.effect.prop(
    "a stale or double release never frees or changes the message that reused the slot",
    [fc.array(fc.record({ victim: fc.nat(), releases: fc.integer({ min: 1, max: 3 }) }), {
      minLength: 1,
      maxLength: 30
    })],
    ([rounds]) =>
      Effect.gen(function*() {
        const arena = yield* Arena.make<{ readonly id: number }>({ capacity: 2 })
        const live: Array<{ ref: MessageRef.MessageRef; value: { readonly id: number } }> = []
        let id = 0
        for (const { releases, victim } of rounds) {
          while (live.length < 2) {
            const value = { id: id++ }
            live.push({ ref: yield* arena.alloc(value), value })
          }
          // Free one message, let its slot be reused at once (LIFO free stack), then release the
          // old ref again, several times.
          const [gone] = live.splice(victim % live.length, 1)
          yield* arena.release(gone!.ref)
          const value = { id: id++ }
          const reused = yield* arena.alloc(value)
          assert.strictEqual(reused.index, gone!.ref.index)
          live.push({ ref: reused, value })
          for (let i = 0; i < releases; i++) {
            assert.strictEqual((yield* Effect.flip(arena.release(gone!.ref)))._tag, "StaleRef")
          }
          for (const held of live) assert.strictEqual(yield* arena.get(held.ref), held.value)
          assert.strictEqual((yield* arena.stats).live, 2)
        }
      }).pipe(Effect.scoped)
  )
})
