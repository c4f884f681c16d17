import type { Readiness } from "@weft/channel"
import type { Cause, Clock, Fiber, Random } from "effect"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as Select from "../Select.js"
import { AllBranchesDisabled } from "../SelectError.js"

// -----------------------------------------------------------------------------
// Branches
// -----------------------------------------------------------------------------

/** @internal */
export const BranchTypeId: Select.BranchTypeId = Symbol.for("@weft/select/Branch") as Select.BranchTypeId

/**
 * Where a branch's value comes from.
 * - `Readiness`: a synchronous claim that returns an `Exit` (the `Claimable` protocol).
 * - `Effectful`: a claim that may return any effect, run after the claim. Only for sources that
 *   nothing consumes (a `Deferred` completed with an effect), so running it later loses nothing.
 * - `Sleep` / `Until`: a point in time on the fiber's `Clock`, armed when the select starts. An
 *   `Until` with `due` fails with it when the time comes (a timeout) instead of yielding `void`.
 *
 * @internal
 */
export type Source =
  | { readonly _tag: "Readiness"; readonly readiness: Readiness.Readiness<unknown, unknown> }
  | { readonly _tag: "Effectful"; readonly readiness: EffectfulReadiness }
  | { readonly _tag: "Sleep"; readonly millis: number }
  | { readonly _tag: "Until"; readonly at: number; readonly due?: Exit.Exit<never, unknown> | undefined }

/** @internal */
export interface EffectfulReadiness {
  readonly claim: () => Effect.Effect<unknown, unknown> | undefined
  readonly onReady: (wake: () => void) => () => void
}

const variance = { _A: (_: never) => _, _E: (_: never) => _ }

/** @internal */
export class BranchImpl {
  readonly [BranchTypeId] = variance
  constructor(readonly source: Source, readonly enabled: boolean) {}
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
}

/** @internal */
export const isBranch = (u: unknown): u is BranchImpl => Predicate.hasProperty(u, BranchTypeId)

// -----------------------------------------------------------------------------
// The select loop
// -----------------------------------------------------------------------------

/** @internal */
export interface Selected {
  readonly _tag: string
  readonly value: unknown
}

/** @internal */
export interface Options {
  readonly biased?: boolean | undefined
  readonly random?: Random.Random | undefined
  /**
   * Return the winning value itself rather than `{ _tag, value }`. For the wrappers that wait on one
   * source (`timeout`, `abortable`): the value leaves the claim step as the caller's result, with
   * no later step in which an interrupt could drop it. The run is still typed as yielding
   * `Selected`; the one caller that sets this reads the result as the bare value.
   */
  readonly unwrap?: boolean | undefined
}

/** @internal */
export interface Plan {
  readonly tags: ReadonlyArray<string>
  readonly sources: ReadonlyArray<Source>
  readonly timed: boolean
  readonly biased: boolean
  readonly random: Random.Random | undefined
  readonly unwrap: boolean
  /**
   * Without time branches a select needs no per-run state, so its claim step and its
   * wait-then-claim step are built once per plan and reused by every run (a select built once
   * and run in a loop allocates no effects on its hot path).
   */
  attempt: Effect.Effect<Selected, unknown> | undefined
  retry: Effect.Effect<Selected, unknown> | undefined
}

/**
 * The signals a claim step throws to leave its `Effect.sync` by the failure path. They capture no
 * stack and never escape this module: `recover` turns each into what it stands for. `NotReady` is
 * a symbol because it is matched by identity, and inside traced fibers Effect wraps object defects
 * in a Proxy that carries the span; the classes below are matched with `instanceof`, which the
 * Proxy keeps.
 */
const NotReady: unique symbol = Symbol("@weft/select/NotReady")

class ClaimedFailure {
  constructor(readonly cause: Cause.Cause<unknown>) {}
}

class ClaimedEffect {
  constructor(readonly tag: string, readonly effect: Effect.Effect<unknown, unknown>) {}
}

