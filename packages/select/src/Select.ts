/**
 * `select`: wait on several sources at once and take a value from exactly one of them.
 *
 * Guarantee: exactly one branch consumes. A select checks its branches with a synchronous claim
 * (the `Claimable` protocol of `@weft/channel`); when none is ready it registers a waker on each and
 * suspends; woken, it unregisters every waker and claims again. Losing branches never take a
 * message, and a select interrupted while it waits has taken nothing. `Effect.race`,
 * `Effect.raceFirst` and `Effect.timeout` around `Queue.take` cannot promise this in effect 3.22.
 *
 * Branch kinds: any `Claimable` (a channel receiver, a oneshot, a user source built with
 * `Readiness.make`), a `Mailbox` (`take`), a `Deferred` (`deferred`), a fiber's exit (`fiber`),
 * time on the fiber's `Clock` (`sleep`, `sleepUntil` — `TestClock` drives them), an `AbortSignal`
 * (`abort`), and the elements of a `Stream` (`fromStream`) or ticks of a period (`ticker`).
 *
 * @since 0.1.0
 */
import type { Readiness } from "@weft/channel"
import type { Cause, Deferred, Duration, Effect, Exit, Fiber, Mailbox, Random, Scope, Stream, Types } from "effect"
import { dual } from "effect/Function"
import type { Pipeable } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as core from "./internal/core.js"
import * as internal from "./internal/select.js"
import * as sources from "./internal/sources.js"
import type { AllBranchesDisabled } from "./SelectError.js"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category type ids
 */
export const BranchTypeId: unique symbol = core.BranchTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type BranchTypeId = typeof BranchTypeId

/**
 * One arm of a `select`: where a value of type `A` comes from, and the error `E` its source ends
 * with. Build one with `recv`, `take`, `deferred`, `fiber`, `sleep`, `sleepUntil` or `abort`; a
 * plain `Claimable` is accepted wherever a branch is.
 *
 * @since 0.1.0
 * @category models
 */
export interface Branch<out A, out E = never> extends Pipeable {
  readonly [BranchTypeId]: {
    readonly _A: Types.Covariant<A>
    readonly _E: Types.Covariant<E>
  }
}

/**
 * Whether `u` is a select branch built by this module (a plain `Readiness.Claimable` is not one).
 *
 * @since 0.1.0
 * @category guards
 */
export const isBranch = (u: unknown): u is Branch<unknown, unknown> => Predicate.hasProperty(u, BranchTypeId)

/**
 * What a select accepts as a branch: a {@link Branch} or any `Claimable`.
 *
 * @since 0.1.0
 * @category models
 */
export type Source<A, E = never> = Branch<A, E> | Readiness.Claimable<A, E>

/**
 * The branches of a select: a record from branch name to source.
 *
 * @since 0.1.0
 * @category models
 */
export type Branches = Readonly<Record<string, Source<unknown, unknown>>>

/**
 * The value a source yields.
 *
 * @since 0.1.0
 * @category models
 */
export type ValueOf<S> = S extends Branch<infer A, infer _E> ? A
  : S extends Readiness.Claimable<infer A, infer _E> ? A
  : never

/**
 * The error a source ends with.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorOf<S> = S extends Branch<infer _A, infer E> ? E
  : S extends Readiness.Claimable<infer _A, infer E> ? E
  : never

/**
 * The winner of a select: the branch's name and the value it gave.
 *
 * @since 0.1.0
 * @category models
 */
export interface Selected<out K extends string, out A> {
  readonly _tag: K
  readonly value: A
}

/**
 * The result of selecting over `Bs`: a union with one {@link Selected} per branch, so a `switch`
 * on `_tag` narrows `value` to that branch's type.
 *
 * @since 0.1.0
 * @category models
 */
export type Result<Bs extends Branches> = {
  [K in keyof Bs & string]: Selected<K, ValueOf<Bs[K]>>
}[keyof Bs & string]

/**
 * The errors of selecting over `Bs`: every branch's error. A branch with a `when` guard adds
 * `AllBranchesDisabled`, and so does a select with no branch at all.
 *
 * @since 0.1.0
 * @category models
 */
export type Errors<Bs extends Branches> = [keyof Bs] extends [never] ? AllBranchesDisabled
  : { [K in keyof Bs]: ErrorOf<Bs[K]> }[keyof Bs]

