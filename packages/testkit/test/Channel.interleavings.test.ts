import { assert, describe, it } from "@effect/vitest"
import { Mpsc, Semaphore } from "@weft/channel"
import { Effect, Fiber, Option } from "effect"
import { Interleavings, Strategy } from "../src/index.js"
import { runs } from "./budget.js"
import { checkThenTake } from "./fixtures/programs.js"

/**
 * Two producers and two consumers on a bounded channel of two, all of them interruptible by the
 * explorer, then everyone is interrupted and the channel drained. Sends and receives are recorded
 * in the same step that completes them (inside `uninterruptibleMask`, the value reaches the
 * record without an interruptible boundary), so every message is accounted for: received or still
 * buffered exactly once, every completed send among them, nothing that was never sent.
 */
const conservation = Effect.gen(function*() {
  const [tx, rx] = yield* Mpsc.bounded<number>(2)
  const attempted = new Set<number>()
  const completed = new Set<number>()
  const received: Array<number> = []
  const send = (n: number) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(
        Effect.sync(() => attempted.add(n)),
        Effect.tap(restore(Mpsc.send(tx, n)), () => completed.add(n))
      )
    )
  const receive = Effect.uninterruptibleMask((restore) => Effect.map(restore(Mpsc.recv(rx)), (n) => received.push(n)))
  const producers = yield* Effect.forEach(
    [0, 10],
    (base) =>
      Effect.fork(Interleavings.mayInterrupt(Effect.forEach([1, 2, 3], (i) => send(base + i), { discard: true })))
  )
  const consumers = yield* Effect.forEach(
    [0, 1],
    () => Effect.fork(Interleavings.mayInterrupt(Effect.forever(receive)))
  )
  for (let i = 0; i < 4; i++) yield* Effect.yieldNow()
  yield* Fiber.interruptAll([...producers, ...consumers])
  const remaining: Array<number> = []
  while (true) {
    const next = yield* Mpsc.tryRecv(rx)
    if (Option.isNone(next)) break
    remaining.push(next.value)
  }
  const all = [...received, ...remaining]
  const problems = [
    ...[...completed].filter((n) => !all.includes(n)).map((n) => `sent ${n} was lost`),
    ...all.filter((n, i) => all.indexOf(n) !== i).map((n) => `${n} arrived twice`),
    ...all.filter((n) => !attempted.has(n)).map((n) => `${n} was never sent`)
  ]
  if (problems.length > 0) return yield* Effect.dieMessage(problems.join("; "))
})

describe("channel: Mpsc message conservation under interrupts", () => {
  it.effect("every message received or buffered exactly once, under any scheduler", () =>
    Effect.gen(function*() {
      yield* Interleavings.check(conservation, { runs: runs(300), strategy: Strategy.random({ interruption: 0.05 }) })
      yield* Interleavings.check(conservation, { runs: runs(100), strategy: Strategy.pct({ interruption: 0.05 }) })
    }))

  it.effect("and in the interleavings Effect's default scheduler can produce (order and interrupts only)", () =>
    Interleavings.check(conservation, {
      runs: runs(300),
      strategy: Strategy.random({ preemption: 0, interruption: 0.2 })
    }))

  it.effect("a planted check-then-take race is found within 100 runs by PCT", () =>
    Effect.gen(function*() {
      // Over 40 seeds PCT (depth 2) needs at most 28 runs (`pnpm stress` measures it).
      const failure = yield* Effect.flip(
        Interleavings.check(checkThenTake, { runs: 100, seed: 1, strategy: Strategy.pct({ depth: 2 }) })
      )
      assert.strictEqual(failure._tag, "InterleavingFailure")
      if (failure._tag === "InterleavingFailure") assert.include(failure.message, "ready, then empty")
    }))
})

/**
 * The program that leaks a permit of Effect's `Semaphore` under preemption (Effect.interleavings
 * .test.ts), on weft's `Semaphore` with two permits and three fibers, all interruptible, plus a
 * count of holders: never more than two at once, and every permit back at the end (the last
 * `withPermit` would wait forever otherwise: a deadlock).
 */
const permitsConserved = Effect.gen(function*() {
  const permits = Semaphore.unsafeMake(2)
  let holding = 0
  const hold = Effect.acquireUseRelease(
    Effect.sync(() => {
      holding++
      if (holding > 2) throw new Error(`${holding} holders of 2 permits`)
    }),
    () => Effect.yieldNow(),
    () => Effect.sync(() => holding--)
  )
  const fibers = yield* Effect.forEach(
    [0, 1, 2],
    () => Effect.fork(Interleavings.mayInterrupt(Semaphore.withPermit(hold, permits)))
  )
  yield* Fiber.awaitAll(fibers)
  yield* Semaphore.withPermit(Semaphore.withPermit(Effect.void, permits), permits)
  yield* Semaphore.awaitAllReturned(permits)
})

describe("channel: Semaphore permits under interrupts", () => {
  it.effect("no permit lost or shared too widely, under any scheduler", () =>
    Effect.gen(function*() {
      yield* Interleavings.check(permitsConserved, {
        runs: runs(1000),
        seed: 5,
        strategy: Strategy.random({ interruption: 0.2 })
      })
      yield* Interleavings.check(permitsConserved, { runs: runs(300), strategy: Strategy.pct({ interruption: 0.2 }) })
    }))
})