// xorshift32: the default fair start. A module-level generator (not a per-select counter) so that
// two selects that alternate in one loop cannot alias onto the same start every time.
let seed = (Math.floor(Math.random() * 0x7fffffff) | 0) || 0x2545f491
const randomStart = (n: number): number => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) % n
}

/**
 * Claims from the first ready branch, checking from `start` on in rotation. Returns the winner, or
 * throws one of the signals above. Runs as one `Effect.sync` step so that a claimed value goes
 * straight to the caller's continuation: the fiber cannot be interrupted between the claim and
 * the hand-over.
 */
const claim = (plan: Plan, run: Run | undefined, start: number): Selected => {
  const sources = plan.sources
  const n = sources.length
  for (let i = 0; i < n; i++) {
    const j = start + i < n ? start + i : start + i - n
    const source = sources[j]!
    let exit: Exit.Exit<unknown, unknown> | undefined
    switch (source._tag) {
      case "Readiness": {
        exit = source.readiness.claim()
        break
      }
      case "Effectful": {
        const effect = source.readiness.claim()
        if (effect === undefined) continue
        if (!Exit.isExit(effect)) throw new ClaimedEffect(plan.tags[j]!, effect)
        exit = effect
        break
      }
      default: {
        exit = run!.deadlines[j]! <= run!.clock.unsafeCurrentTimeMillis()
          ? (source._tag === "Until" ? source.due : undefined) ?? Exit.void
          : undefined
      }
    }
    if (exit === undefined) continue
    if (exit._tag === "Success") {
      return plan.unwrap
        ? exit.value as Selected
        : { _tag: plan.tags[j]!, value: exit.value }
    }
    throw new ClaimedFailure(exit.cause)
  }
  throw NotReady
}

/**
 * The state of one execution of a select that had to wait: the armed deadlines of its time
 * branches and the single sleeper fiber that stands for all of them.
 */
class Run {
  readonly deadlines: Array<number>
  sleeper: Fiber.RuntimeFiber<void> | undefined = undefined
  wake: (() => void) | undefined = undefined
  timerFired = false
  constructor(plan: Plan, readonly clock: Clock.Clock) {
    this.deadlines = []
    const now = clock.unsafeCurrentTimeMillis()
    for (const source of plan.sources) {
      this.deadlines.push(
        source._tag === "Sleep" ? now + source.millis : source._tag === "Until" ? source.at : Number.NaN
      )
    }
  }

  nextDeadline(): number {
    let min = Number.POSITIVE_INFINITY
    for (const at of this.deadlines) if (at < min) min = at
    return min
  }

  fireTimer = (): void => {
    this.timerFired = true
    this.wake?.()
  }

  /** Withdraws the timer: the sleeper is interrupted, a wakeup it already gave is forgotten. */
  disarm(): void {
    this.wake = undefined
    this.timerFired = false
    if (this.sleeper !== undefined) {
      this.sleeper.unsafeInterruptAsFork(FiberId.none)
      this.sleeper = undefined
    }
  }
}

const recover =
  (plan: Plan, run: Run | undefined) => (cause: Cause.Cause<unknown>): Effect.Effect<Selected, unknown> => {
    if (cause._tag === "Die") {
      const signal = cause.defect
      if (signal === NotReady) {
        return run === undefined ? (plan.retry ??= waitThenClaim(plan, undefined)) : waitThenClaim(plan, run)
      }
      if (signal instanceof ClaimedFailure) return Effect.failCause(signal.cause)
      if (signal instanceof ClaimedEffect) {
        return plan.unwrap
          ? signal.effect as Effect.Effect<Selected, unknown>
          : Effect.map(signal.effect, (value): Selected => ({ _tag: signal.tag, value }))
      }
    }
    return Effect.failCause(cause)
  }

