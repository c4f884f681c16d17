import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Option, Scope } from "effect"
import * as os from "node:os"
import { BlockingPool } from "../src/index.js"
import {
  Checksum,
  checksum,
  Crash,
  Hold,
  JobRejected,
  makeProbe,
  Reject,
  Spin,
  Throw,
  WhichThread
} from "./fixtures/jobs.js"
import { spawnTypeScript } from "./fixtures/spawn.js"
import { awaitProbe, eventually, makeJobsPool, openGate } from "./helpers.js"

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

describe("BlockingPool", () => {
  it.scopedLive("runs jobs on worker threads and decodes their results", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool({ size: 2 })
      const results = yield* Effect.forEach([1000, 2000, 3000], (size) => pool.run(new Checksum({ size })), {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(results, [checksum(1000), checksum(2000), checksum(3000)])
      const stats = yield* pool.stats
      assert.strictEqual(stats.spawned, 2)
      assert.strictEqual(stats.live, 2)
    }))

  it.scopedLive("runs as many jobs at once as it has threads", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool({ size: 2 })
      const probe = makeProbe()
      // Two synchronous loops that end only when the gate opens: both start, so both run at once.
      const jobs = yield* Effect.fork(Effect.all([pool.run(new Spin({ probe })), pool.run(new Spin({ probe }))], {
        concurrency: "unbounded"
      }))
      yield* awaitProbe(probe, 0, 2)
      assert.strictEqual((yield* pool.stats).running, 2)
      yield* openGate(probe)
      assert.deepStrictEqual(yield* Fiber.join(jobs), [1, 1])
    }))

  it.scopedLive("jobs that come one at a time run on the thread used last, not on each thread in turn", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool({ size: 3 })
      // All three threads take a job at once, so each has run one.
      const probe = makeProbe()
      const spinning = yield* Effect.fork(
        Effect.all(Array.from({ length: 3 }, () => pool.run(new Spin({ probe }))), { concurrency: "unbounded" })
      )
      yield* awaitProbe(probe, 0, 3)
      yield* openGate(probe)
      yield* Fiber.join(spinning)
      const threads = new Set<number>()
      for (let i = 0; i < 12; i++) threads.add(yield* pool.run(new WhichThread()))
      assert.strictEqual(threads.size, 1)
      assert.strictEqual((yield* pool.stats).spawned, 3)
    }))

  it.scopedLive("is sized from os.availableParallelism() by default", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool({ size: undefined })
      assert.strictEqual(pool.size, os.availableParallelism())
      assert.strictEqual(pool.capacity, os.availableParallelism() + 1024)
    }))

  it.scopedLive("a job's typed failure and a throwing handler are typed errors; the thread stays", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool()
      const rejected = failureOf(yield* Effect.exit(pool.run(new Reject({ reason: "odd input" }))))
      assert.deepStrictEqual(rejected, new JobRejected({ reason: "odd input" }))
      const defect = failureOf(yield* Effect.exit(pool.run(new Throw({ message: "bug" }))))
      assert.instanceOf(defect, BlockingPool.JobDefect)
      assert.include(defect.message, "bug")
      assert.strictEqual((yield* pool.stats).spawned, 1)
    }))

  it.scopedLive("onFull: fail rejects beyond size + queueCapacity with PoolFull", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool({ queueCapacity: 1, onFull: "fail" })
      const probe = makeProbe()
      const running = yield* Effect.fork(pool.run(new Hold({ probe })))
      yield* awaitProbe(probe, 0, 1)
      const queued = yield* Effect.fork(pool.run(new Hold({ probe })))
      yield* eventually(pool.stats, (stats) => stats.queued === 1)
      const full = failureOf(yield* Effect.exit(pool.run(new Checksum({ size: 1 }))))
      assert.deepStrictEqual(full, new BlockingPool.PoolFull({ running: 1, queued: 1, capacity: 2 }))
      yield* openGate(probe)
      assert.deepStrictEqual([yield* Fiber.join(running), yield* Fiber.join(queued)], [1, 1])
    }))

  it.scopedLive("onFull: wait holds the caller until there is room", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool({ queueCapacity: 0 })
      const probe = makeProbe()
      const running = yield* Effect.fork(pool.run(new Hold({ probe })))
      yield* awaitProbe(probe, 0, 1)
      const waiting = yield* Effect.fork(pool.run(new Checksum({ size: 10 })))
      yield* Effect.repeatN(Effect.yieldNow(), 100)
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)))
      assert.strictEqual((yield* pool.stats).queued, 0)
      yield* openGate(probe)
      assert.strictEqual(yield* Fiber.join(running), 1)
      assert.strictEqual(yield* Fiber.join(waiting), checksum(10))
    }))

  it.scopedLive("queued jobs start in the order run was called, an interrupted one skipped", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool()
      const probe = makeProbe()
      const running = yield* Effect.fork(pool.run(new Hold({ probe })))
      yield* awaitProbe(probe, 0, 1)
      const started: Array<number> = []
      const queued = []
      for (let i = 0; i < 8; i++) {
        queued.push(yield* Effect.fork(pool.run(new Checksum({ size: i })).pipe(Effect.tap(() => started.push(i)))))
        yield* eventually(pool.stats, (stats) => stats.queued === i + 1)
      }
      yield* Fiber.interrupt(queued[3]!)
      yield* openGate(probe)
      yield* Fiber.join(running)
      for (const [i, fiber] of queued.entries()) if (i !== 3) yield* Fiber.join(fiber)
      assert.deepStrictEqual(started, [0, 1, 2, 4, 5, 6, 7])
    }))

  it.scopedLive("an interrupt storm over queued and running jobs leaves every permit and thread in place", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool({ size: 2, queueCapacity: 8, onFull: "fail" })
      // 60 callers for 10 places; a third of them are interrupted at a random point: queued for a
      // thread, or running.
      let seed = 7
      const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
      const fibers = yield* Effect.forEach(
        Array.from({ length: 60 }, (_, i) => i),
        (i) => Effect.fork(pool.run(new Checksum({ size: 1000 + i })))
      )
      yield* Effect.forEach(
        fibers,
        (fiber) =>
          random() < 1 / 3
            ? Effect.zipRight(Effect.sleep(`${Math.floor(random() * 20)} millis`), Fiber.interrupt(fiber))
            : Effect.void,
        { concurrency: "unbounded", discard: true }
      )
      const exits = yield* Effect.forEach(fibers, Fiber.await)
      for (const [i, exit] of exits.entries()) {
        if (Exit.isSuccess(exit)) assert.strictEqual(exit.value, checksum(1000 + i))
        else if (!Cause.isInterruptedOnly(exit.cause)) assert.strictEqual(failureOf(exit)._tag, "PoolFull")
      }
      const stats = yield* pool.stats
      assert.strictEqual(stats.running, 0)
      assert.strictEqual(stats.queued, 0)
      assert.strictEqual(stats.live, 2)
      // Every place is back: two jobs hold both threads, eight queue behind them, the eleventh
      // is refused.
      const probe = makeProbe()
      const held = yield* Effect.fork(Effect.all([pool.run(new Hold({ probe })), pool.run(new Hold({ probe }))], {
        concurrency: "unbounded"
      }))
      yield* awaitProbe(probe, 0, 2)
      const queued = yield* Effect.forEach(
        Array.from({ length: 8 }, (_, i) => i),
        (i) => Effect.fork(pool.run(new Checksum({ size: i })))
      )
      yield* eventually(pool.stats, (stats) => stats.queued === 8)
      assert.strictEqual(failureOf(yield* Effect.exit(pool.run(new Checksum({ size: 1 }))))._tag, "PoolFull")
      yield* openGate(probe)
      yield* Fiber.join(held)
      assert.deepStrictEqual(
        yield* Effect.forEach(queued, Fiber.join),
        Array.from({ length: 8 }, (_, i) => checksum(i))
      )
    }))

  it.scopedLive("interrupting a queued job cancels it: it never runs", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool()
      const probe = makeProbe()
      const running = yield* Effect.fork(pool.run(new Hold({ probe })))
      yield* awaitProbe(probe, 0, 1)
      const queued = yield* Effect.fork(pool.run(new Hold({ probe })))
      yield* eventually(pool.stats, (stats) => stats.queued === 1)
      yield* Fiber.interrupt(queued)
      assert.deepStrictEqual(yield* pool.stats, {
        size: 1,
        running: 1,
        queued: 0,
        spawned: 1,
        live: 1,
        crashed: 0,
        cancelled: 0,
        terminated: 0
      })
      yield* openGate(probe)
      assert.strictEqual(yield* Fiber.join(running), 1)
      assert.strictEqual(yield* pool.run(new Checksum({ size: 5 })), checksum(5))
      assert.strictEqual(Atomics.load(probe, 0), 1, "the cancelled job never started")
    }))

  it.scopedLive("interrupting a running job aborts its signal; the thread stops it and stays", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool({ cancelGracePeriod: "10 seconds" })
      const probe = makeProbe()
      const job = yield* Effect.fork(pool.run(new Hold({ probe })))
      yield* awaitProbe(probe, 0, 1)
      yield* Fiber.interrupt(job)
      // The interruption completed only after the thread finished the job.
      assert.strictEqual(Atomics.load(probe, 1), 1, "the job saw its signal abort")
      const stats = yield* pool.stats
      assert.deepStrictEqual([stats.cancelled, stats.terminated, stats.spawned, stats.running], [1, 0, 1, 0])
      assert.strictEqual(yield* pool.run(new Checksum({ size: 7 })), checksum(7))
      yield* openGate(probe)
    }))

  it.scopedLive("an interrupted synchronous job is terminated after the grace period and its thread replaced", () =>
    Effect.gen(function*() {
      const pool = yield* makeJobsPool({ cancelGracePeriod: "50 millis" })
      const probe = makeProbe()
      const job = yield* Effect.fork(pool.run(new Spin({ probe })))
      yield* awaitProbe(probe, 0, 1)
      yield* Fiber.interrupt(job)
      const stats = yield* pool.stats
      assert.deepStrictEqual([stats.cancelled, stats.terminated], [0, 1])
      assert.strictEqual(yield* pool.run(new Checksum({ size: 9 })), checksum(9))
      const after = yield* eventually(pool.stats, (s) => s.live === 1)
      assert.strictEqual(after.spawned, 2, "one replacement thread")
    }))

  for (const how of ["exit", "uncaught"] as const) {
    it.scopedLive(`a worker that crashes (${how}) fails its job with WorkerCrashed and is replaced`, () =>
      Effect.gen(function*() {
        const pool = yield* makeJobsPool({ size: 2 })
        const crashed = failureOf(yield* Effect.exit(pool.run(new Crash({ how }))))
        assert.instanceOf(crashed, BlockingPool.WorkerCrashed)
        assert.deepStrictEqual([crashed.tag, crashed.reason], ["Crash", "exit"])
        const results = yield* Effect.forEach([1, 2, 3, 4], (size) => pool.run(new Checksum({ size })), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual(results, [1, 2, 3, 4].map(checksum))
        const stats = yield* eventually(pool.stats, (s) => s.spawned === 3 && s.live === 2)
        assert.strictEqual(stats.crashed, 1)
      }))
  }

  it.live("shutdown drain: close waits for admitted jobs, rejects new ones, and leaves no thread", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const pool = yield* Scope.extend(makeJobsPool({ size: 2 }), scope)
      const probe = makeProbe()
      const job = yield* Effect.fork(pool.run(new Hold({ probe })))
      yield* awaitProbe(probe, 0, 1)
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      const rejected = yield* eventually(Effect.exit(pool.run(new Checksum({ size: 1 }))), Exit.isFailure)
      assert.deepStrictEqual(failureOf(rejected), new BlockingPool.PoolClosed({ tag: "Checksum" }))
      assert.isTrue(Option.isNone(yield* Fiber.poll(closing)))
      yield* openGate(probe)
      assert.strictEqual(yield* Fiber.join(job), 1)
      yield* Fiber.join(closing)
      const stats = yield* pool.stats
      assert.deepStrictEqual([stats.spawned, stats.live], [2, 0])
    }))

  it.live("shutdown cancel: running jobs fail with PoolClosed and every thread exits", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const pool = yield* Scope.extend(makeJobsPool({ size: 2, shutdown: "cancel" }), scope)
      const probe = makeProbe()
      const job = yield* Effect.fork(pool.run(new Spin({ probe })))
      yield* awaitProbe(probe, 0, 1)
      yield* Scope.close(scope, Exit.void)
      const failure = failureOf(yield* Fiber.await(job))
      assert.deepStrictEqual(failure, new BlockingPool.PoolClosed({ tag: "Spin" }))
      assert.strictEqual((yield* pool.stats).live, 0)
    }))

  it.live("a worker module that cannot start fails make with WorkerCrashed", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(
        makeJobsPool({ entry: new URL("./fixtures/missing.worker.ts", import.meta.url) })
      ))
      const failure = failureOf(exit)
      assert.strictEqual(failure._tag, "WorkerCrashed")
      if (failure._tag === "WorkerCrashed") assert.strictEqual(failure.reason, "spawn")
    }))

  it.live("options it cannot honour fail make with InvalidPoolOptions, naming the option; nothing starts", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Partial<BlockingPool.Options>, string]> = [
        [{ size: 0 }, "size"],
        [{ size: -2 }, "size"],
        [{ size: 1.5 }, "size"],
        [{ size: Number.NaN }, "size"],
        [{ queueCapacity: -1 }, "queueCapacity"],
        [{ queueCapacity: 0.5 }, "queueCapacity"],
        [{ cancelGracePeriod: "soon" as Duration.DurationInput }, "cancelGracePeriod"],
        [{ cancelGracePeriod: Duration.infinity }, "cancelGracePeriod"]
      ]
      let spawned = 0
      const spawn: BlockingPool.Options["spawn"] = (entry, options) => {
        spawned++
        return spawnTypeScript(entry, options)
      }
      for (const [options, option] of cases) {
        const failure = failureOf(yield* Effect.exit(Effect.scoped(makeJobsPool({ ...options, spawn }))))
        assert.strictEqual(failure._tag, "InvalidPoolOptions")
        if (failure._tag === "InvalidPoolOptions") assert.strictEqual(failure.option, option)
      }
      assert.strictEqual(spawned, 0)
    }))
})