/**
 * How a select picks among branches that are ready at the same time.
 *
 * - default: fair. The branch checked first is random, from a fast generator inside this module,
 *   so every ready branch wins equally often and none starves.
 * - `random`: fair, with the first branch drawn from this `Random` — `Random.make(seed)` makes a
 *   run reproducible in tests.
 * - `biased: true`: branches are checked in the order they are written; the first ready one wins.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly biased?: boolean | undefined
  readonly random?: Random.Random | undefined
}

// -----------------------------------------------------------------------------
// select
// -----------------------------------------------------------------------------

/**
 * Waits until one of `branches` is ready and takes a value from that one only, returning
 * `{ _tag: branchName, value }`. When several are ready, the winner is chosen fairly (see
 * {@link Options}). A branch whose source has ended (a closed channel, a failed deferred) wins with
 * its error: the select fails with it.
 *
 * Branches disabled with {@link when} are neither checked nor waited on. When every branch is
 * disabled, `orElse` runs and its value is returned as `{ _tag: "orElse", value }`; without `orElse`
 * the select fails with `AllBranchesDisabled`.
 *
 * Cancellation safety: safe. Interrupted while it waits, a select has consumed nothing and leaves
 * no waker behind; a wakeup it received but did not use is passed on to the next waiter. Once a
 * branch's value is claimed, it is handed to the caller in the same step.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 * import { Select } from "@weft/select"
 *
 * Effect.gen(function* () {
 *   const [, jobs] = yield* Mpsc.bounded<string>(16)
 *   const [, control] = yield* Mpsc.bounded<"stop">(1)
 *   const next = yield* Select.select({ job: jobs, control, idle: Select.sleep("5 seconds") })
 *   switch (next._tag) {
 *     case "job":
 *       return next.value.toUpperCase()
 *     case "control":
 *     case "idle":
 *       return "done"
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 * @category selecting
 */
export function select<const Bs extends Branches, B, E2 = never, R2 = never>(
  branches: Bs,
  options: Options & { readonly orElse: () => Effect.Effect<B, E2, R2> }
): Effect.Effect<Result<Bs> | Selected<"orElse", B>, Exclude<Errors<Bs>, AllBranchesDisabled> | E2, R2>
export function select<const Bs extends Branches>(
  branches: Bs,
  options?: Options
): Effect.Effect<Result<Bs>, Errors<Bs>>
export function select(
  branches: Branches,
  options?: internal.SelectOptions
): Effect.Effect<core.Selected, unknown, unknown> {
  return internal.select(branches, options)
}

/**
 * Disables a branch when `enabled` is `false`, like a guard in tokio's `select!`. A disabled branch
 * is not checked and not waited on. The branch's error type gains `AllBranchesDisabled`, the error a
 * select fails with when every branch is disabled and it has no `orElse`.
 *
 * Cancellation safety: a constructor; nothing runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 * import { Select } from "@weft/select"
 *
 * const next = (inbox: Mpsc.Receiver<string>, accepting: boolean) =>
 *   Select.select({ msg: Select.when(inbox, accepting) }, { orElse: () => Effect.succeed("busy") })
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const when: {
  (enabled: boolean): <A, E>(self: Source<A, E>) => Branch<A, E | AllBranchesDisabled>
  <A, E>(self: Source<A, E>, enabled: boolean): Branch<A, E | AllBranchesDisabled>
} = dual(2, sources.when)

// -----------------------------------------------------------------------------
// Branches
// -----------------------------------------------------------------------------

/**
 * A branch that receives from a `Claimable`: a channel receiver, a oneshot, or a user source built
 * with `Readiness.make`. Passing the `Claimable` itself as a branch does the same.
 *
 * Cancellation safety: as `select` — a receive that loses or is interrupted consumed nothing.
 *
 * @since 0.1.0
 * @category branches
 */
export const recv = <A, E>(readable: Readiness.Claimable<A, E>): Branch<A, E> => sources.fromReadable(readable)

/**
 * A branch that takes the next message of a `Mailbox`. It fails with the mailbox's error once the
 * mailbox has failed, or with `NoSuchElementException` once it is done and drained — as
 * `Mailbox.take` does.
 *
 * Cancellation safety: as `select`. Readiness is checked without taking (from the mailbox's size);
 * the message is taken synchronously by the winning select only.
 *
 * @since 0.1.0
 * @category branches
 */
export const take = <A, E>(mailbox: Mailbox.ReadonlyMailbox<A, E>): Branch<A, E | Cause.NoSuchElementException> =>
  sources.take(mailbox)

/**
 * A branch that is ready once `deferred` is completed, with its value (or failing with its
 * error). Nothing is consumed: every select and every `Deferred.await` sees the same completion.
 *
 * Cancellation safety: safe; interrupted, it only withdraws its waker.
 *
 * @since 0.1.0
 * @category branches
 */
export const deferred = <A, E>(deferred: Deferred.Deferred<A, E>): Branch<A, E> => sources.deferred(deferred)

/**
 * A branch that is ready once `fiber` has ended, with its `Exit`. The fiber is not interrupted
 * or joined; many selects may watch it.
 *
 * Cancellation safety: safe; interrupted, it only removes its observer.
 *
 * @since 0.1.0
 * @category branches
 */
