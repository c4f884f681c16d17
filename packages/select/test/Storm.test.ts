import { assert, describe, it } from "@effect/vitest"
import { Mpsc } from "@weft/channel"
import { Wait } from "@weft/select"
import type { Scheduler } from "effect"
import { Effect, Fiber } from "effect"
import { yieldingScheduler } from "./support/yieldingScheduler.js"

/** xorshift32, so that a failing storm replays exactly. */
const random = (seed: number) => () => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) / 0x1_0000_0000
}

/**
 * `messages` are sent through a small channel while consumers, each receiving with `receive` in a
 * loop, are started and interrupted from outside after a random number of yields. Every message
 * must be received exactly once or still be in the channel.
 */
const storm = (
  receive: (rx: Mpsc.Receiver<number>) => Effect.Effect<number, unknown>,
  seed: number,
  messages: number
) =>
  Effect.gen(function*() {
    const next = random(seed)
    const [tx, rx] = yield* Effect.orDie(Mpsc.bounded<number>(16))
    const received: Array<number> = []
    // The value is recorded in the continuation itself: an effect returned from here would run one
    // step later, and an interrupt landing in between would drop the value in this test's code.
    const consume = Effect.forever(Effect.flatMap(receive(rx), (value) => {
      received.push(value)
      return Effect.void
    }))
    const producer = yield* Effect.fork(
      Effect.forEach(Array.from({ length: messages }, (_, i) => i), (i) => Mpsc.send(tx, i), { discard: true })
    )
    while (producer.unsafePoll() === null) {
      const consumer = yield* Effect.fork(consume)
      const yields = Math.floor(next() * 6)
      for (let i = 0; i < yields; i++) yield* Effect.yieldNow()
      yield* Fiber.interrupt(consumer)
    }
    const remaining = yield* Mpsc.size(rx)
    assert.strictEqual(new Set(received).size, received.length, "a message was received twice")
    assert.strictEqual(received.length + remaining, messages, `lost ${messages - received.length - remaining}`)
  })

/** A yielding scheduler defers every task to the macrotask queue, so its storms are smaller. */
const schedulers: ReadonlyArray<readonly [string, Scheduler.Scheduler | undefined, number]> = [
  ["the default scheduler", undefined, 2_000],
  ["a scheduler that yields at random steps", yieldingScheduler(0.1, 7), 100]
]

const run = (effect: Effect.Effect<void>, scheduler: Scheduler.Scheduler | undefined) =>
  scheduler === undefined ? effect : Effect.withScheduler(effect, scheduler)

const wrappers: ReadonlyArray<readonly [string, (rx: Mpsc.Receiver<number>) => Effect.Effect<number, unknown>]> = [
  ["timeout(rx, 1 hour)", (rx) => Wait.timeout(rx, "1 hour")],
  ["deadline(rx, far)", (rx) => Wait.deadline(rx, Number.MAX_SAFE_INTEGER)],
  ["abortable(rx, signal)", (rx) => Wait.abortable(rx, new AbortController().signal)]
]

describe("interrupt storms: timeout, deadline and abortable of a source lose nothing", () => {
  for (const [name, scheduler, messages] of schedulers) {
    for (const [wrapper, receive] of wrappers) {
      it.effect(`${wrapper} under ${name}`, () => run(storm(receive, 1, messages), scheduler), 60_000)
    }
  }
})
