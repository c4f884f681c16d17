import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, FastCheck as fc, Fiber, FiberId, Option } from "effect"
import * as FifoPermits from "../src/internal/fifoPermits.js"

/** Holds one permit until `release` completes, recording when it got it. */
const holder = (permits: FifoPermits.FifoPermits, order: Array<number>, id: number) =>
  Effect.gen(function*() {
    const release = yield* Deferred.make<void>()
    const fiber = yield* Effect.fork(permits.withPermit(Effect.zipRight(
      Effect.sync(() => order.push(id)),
      Deferred.await(release)
    )))
    return { fiber, release: Deferred.succeed(release, undefined) }
  })

describe("FifoPermits", () => {
  it.effect("hands released permits to waiters in arrival order", () =>
    Effect.gen(function*() {
      const permits = FifoPermits.make(1)
      const order: Array<number> = []
      const holders = []
      for (let id = 0; id < 4; id++) holders.push(yield* holder(permits, order, id))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(order, [0])
      assert.strictEqual(permits.waiting(), 3)
      for (const { fiber, release } of holders) {
        yield* release
        yield* Fiber.join(fiber)
      }
      assert.deepStrictEqual(order, [0, 1, 2, 3])
      yield* permits.allReturned
    }))

  for (const when of ["before", "after"] as const) {
    it.effect(`a permit granted to a waiter interrupted ${when} the grant, before it ran, goes to the next waiter`, () =>
      Effect.gen(function*() {
        const permits = FifoPermits.make(1)
        const order: Array<number> = []
        const gate = yield* Deferred.make<void>()
        const target: { waiter?: Fiber.RuntimeFiber<void> } = {}
        // In one step, without yielding, the holder interrupts the first waiter and returns the
        // permit (in either order). The waiter has not run: only its finalizer sees the grant.
        const interruptWaiter = Effect.sync(() => target.waiter!.unsafeInterruptAsFork(FiberId.none))
        const holding = Effect.fork(Effect.zipRight(
          permits.withPermit(Effect.zipRight(Deferred.await(gate), when === "before" ? interruptWaiter : Effect.void)),
          when === "after" ? interruptWaiter : Effect.void
        ))
        const holderFiber = yield* holding
        yield* Effect.yieldNow()
        const first = yield* holder(permits, order, 1)
        const next = yield* holder(permits, order, 2)
        target.waiter = first.fiber
        yield* Effect.yieldNow()
        assert.strictEqual(permits.waiting(), 2)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holderFiber)
        yield* Fiber.await(first.fiber)
        yield* Effect.yieldNow()
        assert.deepStrictEqual(order, [2])
        yield* next.release
        yield* Fiber.join(next.fiber)
        yield* permits.allReturned
      }))
  }

  it.effect("withPermitIfAvailable never jumps the queue", () =>
    Effect.gen(function*() {
      const permits = FifoPermits.make(1)
      const order: Array<number> = []
      const first = yield* holder(permits, order, 0)
      const second = yield* holder(permits, order, 1)
      yield* Effect.yieldNow()
      assert.isTrue(Option.isNone(yield* permits.withPermitIfAvailable(Effect.void)))
      yield* first.release
      yield* second.release
      yield* Fiber.join(second.fiber)
      assert.isTrue(Option.isSome(yield* permits.withPermitIfAvailable(Effect.void)))
    }))

  it.effect.prop(
    "interrupting holders and waiters anywhere loses no permit and never exceeds the count",
    {
      plan: fc.array(fc.record({ holdSteps: fc.nat(3), interruptAfter: fc.option(fc.nat(4), { nil: undefined }) }), {
        maxLength: 24
      })
    },
    ({ plan }) =>
      Effect.gen(function*() {
        const size = 2
        const permits = FifoPermits.make(size)
        let holding = 0
        let most = 0
        const fibers = []
        for (const step of plan) {
          const use = Effect.gen(function*() {
            holding++
            most = Math.max(most, holding)
            for (let i = 0; i < step.holdSteps; i++) yield* Effect.yieldNow()
            holding--
          }).pipe(Effect.onInterrupt(() => Effect.sync(() => holding--)))
          const fiber = yield* Effect.fork(permits.withPermit(use))
          fibers.push(fiber)
          if (step.interruptAfter !== undefined) {
            yield* Effect.fork(Effect.zipRight(
              Effect.repeatN(Effect.yieldNow(), step.interruptAfter),
              Fiber.interrupt(fiber)
            ))
          }
        }
        yield* Fiber.awaitAll(fibers)
        assert.isAtMost(most, size)
        assert.strictEqual(permits.waiting(), 0)
        // Every permit is back: `size` holders get one at once.
        const both = yield* permits.withPermitIfAvailable(permits.withPermitIfAvailable(Effect.void))
        assert.isTrue(Option.isSome(both) && Option.isSome(both.value))
      })
  )
})