const attempt = (plan: Plan, run: Run | undefined): Effect.Effect<Selected, unknown> => {
  const n = plan.sources.length
  const onFailure = recover(plan, run)
  if (plan.random !== undefined) {
    return Effect.flatMap(
      plan.random.nextIntBetween(0, n),
      (start) => Effect.catchAllCause(Effect.sync(() => claim(plan, run, start)), onFailure)
    )
  }
  return Effect.catchAllCause(
    Effect.sync(() => claim(plan, run, plan.biased || n === 1 ? 0 : randomStart(n))),
    onFailure
  )
}

const waitThenClaim = (plan: Plan, run: Run | undefined): Effect.Effect<Selected, unknown> =>
  Effect.zipRight(wait(plan, run), run === undefined ? untimedAttempt(plan) : Effect.suspend(() => attempt(plan, run)))

const untimedAttempt = (plan: Plan): Effect.Effect<Selected, unknown> => plan.attempt ??= attempt(plan, undefined)

/**
 * Registers a waker on every branch and suspends until one fires. Whether it resumes or is
 * interrupted, every waker is unregistered before the fiber goes on — so a wakeup this select did
 * not use is passed on by its source, and a later claim starts from a clean slate.
 */
const wait = (plan: Plan, run: Run | undefined): Effect.Effect<void> => {
  const registered = Effect.async<void>((resume) => {
    const unregisters: Array<() => void> = []
    let woken = false
    const cleanup = Effect.sync(() => {
      for (const unregister of unregisters) unregister()
      unregisters.length = 0
      run?.disarm()
    })
    const wake = () => {
      if (woken) return
      woken = true
      resume(cleanup)
    }
    for (const source of plan.sources) {
      if (source._tag === "Readiness" || source._tag === "Effectful") {
        unregisters.push(source.readiness.onReady(wake))
        if (woken) break
      }
    }
    if (run !== undefined) {
      run.wake = wake
      if (run.timerFired) wake()
    }
    return cleanup
  })
  if (run === undefined) return registered
  return Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(startSleeper(run), (sleeper) => {
      run.sleeper = sleeper
      return restore(registered)
    })
  )
}

/** One sleeper fiber per waiting select, for its earliest deadline — not one per time branch. */
const startSleeper = (run: Run): Effect.Effect<Fiber.RuntimeFiber<void>> => {
  const clock = run.clock
  const millis = Math.max(0, run.nextDeadline() - clock.unsafeCurrentTimeMillis())
  return Effect.fork(
    Effect.interruptible(Effect.zipRight(clock.sleep(Duration.millis(millis)), Effect.sync(run.fireTimer)))
  )
}

/**
 * Builds the plan of a select from its enabled branches. Disabled branches are left out of the plan
 * altogether: they are never claimed from and never registered with.
 *
 * @internal
 */
export const compile = (
  branches: Readonly<Record<string, unknown>>,
  options: Options | undefined,
  toSource: (value: unknown) => BranchImpl
): Plan | AllBranchesDisabled => {
  const tags: Array<string> = []
  const sources: Array<Source> = []
  const disabled: Array<string> = []
  let timed = false
  for (const tag of Object.keys(branches)) {
    const branch = toSource(branches[tag])
    if (!branch.enabled) {
      disabled.push(tag)
      continue
    }
    tags.push(tag)
    sources.push(branch.source)
    if (branch.source._tag === "Sleep" || branch.source._tag === "Until") timed = true
  }
  if (sources.length === 0) return new AllBranchesDisabled({ branches: disabled })
  return {
    tags,
    sources,
    timed,
    biased: options?.biased === true,
    random: options?.random,
    unwrap: options?.unwrap === true,
    attempt: undefined,
    retry: undefined
  }
}

/**
 * The effect that runs a compiled plan once. Without time branches it needs no per-run state until
 * it has to wait, so the ready case is one `catchAllCause(sync(claim))`.
 *
 * @internal
 */
export const run = (plan: Plan): Effect.Effect<Selected, unknown> =>
  plan.timed ? Effect.clockWith((clock) => attempt(plan, new Run(plan, clock))) : untimedAttempt(plan)
