import { assert, describe, it } from "@effect/vitest"
import type { ChannelError } from "@weft/channel"
import { SnapshotStream } from "@weft/stream"
import { Effect, Exit, Fiber, Scope, Stream } from "effect"

const strategies = ["suspend", "latest"] as const

const make = (strategy: "suspend" | "latest", capacity: number) =>
  SnapshotStream.make({
    initial: 0,
    step: (total: number, n: number) => Effect.as(Effect.yieldNow(), [total + n, total + n] as const),
    capacity,
    strategy
  })

// Runs until `fiber` is done or `budget` scheduler yields have passed: a hang fails the test.
const awaitWithin = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, budget: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < budget && fiber.unsafePoll() === null; i++) yield* Effect.yieldNow()
    const exit = fiber.unsafePoll()
    if (exit === null) {
      yield* Fiber.interrupt(fiber)
      return assert.fail(`still waiting after ${budget} yields`)
    }
    return exit
  })

const isChannelClosed = (exit: Exit.Exit<void, ChannelError.ChannelClosed>) =>
  Exit.isFailure(exit) && Exit.causeOption(exit)._tag === "Some"
  && String(exit.cause).includes("ChannelClosed")

describe("SnapshotStream: closing the scope at any moment", () => {
  for (const strategy of strategies) {
    it.effect(`${strategy}: the stream ends and senders fail with ChannelClosed, whatever the worker had reached`, () =>
      Effect.gen(function*() {
        // Each round closes the scope after `delay` more scheduler yields: from before the worker
        // ran its first instruction to after it settled into waiting; the reader and the sender
        // start before the close or after it.
        for (const startFirst of [true, false]) {
          for (let delay = 0; delay <= 40; delay++) {
            const round = `delay ${delay}, ${startFirst ? "started before" : "started after"} the close`
            const scope = yield* Scope.make()
            const handle = yield* Scope.extend(make(strategy, 4), scope)
            const start = Effect.all([
              Effect.fork(Stream.runCollect(handle.stream)),
              Effect.fork(handle.sendAll(Array.from({ length: 10 }, (_, i) => i)))
            ])
            const early = startFirst ? yield* start : undefined
            for (let i = 0; i < delay; i++) yield* Effect.yieldNow()
            yield* Scope.close(scope, Exit.void)
            const [reader, sender] = early ?? (yield* start)
            const read = yield* awaitWithin(reader, 200)
            assert.isTrue(Exit.isSuccess(read), `${round}: ${String(read)}`)
            const sent = yield* awaitWithin(sender, 200)
            // Delivered in full before the close, or cut short by it; never left waiting.
            assert.isTrue(Exit.isSuccess(sent) || isChannelClosed(sent), `${round}: ${String(sent)}`)
            const late = yield* Effect.exit(handle.send(1))
            assert.isTrue(isChannelClosed(late), `${round}: ${String(late)}`)
          }
        }
      }))

    it.effect(`${strategy}: closed straight after make, before anyone reads or sends`, () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const handle = yield* Scope.extend(make(strategy, 4), scope)
        yield* Scope.close(scope, Exit.void)
        const read = yield* awaitWithin(yield* Effect.fork(Stream.runCollect(handle.stream)), 200)
        assert.isTrue(Exit.isSuccess(read) && read.value.length === 0)
        const sent = yield* awaitWithin(
          yield* Effect.fork(handle.sendAll(Array.from({ length: 10 }, (_, i) => i))),
          200
        )
        assert.isTrue(isChannelClosed(sent), String(sent))
      }))
  }
})

describe("SnapshotStream (suspend) bounds, measured from the outside", () => {
  it.effect("sent − handed downstream ≤ 3 × capacity; sent − processed ≤ 4 × capacity, and both are reached", () =>
    Effect.scoped(Effect.gen(function*() {
      const capacity = 8
      const handle = yield* SnapshotStream.make({
        initial: 0,
        step: (total: number, n: number) => [total + n, total + n] as const,
        capacity,
        strategy: "suspend"
      })
      let sent = 0
      let handedDown = 0
      let processed = 0
      let worstHanded = 0
      let worstProcessed = 0
      const events = 50 * capacity
      const sender = yield* Effect.fork(
        Effect.forEach(Array.from({ length: events }, (_, i) => i), (event) =>
          Effect.map(handle.send(event), () => {
            sent++
            worstHanded = Math.max(worstHanded, sent - handedDown)
            worstProcessed = Math.max(worstProcessed, sent - processed)
          }), { discard: true })
      )
      // A slow consumer: every element takes a while, so everything upstream of it fills up.
      yield* handle.stream.pipe(
        Stream.mapChunks((chunk) => {
          handedDown += chunk.length
          return chunk
        }),
        Stream.take(events),
        Stream.runForEach(() =>
          Effect.andThen(Effect.repeatN(Effect.yieldNow(), 20), () => {
            processed++
          })
        ),
        Effect.fork,
        Effect.flatMap((consumer) =>
          Effect.zipRight(Fiber.join(sender), Effect.zipRight(handle.close, Fiber.join(consumer)))
        )
      )
      assert.strictEqual(processed, events)
      // The events channel, the worker's batch and the snapshot channel: capacity each.
      assert.strictEqual(worstHanded, 3 * capacity)
      // Plus the chunk the consumer is working through, taken from the snapshot channel at once.
      assert.strictEqual(worstProcessed, 4 * capacity)
    })))
})