export const fiber = <A, E>(fiber: Fiber.RuntimeFiber<A, E>): Branch<Exit.Exit<A, E>> => sources.fiber(fiber)

/**
 * A branch that is ready `duration` after the select starts, on the fiber's `Clock` — `TestClock`
 * drives it. However many time branches a select has, it waits with one sleeper, for the earliest.
 * Inside `selectLoop` a `sleep` restarts on every iteration; for a tick that keeps its schedule
 * use {@link ticker}.
 *
 * Cancellation safety: safe; the sleeper is interrupted with the select.
 *
 * @since 0.1.0
 * @category branches
 */
export const sleep = (duration: Duration.DurationInput): Branch<void> => sources.sleep(duration)

/**
 * A branch that is ready once the fiber's `Clock` reaches `at` (epoch milliseconds or a `Date`).
 *
 * Cancellation safety: safe; the sleeper is interrupted with the select.
 *
 * @since 0.1.0
 * @category branches
 */
export const sleepUntil = (at: number | Date): Branch<void> => sources.sleepUntil(at)

/**
 * A branch that is ready once `signal` is aborted, with the signal's `reason`.
 *
 * Cancellation safety: safe; interrupted, it removes its event listener.
 *
 * @since 0.1.0
 * @category branches
 */
export const abort = (signal: AbortSignal): Branch<unknown> => sources.abort(signal)

/**
 * Turns a `Stream` into a `Claimable` of its elements, for use as a select branch. A worker fiber
 * owns the stream and hands its elements over through a one-chunk slot: a select that loses never
 * drops an element, it stays in the slot for the next claim. The readable fails with the stream's
 * error, or with `NoSuchElementException` after the last element. The worker is interrupted when
 * the scope closes; elements not yet claimed then are discarded with the stream.
 *
 * Cancellation safety: claiming is as safe as `select`; closing the scope stops the stream.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Select } from "@weft/select"
 *
 * Effect.scoped(Effect.gen(function* () {
 *   const numbers = yield* Select.fromStream(Stream.range(1, 3))
 *   const first = yield* Select.select({ n: numbers, idle: Select.sleep("1 second") })
 * }))
 * ```
 *
 * @since 0.1.0
 * @category branches
 */
export const fromStream: <A, E, R>(
  stream: Stream.Stream<A, E, R>
) => Effect.Effect<Readiness.Claimable<A, E | Cause.NoSuchElementException>, never, R | Scope.Scope> =
  sources.fromStream

/**
 * A `Claimable` that ticks every `period` on the fiber's `Clock`, keeping its schedule however
 * often it is selected; its value is the number of ticks since it was last claimed (more than 1
 * when the loop fell behind). The tick stops when the scope closes.
 *
 * Cancellation safety: claiming is as safe as `select`; ticks not claimed accumulate.
 *
 * @since 0.1.0
 * @category branches
 */
export const ticker: (
  period: Duration.DurationInput
) => Effect.Effect<Readiness.Claimable<number>, never, Scope.Scope> = sources.ticker

// -----------------------------------------------------------------------------
// selectLoop
// -----------------------------------------------------------------------------

/**
 * What a `selectLoop` handler returns to end the loop with `state`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stop<out S> {
  readonly state: S
}

/**
 * Ends a `selectLoop` with `state`.
 *
 * Cancellation safety: a constructor; nothing runs.
 *
 * @since 0.1.0
 * @category selectLoop
 */
export const stop = <S>(state: S): Stop<S> => new internal.Stop(state)

/**
 * A handler per branch: given the branch's value and the state, the next state (or `stop(state)`).
 *
 * @since 0.1.0
 * @category models
 */
