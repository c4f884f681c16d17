import { assert, describe, it } from "@effect/vitest"
import { Mpsc } from "@weft/channel"
import { Select } from "@weft/select"
import { Effect, Fiber, Option } from "effect"
import { Interleavings, Strategy } from "../src/index.js"
import { runs } from "./budget.js"

/**
 * A select over two channels, raced by two senders (one message each) and an interrupt of the
 * selecting fiber. The select consumes from exactly one branch or — interrupted — from none; its
 * result is recorded in the step that completes it. Afterwards every message is the select's
 * result or still in its channel.
 */
const exactlyOneBranch = (
  take: (a: Mpsc.Receiver<string>, b: Mpsc.Receiver<string>) => Effect.Effect<{ readonly value: string }, unknown>
) =>
  Effect.gen(function*() {
    const [txA, rxA] = yield* Mpsc.bounded<string>(1)
    const [txB, rxB] = yield* Mpsc.bounded<string>(1)
    const won: Array<string> = []
    const selecting = yield* Effect.fork(Interleavings.mayInterrupt(
      Effect.uninterruptibleMask((restore) => Effect.map(restore(take(rxA, rxB)), (winner) => won.push(winner.value)))
    ))
    const senders = yield* Effect.all([Effect.fork(Mpsc.send(txA, "a")), Effect.fork(Mpsc.send(txB, "b"))])
    yield* Fiber.joinAll(senders)
    yield* Effect.yieldNow()
    yield* Fiber.interrupt(selecting)
    const left = [...Option.toArray(yield* Mpsc.tryRecv(rxA)), ...Option.toArray(yield* Mpsc.tryRecv(rxB))]
    const accounted = [...won, ...left].sort().join(",")
    if (won.length > 1 || accounted !== "a,b") {
      return yield* Effect.dieMessage(`select took [${won}], channels hold [${left}]`)
    }
  })

// The select's own result, with no step of ours in between: a `map` inside `restore` would be an
// interruptible step after the claim, where an interrupt drops the value (the test's fault, not
// the select's).
const select = (a: Mpsc.Receiver<string>, b: Mpsc.Receiver<string>) => Select.select({ a, b })

describe("select: exactly one branch consumes", () => {
  it.effect("under any scheduler, with the selecting fiber interrupted anywhere", () =>
    Effect.gen(function*() {
      yield* Interleavings.check(exactlyOneBranch(select), {
        runs: runs(300),
        strategy: Strategy.random({ interruption: 0.1 })
      })
      yield* Interleavings.check(exactlyOneBranch(select), {
        runs: runs(100),
        strategy: Strategy.pct({ interruption: 0.1 })
      })
    }))

  it.effect("in the interleavings Effect's default scheduler can produce", () =>
    Interleavings.check(exactlyOneBranch(select), {
      runs: runs(300),
      strategy: Strategy.random({ preemption: 0, interruption: 0.3 })
    }))

  it.effect("Effect.race over two receives is found to drop a message", () =>
    Effect.gen(function*() {
      const race = (a: Mpsc.Receiver<string>, b: Mpsc.Receiver<string>) =>
        Effect.race(Mpsc.recv(a), Mpsc.recv(b)).pipe(Effect.map((value) => ({ value })))
      const failure = yield* Effect.flip(Interleavings.check(exactlyOneBranch(race), { runs: 300, seed: 1 }))
      assert.strictEqual(failure._tag, "InterleavingFailure")
    }))
})
