import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"

/** Effect's own clock: its `sleep` is a `setTimeout`, so a deadline on it can be one directly. */
const liveClock = Context.get(DefaultServices.liveServices, Clock.Clock)

/** As Effect's live clock: longer than a JS timer can wait is never. */
const maxTimerMillis = 2 ** 31 - 1

/** Calls `fire` once `millis` have passed on `clock`, unless the returned cancel runs first. */
const armTimer = (clock: Clock.Clock, millis: number, fire: () => void): Effect.Effect<() => void> => {
  if (clock === liveClock) {
    return Effect.sync(() => {
      if (millis > maxTimerMillis) return () => {}
      const handle = setTimeout(fire, millis)
      return () => clearTimeout(handle)
    })
  }
  // Any other clock (TestClock) only offers `sleep` as an effect: it needs a fiber to wait in.
  return Effect.map(
    Effect.fork(Effect.interruptible(Effect.zipRight(clock.sleep(Duration.millis(millis)), Effect.sync(fire)))),
    (sleeper) => () => sleeper.unsafeInterruptAsFork(FiberId.none)
  )
}

/**
 * `effect`, failing with `onTimeout()` once `millis` have passed on `clock`: then `effect` is
 * interrupted and its interruption awaited. An `effect` that finished meanwhile keeps its
 * outcome; only one really cut short becomes the timeout.
 *
 * Why not `Effect.timeoutFail`: it forks two fibers per call (the effect's and a sleeper's) and
 * races them. Here `effect` runs in one child fiber that the caller waits for with a callback, and
 * on Effect's live clock the deadline is a plain timer — no second fiber.
 *
 * Interrupted from outside, the child is interrupted and its interruption awaited.
 *
 * @internal
 */
export const failAfter = <A, E, E1>(
  effect: Effect.Effect<A, E>,
  clock: Clock.Clock,
  millis: number,
  onTimeout: () => E1
): Effect.Effect<A, E | E1> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.fork(restore(effect)), (child) => {
      const wait = new DeadlineWait(child, onTimeout)
      child.addObserver(wait.onExit)
      return Effect.flatMap(armTimer(clock, millis, wait.expire), (cancel) => {
        wait.armed(cancel)
        return restore(wait.await)
      })
    })
  )

/**
 * The caller's side of {@link failAfter}: the child's exit and the timer race to decide the
 * outcome (both are callbacks on the one JS thread, so the first one wins outright); the caller
 * may start waiting before or after that.
 */
class DeadlineWait<A, E, E1> {
  private outcome: Effect.Effect<A, E | E1> | undefined = undefined
  private resume: ((outcome: Effect.Effect<A, E | E1>) => void) | undefined = undefined
  private cancelTimer: (() => void) | undefined = undefined

  constructor(private readonly child: Fiber.RuntimeFiber<A, E>, private readonly onTimeout: () => E1) {}

  readonly onExit = (exit: Exit.Exit<A, E>): void => this.decide(exit)

  readonly expire = (): void => {
    if (this.outcome !== undefined) return
    this.child.removeObserver(this.onExit)
    this.decide(Effect.flatMap(
      Fiber.interrupt(this.child),
      (exit): Effect.Effect<A, E | E1> =>
        Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? Effect.fail(this.onTimeout()) : exit
    ))
  }

  armed(cancel: () => void): void {
    if (this.outcome !== undefined) cancel()
    else this.cancelTimer = cancel
  }

  readonly await: Effect.Effect<A, E | E1> = Effect.async((resume) => {
    if (this.outcome !== undefined) return resume(this.outcome)
    this.resume = resume
    // Interrupted while waiting: neither the exit nor the timer will decide any more.
    return Effect.suspend(() => {
      this.outcome = Effect.interrupt
      this.cancelTimer?.()
      this.child.removeObserver(this.onExit)
      return Fiber.interrupt(this.child)
    })
  })

  private decide(outcome: Effect.Effect<A, E | E1>): void {
    if (this.outcome !== undefined) return
    this.outcome = outcome
    this.cancelTimer?.()
    this.resume?.(outcome)
  }
}