export type Handlers<S, Bs extends Branches> = {
  readonly [K in keyof Bs]: (value: ValueOf<Bs[K]>, state: S) => Effect.Effect<S | Stop<S>, unknown, unknown>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LoopOptions<S, Bs extends Branches, O> extends Options {
  /** The initial state. */
  readonly state: S
  /** The branches of each iteration, computed from the state (guards often depend on it). */
  readonly branches: (state: S) => Bs
  /** Runs when every branch is disabled; without it the loop fails with `AllBranchesDisabled`. */
  readonly orElse?: ((state: S) => O) | undefined
}

type HandlerEffect<H> = H[keyof H] extends (...args: never) => infer R ? R : never
type SuccessOf<X> = X extends Effect.Effect<infer A, infer _E, infer _R> ? A : never
type FailureOf<X> = X extends Effect.Effect<infer _A, infer E, infer _R> ? E : never
type ContextOf<X> = X extends Effect.Effect<infer _A, infer _E, infer R> ? R : never

/**
 * An event loop: selects over `options.branches(state)`, runs the winner's handler from `handlers`
 * (one per branch, checked by the compiler), and repeats with the state it returns until a handler
 * returns `stop(state)`; then succeeds with that state.
 *
 * Cancellation safety: a message, once claimed, always reaches its handler: a handler starts
 * uninterruptibly (it can open interruptible regions with `Effect.interruptible`). Interrupting the
 * loop lands while it waits (nothing consumed) or between two iterations.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mpsc } from "@weft/channel"
 * import { Select } from "@weft/select"
 *
 * // An actor loop: a mailbox, a control lane, and a tick; the state is a message count.
 * const actor = (mailbox: Mpsc.Receiver<string>, control: Mpsc.Receiver<"stop">) =>
 *   Effect.scoped(Effect.gen(function* () {
 *     const tick = yield* Select.ticker("1 second")
 *     return yield* Select.selectLoop({ state: 0, branches: () => ({ mailbox, control, tick }) }, {
 *       mailbox: (_message, seen) => Effect.succeed(seen + 1),
 *       control: (_stop, seen) => Effect.succeed(Select.stop(seen)),
 *       tick: (_ticks, seen) => Effect.as(Effect.log(`seen ${seen}`), seen)
 *     })
 *   }))
 * ```
 *
 * @since 0.1.0
 * @category selectLoop
 */
export function selectLoop<
  S,
  const Bs extends Branches,
  H extends Handlers<NoInfer<S>, Bs>,
  O extends Effect.Effect<S | Stop<S>, unknown, unknown> = never
>(
  options: LoopOptions<S, Bs, O>,
  handlers: H
): Effect.Effect<
  S,
  | ([O] extends [never] ? Errors<Bs> : Exclude<Errors<Bs>, AllBranchesDisabled>)
  | FailureOf<HandlerEffect<H>>
  | FailureOf<O>,
  ContextOf<HandlerEffect<H>> | ContextOf<O>
>
export function selectLoop<S>(
  options: internal.LoopOptions<S>,
  handlers: internal.LoopHandlers<S>
): Effect.Effect<S, unknown, unknown> {
  return internal.selectLoop(options, handlers)
}

// -----------------------------------------------------------------------------
// race / join / tryJoin
// -----------------------------------------------------------------------------

type Effects = Readonly<Record<string, Effect.Effect<unknown, unknown, unknown>>>

/**
 * Runs every effect of the record concurrently; the first to succeed wins and is returned as
 * `{ _tag: name, value }`, and the others are interrupted. Fails only when every effect fails.
 *
 * Cancellation safety: interrupting `race` interrupts every racer. Losers are interrupted, so a
 * racer that consumes (a `Queue.take`) can lose a value it already took: race computations, and
 * use `select` to wait on sources.
 *
 * @since 0.1.0
 * @category combinators
 */
export function race<const Es extends Effects>(
  effects: Es
): Effect.Effect<
  { [K in keyof Es & string]: Selected<K, SuccessOf<Es[K]>> }[keyof Es & string],
  [keyof Es] extends [never] ? AllBranchesDisabled : FailureOf<Es[keyof Es]>,
  ContextOf<Es[keyof Es]>
>
export function race(effects: Effects): Effect.Effect<core.Selected, unknown, unknown> {
  return internal.race(effects)
}

type Joinable = ReadonlyArray<Effect.Effect<unknown, unknown, unknown>> | Effects

/**
 * Runs every effect of a tuple or record concurrently and waits for all of them, returning each
 * one's `Exit` in the same shape. Never fails: failures are in the exits.
 *
 * Cancellation safety: interrupting `join` interrupts every effect still running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Select } from "@weft/select"
 *
 * Effect.gen(function* () {
 *   const [a, b] = yield* Select.join([Effect.succeed(1), Effect.fail("boom" as const)])
 *   // a: Exit<number>, b: Exit<never, "boom">
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export function join<const Es extends Joinable>(
  effects: Es
): Effect.Effect<
  { -readonly [K in keyof Es]: Exit.Exit<SuccessOf<Es[K]>, FailureOf<Es[K]>> },
  never,
  ContextOf<Es[keyof Es & (number | string)]>
>
export function join(effects: Joinable): Effect.Effect<unknown, never, unknown> {
  return internal.join(effects)
}

/**
 * Runs every effect of a tuple or record concurrently and returns their values in the same shape.
 * On the first failure the others are interrupted and `tryJoin` fails with that error.
 *
 * Cancellation safety: interrupting `tryJoin` interrupts every effect still running.
 *
 * @since 0.1.0
 * @category combinators
 */
export function tryJoin<const Es extends Joinable>(
  effects: Es
): Effect.Effect<
  { -readonly [K in keyof Es]: SuccessOf<Es[K]> },
  FailureOf<Es[keyof Es & (number | string)]>,
  ContextOf<Es[keyof Es & (number | string)]>
>
export function tryJoin(effects: Joinable): Effect.Effect<unknown, unknown, unknown> {
  return internal.tryJoin(effects)
}
