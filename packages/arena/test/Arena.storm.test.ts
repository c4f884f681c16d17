import { assert, describe, it } from "@effect/vitest"
import type { MessageRef } from "@weft/arena"
import { Arena } from "@weft/arena"
import { Effect, Exit, FastCheck, Fiber } from "effect"

/** What the driver does between the allocating fibers' steps. */
type Move =
  | { readonly _tag: "release" }
  | { readonly _tag: "interrupt"; readonly fiber: number }
  | { readonly _tag: "yield"; readonly times: number }

const move: FastCheck.Arbitrary<Move> = FastCheck.oneof(
  FastCheck.constant({ _tag: "release" as const }),
  FastCheck.record({ _tag: FastCheck.constant("interrupt" as const), fiber: FastCheck.nat(31) }),
  FastCheck.record({ _tag: FastCheck.constant("yield" as const), times: FastCheck.integer({ min: 1, max: 4 }) })
)

describe("Arena: an interrupt storm under a full arena leaks no slot", () => {
  it.effect.prop(
    "fibers allocating (alloc, allocUpTo) under a full arena, interrupted at random: every slot is a result or free",
    {
      capacity: FastCheck.integer({ min: 1, max: 4 }),
      fibers: FastCheck.integer({ min: 1, max: 32 }),
      moves: FastCheck.array(move, { maxLength: 120 })
    },
    ({ capacity, fibers, moves }) =>
      Effect.scoped(Effect.gen(function*() {
        const arena = yield* Arena.make<number>({ capacity })
        const held: Array<MessageRef.MessageRef<number>> = [
          ...yield* Arena.allocUpTo(arena, Array.from({ length: capacity }, (_, i) => i))
        ]
        const allocating = yield* Effect.forEach(
          Array.from({ length: fibers }, (_, i) => i),
          (i) =>
            Effect.fork(
              i % 3 === 2
                ? Arena.allocUpTo(arena, [i, -i])
                : Effect.map(Arena.alloc(arena, i), (ref) => [ref])
            )
        )
        const release = Effect.suspend(() => {
          const ref = held.pop()
          return ref === undefined ? Effect.void : Arena.release(arena, ref)
        })
        for (const step of moves) {
          if (step._tag === "release") yield* release
          else if (step._tag === "interrupt") yield* Fiber.interrupt(allocating[step.fiber % fibers]!)
          else for (let y = 0; y < step.times; y++) yield* Effect.yieldNow()
        }
        // Whatever is still waiting is interrupted too; what succeeded is held.
        for (const fiber of allocating) {
          const exit = yield* Fiber.interrupt(fiber)
          if (Exit.isSuccess(exit)) held.push(...exit.value)
        }
        const stats = yield* arena.stats
        assert.strictEqual(stats.waiting, 0)
        assert.strictEqual(stats.live, held.length, "every live slot is a result someone holds")
        yield* Arena.releaseAll(arena, held)
        assert.strictEqual((yield* arena.stats).live, 0)
      })),
    { fastCheck: { numRuns: 60 } }
  )
})
