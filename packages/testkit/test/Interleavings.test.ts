import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Ref, TestClock } from "effect"
import { Interleavings, Strategy } from "../src/index.js"
import { interleavings } from "../src/Vitest.js"
import { racyCounter } from "./fixtures/programs.js"

const atomicCounter = Effect.gen(function*() {
  const count = yield* Ref.make(0)
  const fibers = yield* Effect.all([
    Effect.fork(Ref.update(count, (n) => n + 1)),
    Effect.fork(Ref.update(count, (n) => n + 1))
  ])
  yield* Fiber.joinAll(fibers)
  const total = yield* Ref.get(count)
  if (total !== 2) return yield* Effect.dieMessage(`lost an update: count is ${total}`)
})

describe("Interleavings.check", () => {
  it.effect("finds a lost update, shrinks it to a yield or two, and replays it exactly", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.flip(Interleavings.check(racyCounter, { runs: 300, seed: 1 }))
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag !== "InterleavingFailure") return
      assert.strictEqual(failure.reason, "failed")
      assert.isAbove(failure.run, 0, "Effect's own schedule never loses the update")
      assert.isAtMost(failure.decisions.length, failure.unshrunk)
      // One yield between a read and its write is the essence; shrinking removes everything else
      // but may keep a pick that the yield's step number depends on.
      assert.isAtMost(failure.decisions.length, 2)
      assert.isTrue(failure.decisions.some((decision) => decision._tag === "Yield"))
      assert.include(failure.message, "lost an update")
      assert.include(failure.message, `seed ${failure.seed}`)
      // The shrunk trace and the run's seed both reproduce the failure, every time.
      for (let i = 0; i < 3; i++) {
        const replayed = yield* Effect.exit(Interleavings.replay(racyCounter, failure))
        assert.isTrue(Exit.isFailure(replayed) && Cause.isDie(replayed.cause))
        const reseeded = yield* Effect.exit(
          Interleavings.replay(racyCounter, { seed: failure.runSeed, strategy: failure.strategy })
        )
        assert.isTrue(Exit.isFailure(reseeded) && Cause.isDie(reseeded.cause))
      }
    }))

  it.effect("the same seed finds the same failure with the same decisions", () =>
    Effect.gen(function*() {
      const first = yield* Effect.flip(Interleavings.check(racyCounter, { runs: 300, seed: 42 }))
      const second = yield* Effect.flip(Interleavings.check(racyCounter, { runs: 300, seed: 42 }))
      assert.strictEqual(first._tag, "InterleavingFailure")
      if (first._tag !== "InterleavingFailure" || second._tag !== "InterleavingFailure") return
      assert.strictEqual(first.run, second.run)
      assert.deepStrictEqual(first.decisions, second.decisions)
    }))

  it.effect("PCT finds the lost update too", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.flip(
        Interleavings.check(racyCounter, { runs: 2000, seed: 3, strategy: Strategy.pct({ depth: 2 }) })
      )
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag !== "InterleavingFailure") return
      assert.strictEqual(failure.strategy._tag, "Pct")
      assert.isTrue(failure.strategy._tag === "Pct" && failure.strategy.steps !== undefined, "steps calibrated")
    }))

  it.effect("passes a program that is correct under every interleaving", () =>
    Effect.gen(function*() {
      const report = yield* Interleavings.check(atomicCounter, { runs: 200, seed: 5 })
      assert.strictEqual(report.runs, 200)
      assert.isAbove(report.steps, 200)
      yield* Interleavings.check(atomicCounter, { runs: 100, seed: 5, strategy: Strategy.pct() })
    }))

  it.effect("reports a program that waits forever as a deadlock under Effect's own schedule", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.flip(Interleavings.check(Effect.never, { runs: 5, seed: 1 }))
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag !== "InterleavingFailure") return
      assert.strictEqual(failure.reason, "deadlock")
      assert.strictEqual(failure.run, 0)
      const replayed = yield* Effect.flip(Interleavings.replay(Effect.never, failure))
      assert.strictEqual(replayed._tag, "Deadlock")
    }))

  it.effect("finds a deadlock that only some interleavings reach (lock order)", () =>
    Effect.gen(function*() {
      const lockOrder = Effect.gen(function*() {
        const [a, b] = [yield* Effect.makeSemaphore(1), yield* Effect.makeSemaphore(1)]
        const both = (first: Effect.Semaphore, second: Effect.Semaphore) =>
          first.withPermits(1)(Effect.zipRight(Effect.yieldNow(), second.withPermits(1)(Effect.void)))
        yield* Effect.all([both(a, b), both(b, a)], { concurrency: 2 })
      })
      const failure = yield* Effect.flip(Interleavings.check(lockOrder, { runs: 200, seed: 11 }))
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag === "InterleavingFailure") assert.strictEqual(failure.reason, "deadlock")
    }))

  it.effect("reports a livelock as the step limit", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.flip(
        Interleavings.check(Effect.forever(Effect.yieldNow()), { runs: 1, seed: 1, maxSteps: 500 })
      )
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag === "InterleavingFailure") assert.strictEqual(failure.reason, "step-limit")
    }))

  it.effect("drives TestClock: a program that sleeps and adjusts passes every run", () =>
    Effect.gen(function*() {
      const sleeper = Effect.gen(function*() {
        const woke = yield* Ref.make(0)
        const fibers = yield* Effect.all([
          Effect.fork(Effect.zipRight(Effect.sleep("1 second"), Ref.update(woke, (n) => n + 1))),
          Effect.fork(Effect.zipRight(Effect.sleep("2 seconds"), Ref.update(woke, (n) => n + 1)))
        ])
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.joinAll(fibers)
        if ((yield* Ref.get(woke)) !== 2) return yield* Effect.dieMessage("a sleeper did not wake")
      })
      const report = yield* Interleavings.check(sleeper, { runs: 30, seed: 2 })
      assert.strictEqual(report.runs, 30)
    }))

  it.effect("interrupts a mayInterrupt fiber between two steps that must go together", () =>
    Effect.gen(function*() {
      const balanced = (atomic: boolean) =>
        Effect.gen(function*() {
          const open = yield* Ref.make(0)
          const pair = Effect.zipRight(Ref.update(open, (n) => n + 1), Ref.update(open, (n) => n - 1))
          const worker = yield* Effect.fork(Interleavings.mayInterrupt(atomic ? Effect.uninterruptible(pair) : pair))
          yield* Fiber.await(worker)
          const left = yield* Ref.get(open)
          if (left !== 0) return yield* Effect.dieMessage(`${left} left open`)
        })
      const failure = yield* Effect.flip(
        Interleavings.check(balanced(false), { runs: 200, seed: 9, strategy: Strategy.random({ interruption: 0.2 }) })
      )
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag !== "InterleavingFailure") return
      assert.deepStrictEqual(failure.decisions.map((decision) => decision._tag), ["Interrupt"])
      yield* Interleavings.check(balanced(true), {
        runs: 200,
        seed: 9,
        strategy: Strategy.random({ interruption: 0.2 })
      })
    }))

  it.effect("without preemption an interrupt lands only where the fiber waits or is queued", () =>
    Effect.gen(function*() {
      const balanced = (pause: boolean) =>
        Effect.gen(function*() {
          const open = yield* Ref.make(0)
          const pair = Effect.zipRight(
            Ref.update(open, (n) => n + 1),
            Effect.zipRight(pause ? Effect.yieldNow() : Effect.void, Ref.update(open, (n) => n - 1))
          )
          const worker = yield* Effect.fork(Interleavings.mayInterrupt(pair))
          yield* Fiber.await(worker)
          const left = yield* Ref.get(open)
          if (left !== 0) return yield* Effect.dieMessage(`${left} left open`)
        })
      const orderOnly = Strategy.random({ preemption: 0, interruption: 0.3 })
      // Runs are atomic between suspensions, as on Effect's default scheduler: the pair holds…
      yield* Interleavings.check(balanced(false), { runs: 200, seed: 9, strategy: orderOnly })
      // …until the worker yields inside it, where another fiber's interrupt can land.
      const failure = yield* Effect.flip(
        Interleavings.check(balanced(true), { runs: 200, seed: 9, strategy: orderOnly })
      )
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag === "InterleavingFailure") {
        assert.deepStrictEqual(failure.decisions.map((decision) => decision._tag), ["Interrupt"])
      }
    }))

  it.effect("a waiting fiber woken by another runs when the chooser says so", () =>
    Effect.gen(function*() {
      // Which of two woken waiters runs first is a choice: both orders occur across runs.
      const orders = new Set<string>()
      const wakeTwo = Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const order = yield* Ref.make("")
        const waiters = yield* Effect.all(
          ["a", "b"].map((name) =>
            Effect.fork(Effect.zipRight(Deferred.await(gate), Ref.update(order, (s) => s + name)))
          )
        )
        yield* Effect.yieldNow()
        yield* Deferred.succeed(gate, void 0)
        yield* Fiber.joinAll(waiters)
        orders.add(yield* Ref.get(order))
      })
      yield* Interleavings.check(wakeTwo, { runs: 50, seed: 4, strategy: Strategy.random({ preemption: 0 }) })
      assert.deepStrictEqual([...orders].sort(), ["ab", "ba"])
    }))

  it.effect("interrupting a check interrupts the program it is running", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const endless = Effect.zipRight(Deferred.succeed(started, void 0), Effect.forever(Effect.yieldNow())).pipe(
        Effect.onInterrupt(() => Deferred.succeed(interrupted, void 0))
      )
      const checking = yield* Effect.fork(Interleavings.check(endless, { runs: 1, maxSteps: 10_000_000 }))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(checking)
      yield* Deferred.await(interrupted)
    }))

  it.effect("bad options fail with InvalidExplorationOption", () =>
    Effect.gen(function*() {
      const runs = yield* Effect.flip(Interleavings.check(Effect.void, { runs: 0 }))
      assert.strictEqual(runs._tag, "InvalidExplorationOption")
      const preemption = yield* Effect.flip(
        Interleavings.check(Effect.void, { strategy: Strategy.random({ preemption: 1.5 }) })
      )
      assert.deepStrictEqual(
        preemption._tag === "InvalidExplorationOption" ? [preemption.option, preemption.value] : [],
        ["preemption", 1.5]
      )
      const depth = yield* Effect.flip(
        Interleavings.replay(Effect.void, { seed: 1, strategy: Strategy.pct({ depth: 0 }) })
      )
      assert.strictEqual(depth._tag, "InvalidExplorationOption")
    }))
})

describe("Interleavings helpers", () => {
  interleavings("interleavings() declares a passing check as a test", atomicCounter, { runs: 50 })

  it.effect.prop(
    "arbitrary() generates seeded interleavings that replay",
    [Interleavings.arbitrary(Strategy.random({ preemption: 0.3 }))],
    ([interleaving]) => Interleavings.replay(atomicCounter, interleaving),
    { fastCheck: { numRuns: 50 } }
  )
})
