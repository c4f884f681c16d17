import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber } from "effect"
import * as Frame from "../src/Frame.js"
import { connect, readSink, start, waitUntil, write } from "./helpers.js"

describe("shutdown under overload", () => {
  it.scopedLive("a slow plugin's backlog does not hold shutdown; the sink still drains and acks everything it got", () =>
    Effect.gen(function*() {
      // 1000 slots at 10 ms a frame: a backlog of up to 10 s for the slow plugin to drain.
      const running = yield* start({
        plugins: ["stats", "sink", "slow"],
        arenaCapacity: 1000,
        slowDelay: "10 millis",
        drainTimeout: "30 seconds"
      })
      const { gateway } = running
      const socket = yield* connect(gateway.tcpAddress.port)
      const frames = Buffer.concat(
        Array.from({ length: 2000 }, (_, i) => Frame.encode("t", `f-${i}`.padEnd(2000, ".")))
      )
      const writer = yield* Effect.fork(Effect.ignore(write(socket, frames)))
      yield* waitUntil("the arena is full", Effect.map(gateway.snapshot(), (s) => s.arena.live >= 900))
      const before = yield* Clock.currentTimeMillis
      yield* running.shutdown
      const tookMs = (yield* Clock.currentTimeMillis) - before
      yield* Fiber.interrupt(writer)
      // Draining the backlog took ≥ 9 s; stopping after the current batch takes a fraction of that.
      expect(tookMs).toBeLessThan(3000)
      expect(gateway.counters.deadLetters.get("ActorStopped") ?? 0).toBeGreaterThan(0)
      // Every frame counted in reached the sink (it is first in line) and is durable.
      expect(gateway.sink.acked).toBe(gateway.counters.framesIn)
      expect(yield* readSink(running.config.sinkPath)).toHaveLength(gateway.sink.acked)
    }))
})
