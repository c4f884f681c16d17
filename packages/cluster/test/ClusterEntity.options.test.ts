import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, FastCheck as fc, Layer } from "effect"
import { ClusterEntity, ClusterEntityError, Embedded } from "../src/index.js"
import { Account, account, Balance, Crash, Deposit, Slow, Withdraw } from "./fixtures.js"

/** Builds the entity type's layer with `options` and, when it builds, asks one entity. */
const serveWith = (options: ClusterEntity.LayerOptions, entity: typeof Account = Account) =>
  Effect.gen(function*() {
    const ref = yield* ClusterEntity.ref(entity, "options")
    yield* ClusterEntity.tell(ref, new Deposit({ amount: 2 }))
    return yield* ClusterEntity.ask(ref, new Balance(), { timeout: "5 seconds" })
  }).pipe(Effect.provide(ClusterEntity.layer(entity, account, options).pipe(Layer.provideMerge(Embedded.layer()))))

const describeExit = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isSuccess(exit) ? `success ${String(exit.value)}` : Cause.pretty(exit.cause)

const invalidOption = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail"
    && exit.cause.error instanceof ClusterEntityError.InvalidEntityOption
    ? exit.cause.error
    : undefined

describe("ClusterEntity.layer options", () => {
  it.live("a mailbox capacity that is not a positive integer fails the layer with the facts", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(serveWith({ mailbox: { capacity: 0 } }))
      const error = invalidOption(exit)
      assert.isDefined(error, `expected InvalidEntityOption, got ${describeExit(exit)}`)
      assert.deepStrictEqual(
        { entityType: error!.entityType, option: error!.option, value: error!.value, expected: error!.expected },
        { entityType: "Account", option: "mailbox.capacity", value: 0, expected: "a positive integer" }
      )
      assert.strictEqual(
        error!.message,
        "invalid mailbox.capacity for entity type Account: 0 (expected a positive integer)"
      )
    }))

  it.live("every other bad option is named too", () =>
    Effect.gen(function*() {
      const ZeroDeadline = ClusterEntity.make("Account", [Deposit, Crash, Withdraw, Balance, Slow], { askTimeout: 0 })
      const cases: Array<[ClusterEntity.LayerOptions, typeof Account, string]> = [
        [{ mailbox: { capacity: 2.5 } }, Account, "mailbox.capacity"],
        [{ entityMailboxCapacity: 0 }, Account, "entityMailboxCapacity"],
        [{ entityMailboxCapacity: -3 }, Account, "entityMailboxCapacity"],
        [{ maxIdleTime: 0 }, Account, "maxIdleTime"],
        [{ maxIdleTime: "Infinity" as never }, Account, "maxIdleTime"],
        [{}, ZeroDeadline, "askTimeout"]
      ]
      for (const [options, entity, option] of cases) {
        const error = invalidOption(yield* Effect.exit(serveWith(options, entity)))
        assert.strictEqual(error?.option, option, JSON.stringify(options))
      }
    }))

  it.live.prop(
    "the layer builds exactly when the mailbox capacities are positive integers",
    [
      fc.oneof(fc.integer({ min: -4, max: 64 }), fc.double({ min: -2, max: 64, noNaN: false })),
      fc.oneof(fc.integer({ min: -4, max: 64 }), fc.constant("unbounded" as const))
    ],
    ([capacity, entityMailboxCapacity]) =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(serveWith({ mailbox: { capacity }, entityMailboxCapacity }))
        const valid = Number.isInteger(capacity) && capacity > 0
          && (entityMailboxCapacity === "unbounded" || entityMailboxCapacity > 0)
        if (valid) assert.deepStrictEqual(exit, Exit.succeed(2))
        else assert.isDefined(invalidOption(exit), `expected InvalidEntityOption, got ${describeExit(exit)}`)
      }),
    { fastCheck: { numRuns: 30 } }
  )
})
