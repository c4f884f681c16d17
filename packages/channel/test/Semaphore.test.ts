import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, FastCheck as fc, Fiber, FiberId, Option } from "effect"
import { Semaphore } from "../src/index.js"

/** Holds one permit until `release` completes, recording when it got it. */
const holder = (permits: Semaphore.Semaphore, order: Array<number>, id: number) =>
  Effect.gen(function*() {
    const release = yield* Deferred.make<void>()
    const fiber = yield* Effect.fork(
      Semaphore.withPermit(permits)(Effect.zipRight(
        Effect.sync(() => order.push(id)),
        Deferred.await(release)
      ))
    )
    return { fiber, release: Deferred.succeed(release, undefined) }
  })

describe("Semaphore", () => {
  it.effect("hands released permits to waiters in arrival order", () =>
    Effect.gen(function*() {
      const permits = Semaphore.unsafeMake(1)
      const order: Array<number> = []
      const holders = []
      for (let id = 0; id < 4; id++) holders.push(yield* holder(permits, order, id))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(order, [0])
      assert.strictEqual(yield* Semaphore.waiting(permits), 3)
      for (const { fiber, release } of holders) {
        yield* release
        yield* Fiber.join(fiber)
      }
      assert.deepStrictEqual(order, [0, 1, 2, 3])
      yield* Semaphore.awaitAllReturned(permits)
    }))

  for (const when of ["before", "after"] as const) {
    it.effect(`a permit granted to a waiter interrupted ${when} the grant, before it ran, goes to the next waiter`, () =>
      Effect.gen(function*() {
        const permits = Semaphore.unsafeMake(1)
        const order: Array<number> = []
        const gate = yield* Deferred.make<void>()
        const target: { waiter?: Fiber.RuntimeFiber<void> } = {}
        // In one step, without yielding, the holder interrupts the first waiter and returns the
        // permit (in either order). The waiter has not run: only its finalizer sees the grant.
        const interruptWaiter = Effect.sync(() => target.waiter!.unsafeInterruptAsFork(FiberId.none))
        const holding = Effect.fork(Effect.zipRight(
          Semaphore.withPermit(permits)(
            Effect.zipRight(Deferred.await(gate), when === "before" ? interruptWaiter : Effect.void)
          ),
          when === "after" ? interruptWaiter : Effect.void
        ))
        const holderFiber = yield* holding
        yield* Effect.yieldNow()
        const first = yield* holder(permits, order, 1)
        const next = yield* holder(permits, order, 2)
        target.waiter = first.fiber
        yield* Effect.yieldNow()
        assert.strictEqual(yield* Semaphore.waiting(permits), 2)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holderFiber)
        yield* Fiber.await(first.fiber)
        yield* Effect.yieldNow()
        assert.deepStrictEqual(order, [2])
        yield* next.release
        yield* Fiber.join(next.fiber)
        yield* Semaphore.awaitAllReturned(permits)
      }))
  }

  it.effect("withPermitIfAvailable never jumps the queue", () =>
    Effect.gen(function*() {
      const permits = Semaphore.unsafeMake(1)
      const order: Array<number> = []
      const first = yield* holder(permits, order, 0)
      const second = yield* holder(permits, order, 1)
      yield* Effect.yieldNow()
      assert.isTrue(Option.isNone(yield* Semaphore.withPermitIfAvailable(Effect.void, permits)))
      yield* first.release
      yield* second.release
      yield* Fiber.join(second.fiber)
      assert.isTrue(Option.isSome(yield* Semaphore.withPermitIfAvailable(Effect.void, permits)))
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
        const permits = Semaphore.unsafeMake(size)
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
          const fiber = yield* Effect.fork(Semaphore.withPermit(permits)(use))
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
        assert.strictEqual(yield* Semaphore.waiting(permits), 0)
        // Every permit is back: `size` holders get one at once.
        const both = yield* Semaphore.withPermitIfAvailable(
          Semaphore.withPermitIfAvailable(Effect.void, permits),
          permits
        )
        assert.isTrue(Option.isSome(both) && Option.isSome(both.value))
      })
  )

  it.effect("make checks the permits; available and waiting report the state", () =>
    Effect.gen(function*() {
      for (const permits of [0, -1, 1.5, NaN, Infinity]) {
        assert.deepStrictEqual(
          yield* Effect.flip(Semaphore.make(permits)),
          new Semaphore.InvalidPermits({ permits })
        )
        assert.throws(() => Semaphore.unsafeMake(permits), Semaphore.InvalidPermits)
      }
      const permits = yield* Semaphore.make(2)
      const order: Array<number> = []
      const first = yield* holder(permits, order, 0)
      yield* Effect.yieldNow()
      assert.strictEqual(yield* Semaphore.available(permits), 1)
      assert.deepStrictEqual(permits.toJSON(), { _id: "Semaphore", permits: 2, available: 1, waiting: 0 })
      yield* first.release
      yield* Fiber.join(first.fiber)
      assert.strictEqual(yield* Semaphore.available(permits), 2)
    }))

  it.effect("Effect's own Semaphore lets a later fiber overtake waiters (why this one exists)", () =>
    Effect.gen(function*() {
      const order: Array<number> = []
      const effects = yield* Effect.makeSemaphore(1)
      const fair = Semaphore.unsafeMake(1)
      // A holder, two waiters; the holder's release wakes a waiter, but before it runs a newcomer
      // asks. Effect's semaphore is free until a woken waiter runs, so the newcomer takes it first.
      const race = (guard: <A>(effect: Effect.Effect<A>) => Effect.Effect<A>, label: string) =>
        Effect.gen(function*() {
          const release = yield* Deferred.make<void>()
          const holder = yield* Effect.fork(guard(Deferred.await(release)))
          yield* Effect.yieldNow()
          const waiters = [
            yield* Effect.fork(guard(Effect.sync(() => order.push(1)))),
            yield* Effect.fork(guard(Effect.sync(() => order.push(2))))
          ]
          yield* Effect.yieldNow()
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(holder)
          const newcomer = yield* Effect.fork(guard(Effect.sync(() => order.push(3))))
          yield* Fiber.joinAll([...waiters, newcomer])
          const seen = order.splice(0)
          return `${label}: ${seen.join(",")}`
        })
      const effectOrder = yield* race(effects.withPermits(1), "effect")
      const fairOrder = yield* race(Semaphore.withPermit(fair), "weft")
      assert.strictEqual(fairOrder, "weft: 1,2,3")
      assert.strictEqual(effectOrder, "effect: 3,1,2")
    }))
})
