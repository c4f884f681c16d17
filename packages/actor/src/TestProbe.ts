/**
 * A test probe: an actor that records every message it receives, so a test can hand its ref to
 * the code under test and then expect what arrives. Timeouts run on the `Clock`, so with
 * `TestClock` they fire only when the test adjusts the clock.
 *
 * @since 0.1.0
 */
import type { Duration, Effect, Scope } from "effect"
import * as Data from "effect/Data"
import type { ActorRef, Behavior, Message } from "./Actor.js"
import type { SpawnError } from "./ActorError.js"
import type { ActorSystem } from "./ActorSystem.js"
import * as internal from "./internal/testProbe.js"

/**
 * No message arrived within the expectation's timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProbeTimeout extends Data.TaggedError("ProbeTimeout")<{
  readonly probe: string
  readonly waitedMs: number
}> {
  override get message() {
    return `probe "${this.probe}" received no message within ${this.waitedMs} ms`
  }
}

/**
 * A message arrived while the test expected none.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedMessage extends Data.TaggedError("UnexpectedMessage")<{
  readonly probe: string
  readonly received: unknown
}> {
  override get message() {
    return `probe "${this.probe}" expected no message but received one`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TestProbe<M extends Message> {
  /** Give this to the code under test. Tells are recorded; asks are recorded and never answered. */
  readonly ref: ActorRef<M>
  /**
   * Takes the oldest message not yet expected, waiting at most `timeout` (default 3 seconds).
   *
   * Cancellation safety: interrupted while waiting, it has taken nothing.
   */
  readonly expectMessage: (timeout?: Duration.DurationInput) => Effect.Effect<M, ProbeTimeout>
  /**
   * Succeeds if no message arrives for `duration`; otherwise fails with the message (which is
   * then taken).
   *
   * Cancellation safety: interrupted while waiting, it has taken nothing.
   */
  readonly expectNoMessage: (duration: Duration.DurationInput) => Effect.Effect<void, UnexpectedMessage>
  /**
   * Every message received so far, expected or not, in arrival order.
   *
   * Cancellation safety: a synchronous read.
   */
  readonly received: Effect.Effect<ReadonlyArray<M>>
}

/**
 * Spawns a probe for the protocol `M` in the current `ActorSystem`; it stops with the scope.
 *
 * Cancellation safety: as `Actor.spawn`.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { Actor, TestProbe } from "@weft/actor"
 *
 * class Ping extends Data.TaggedClass("Ping")<{}> {}
 *
 * const test = Effect.gen(function* () {
 *   const probe = yield* TestProbe.make<Ping>()
 *   yield* Actor.tell(probe.ref, new Ping())
 *   const ping = yield* probe.expectMessage("1 second")
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <M extends Message>(options?: {
  readonly name?: string | undefined
}) => Effect.Effect<TestProbe<M>, SpawnError, ActorSystem | Scope.Scope> = internal.make

/**
 * Fault injection: the same behaviour, except that a message for which `failWhen` returns true
 * crashes its handler (a defect) instead of running it — so a test can exercise supervision,
 * dead letters and restarts with the real behaviour.
 *
 * Cancellation safety: a constructor; nothing runs.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { Actor, TestProbe } from "@weft/actor"
 *
 * class Job extends Data.TaggedClass("Job")<{ readonly id: number }> {}
 * const worker = Actor.behavior<Job>()({ initialState: 0, handlers: { Job: (_, n) => Effect.succeed(n + 1) } })
 *
 * // Every 10th job crashes the worker.
 * const flaky = TestProbe.failing(worker, (job) => job.id % 10 === 9)
 * ```
 *
 * @since 0.1.0
 * @category fault injection
 */
export const failing: <M extends Message, S, R>(
  behavior: Behavior<M, S, R>,
  failWhen: (message: M) => boolean
) => Behavior<M, S, R> = internal.failing
