import { describe, expect, it } from "@effect/vitest"
import { Actor, ActorSystem } from "@weft/actor"
import { MessageArena } from "@weft/arena"
import { Bytes } from "@weft/bytes"
import { Dispatcher } from "@weft/dispatch"
import { Effect, Fiber } from "effect"
import * as Frame from "../src/Frame.js"
import * as Gateway from "../src/Gateway.js"
import { waitUntil } from "./helpers.js"

/**
 * A plugin that records the size of every batch it gets and settles it after a few scheduler
 * turns (so its lane of one batch is often full and the dispatcher waits for it).
 */
const recorder = (sizes: Array<number>) =>
  Actor.behavior<Dispatcher.Deliveries>()({
    initialState: 0,
    handlers: {
      Deliveries: (batch, handled) =>
        Effect.sync(() => {
          sizes.push(batch.refs.length)
        }).pipe(
          Effect.zipRight(Effect.repeatN(Effect.yieldNow(), 8)),
          Effect.zipRight(batch.settle),
          Effect.as(handled + 1)
        )
    }
  })

const frames = Array.from({ length: 20 }, (_, i) => Bytes.fromUint8Array(Frame.make("t", `frame-${i}`)))
const sum = (sizes: ReadonlyArray<number>) => sizes.reduce((total, size) => total + size, 0)

/**
 * Ingest's loop over `handOff` until every frame is stored, counting what each event reported.
 * Its fiber yields to the scheduler every 16 steps (instead of 2048; fewer hangs the runtime), so
 * interrupting it after 0, 1, 2, ... scheduler turns hits every step of the handoff in turn.
 */
const ingestAll = (
  arena: MessageArena.MessageArena.Service,
  dispatcher: Dispatcher.Dispatcher<Dispatcher.Deliveries>,
  counts: { stored: number; partial: number; dispatched: number }
) => {
  let next = 0
  return Effect.whileLoop({
    while: () => next < frames.length,
    body: () =>
      // Chunks of 4 frames: a plugin handles one batch and queues one more (its lane of one);
      // the next waits for the lane (arena of 12) or for the arena (arena of 8).
      Gateway.handOff(arena, dispatcher, frames.slice(next, next + 4), {
        stored: (refs) => {
          counts.stored += refs.length
        },
        partial: (refs) => {
          counts.partial += refs.length
        },
        dispatched: (refs) =>
          Effect.sync(() => {
            counts.dispatched += refs.length
          })
      }),
    step: (stored) => {
      next += stored
    }
  }).pipe(Effect.withMaxOpsBeforeYield(16))
}

describe("the arena → dispatcher handoff", () => {
  it.live("interrupted at any step, it leaks no slot and no plugin gets a frame twice", () =>
    Effect.gen(function*() {
      // Interrupt the loop after 0, 1, 2, ... scheduler turns: every step of it is hit (storing,
      // handing over, waiting for a lane of one batch, counting). An arena of 12 slots: three
      // batches of 4, so the third waits for a lane.
      // Rounds in which the interruption came while a stored batch was being handed over.
      let hitDuringDispatch = 0
      for (let turns = 0; turns < 120; turns++) {
        yield* Effect.scoped(Effect.gen(function*() {
          const arena = yield* MessageArena.make({ capacity: 12 })
          const dispatcher = yield* Dispatcher.make<Dispatcher.Deliveries>(Dispatcher.broadcast)
          const received: ReadonlyArray<Array<number>> = [[], []]
          for (const sizes of received) {
            const ref = yield* Actor.spawn(recorder(sizes), { mailbox: { capacity: 1, strategy: "suspend" } })
            yield* Dispatcher.add(dispatcher, ref)
          }
          const counts = { stored: 0, partial: 0, dispatched: 0 }
          const fiber = yield* Effect.fork(ingestAll(arena, dispatcher, counts))
          for (let i = 0; i < turns; i++) yield* Effect.yieldNow()
          yield* Fiber.interrupt(fiber)
          // The plugins finish what they got; then every slot must be free.
          yield* waitUntil(
            `every slot freed (interrupted after ${turns} turns)`,
            Effect.map(arena.stats, (stats) => stats.live === 0),
            2_000
          )
          expect(counts.partial).toBe(0)
          for (const sizes of received) {
            // Every batch dispatched reached every plugin, and nothing reached a plugin twice.
            expect(sum(sizes)).toBeGreaterThanOrEqual(counts.dispatched)
            expect(sum(sizes)).toBeLessThanOrEqual(counts.stored)
          }
          expect(counts.stored).toBeLessThanOrEqual(frames.length)
          if (counts.stored > counts.dispatched) hitDuringDispatch++
        }))
      }
      // The cut-off between storing and dispatching was hit, so it was tested.
      expect(hitDuringDispatch).toBeGreaterThan(0)
    }).pipe(Effect.provide(ActorSystem.layer())), 60_000)

  it.live("uninterrupted, every frame reaches every plugin once, in batches of at most a chunk", () =>
    Effect.gen(function*() {
      const arena = yield* MessageArena.make({ capacity: 8 })
      const dispatcher = yield* Dispatcher.make<Dispatcher.Deliveries>(Dispatcher.broadcast)
      const received: ReadonlyArray<Array<number>> = [[], []]
      for (const sizes of received) {
        const ref = yield* Actor.spawn(recorder(sizes), { mailbox: { capacity: 1, strategy: "suspend" } })
        yield* Dispatcher.add(dispatcher, ref)
      }
      const counts = { stored: 0, partial: 0, dispatched: 0 }
      yield* ingestAll(arena, dispatcher, counts)
      expect(counts).toEqual({ stored: 20, partial: 0, dispatched: 20 })
      yield* waitUntil("every slot freed", Effect.map(arena.stats, (stats) => stats.live === 0))
      for (const sizes of received) {
        expect(sum(sizes)).toBe(20)
        for (const size of sizes) expect(size).toBeLessThanOrEqual(4)
      }
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())))
})
