import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import type * as Feed from "../../src/dashboard/Feed.js"
import { sendFrames, start, waitUntil } from "../helpers.js"

const actorsOf = (view: Feed.View) => view.tree.groups.flatMap((group) => group.actors)

describe("dashboard Feed", () => {
  it.scoped("samples the series once a second (TestClock), not per subscriber", () =>
    Effect.gen(function*() {
      const { feed } = yield* start({ plugins: ["stats", "sink"] })
      yield* TestClock.adjust(0)
      expect(feed.history()).toHaveLength(1)
      yield* TestClock.adjust("999 millis")
      expect(feed.history()).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      expect(feed.history()).toHaveLength(2)
      // Reading the view (what every /events tick does) adds no point.
      yield* feed.view
      yield* feed.view
      expect(feed.history()).toHaveLength(2)
      yield* TestClock.adjust("3 seconds")
      const history = feed.history()
      expect(history.map((point) => point.t - history[0]!.t)).toEqual([0, 1000, 2000, 3000, 4000])
      expect(Object.keys(history[4]!.plugins)).toEqual(["stats", "sink"])
      expect((yield* feed.view).point).toEqual(history[4])
    }))

  it.scopedLive(
    "the tree lists every plugin (started before the feed), a chaos crash shows in the tree and the tail",
    () =>
      Effect.gen(function*() {
        const { feed, gateway } = yield* start({ chaosEvery: 10 })
        const names = gateway.plugins().map((name) => `plugin-${name}`)
        const before = yield* feed.view
        expect(before.tree.groups.map((group) => group.name)).toEqual(["plugins"])
        expect(actorsOf(before).map((actor) => actor.name)).toEqual(names)
        expect(actorsOf(before).every((actor) => actor.status === "running" && actor.restarts === 0)).toBe(true)

        yield* sendFrames(gateway.tcpAddress.port, Array.from({ length: 100 }, (_, i) => ["t", `x${i}`] as const))
        yield* waitUntil(
          "the crash in the dead-letter tail",
          Effect.map(feed.view, (view) => view.deadLetters.length > 0)
        )
        const view = yield* feed.view
        expect(view.deadLetters[0]).toMatchObject({ actor: "plugin-chaos", tag: "Deliveries", reason: "Crashed" })
        const chaos = actorsOf(view).find((actor) => actor.name === "plugin-chaos")!
        expect(chaos.restarts).toBeGreaterThan(0)
        expect(chaos.status).toBe("restarted")
        expect(chaos.lastFailure?.message).toContain("chaos: deliberate crash")

        // A plugin removed shows stopped at once; added again, it is a new running actor.
        yield* gateway.removePlugin("stats")
        yield* waitUntil(
          "plugin-stats stopped",
          Effect.map(
            feed.view,
            (view) => actorsOf(view).some((a) => a.name === "plugin-stats" && a.status === "stopped")
          )
        )
        yield* gateway.addPlugin("stats")
        yield* waitUntil(
          "plugin-stats running again",
          Effect.map(
            feed.view,
            (view) => actorsOf(view).some((a) => a.name === "plugin-stats" && a.status === "running")
          )
        )
        // The series has points with the frames in them.
        yield* waitUntil(
          "two points",
          Effect.sync(() => feed.history().length >= 2)
        )
        expect(feed.history().at(-1)!.arenaCapacity).toBe(gateway.config.arenaCapacity)
      }),
    30_000
  )
})
