/**
 * Everything `@weft/channel` relies on that effect does not promise: two ways its fiber run loop
 * behaves (effect 3.22's `FiberRuntime.runLoop`), used by {@link claimOr}, the claim step every
 * channel's receive and `trySend` is built from. They live here and nowhere else.
 *
 * 1. **A synchronous step's value reaches its continuation in the same step.** An `Effect.sync`
 *    that succeeds hands its value straight to the next success continuation (skipping the
 *    `catchAllCause` frame) — the function of a `flatMap`, the generator of an `Effect.gen` — with
 *    no interruption check in between. No public operator says so,
 *    and it is what makes a receive interrupt-safe: a value taken out of a buffer in one step and
 *    returned in the next could be dropped by an interrupt landing in between (effect's own
 *    `Queue.take` loses elements that way under `race`).
 * 2. **A thrown symbol reaches `catchAllCause` as itself**, as the defect of a `Die`, also in a
 *    traced fiber (effect wraps object defects in a Proxy there, to attach the span; a symbol
 *    cannot be wrapped). A symbol also captures no stack, so signalling "nothing ready" is cheap.
 *
 * At load, {@link probe} checks both on the installed effect; if either changed, importing the
 * package throws an `Error` that says which, instead of channels that lose or duplicate messages.
 * The package tests assert the probe passes, and show it catches a run loop that behaves the
 * other way (`EffectCompat.test.ts`); CI runs them against the newest effect 3.x too.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

/**
 * The signal a claim step throws when nothing is ready. It never escapes this package: `claimOr`
 * catches it.
 */
const NotReady: unique symbol = Symbol("@weft/channel/NotReady")

/** Leaves a claim step by the failure path: nothing is ready. @internal */
export const notReady = (): never => {
  throw NotReady
}

const isNotReady = (cause: Cause.Cause<unknown>): boolean => Cause.isDieType(cause) && cause.defect === NotReady

/** The shape of {@link claimOr}, so that the probe can be pointed at another implementation. @internal */
export type Claim = <A, A2, E2>(take: () => A, onNotReady: () => Effect.Effect<A2, E2>) => Effect.Effect<A | A2, E2>

/**
 * Runs `take` as one synchronous step whose value is the caller's (behaviour 1 above), and falls
 * back to `onNotReady` when it throws `NotReady` (behaviour 2).
 *
 * @internal
 */
export const claimOr: Claim = (take, onNotReady) =>
  Effect.catchAllCause(Effect.sync(take), (cause) => isNotReady(cause) ? onNotReady() : Effect.failCause(cause))

const changed = (what: string) =>
  `@weft/channel: effect's fiber run loop changed: ${what} (weft relies on effect 3.22's behaviour). `
  + `Channels would lose messages; use an effect version weft supports.`

/**
 * Checks both behaviours with `claim` (by default {@link claimOr}): a thrown `NotReady` is caught
 * by identity, also inside a span; and a value taken by a step that is interrupted while it runs
 * still reaches the continuation. Returns what changed, or `undefined`.
 *
 * @internal
 */
export const probe = (claim: Claim = claimOr): string | undefined => {
  const fallback = claim(notReady, () => Effect.succeed("not ready"))
  const plain = Effect.runSyncExit(fallback)
  const traced = Effect.runSyncExit(Effect.withSpan(fallback, "@weft/channel/probe"))
  if (
    !Exit.isSuccess(plain) || !Exit.isSuccess(traced) || plain.value !== "not ready" || traced.value !== "not ready"
  ) {
    return changed("a symbol thrown in Effect.sync no longer reaches catchAllCause as itself")
  }
  let received: unknown = undefined
  // `flatMap`'s function is the continuation itself (`map` would defer it to a step of its own).
  const interruptedWhileTaking = Effect.withFiberRuntime((fiber) =>
    Effect.flatMap(
      claim(() => {
        fiber.unsafeInterruptAsFork(fiber.id())
        return "taken"
      }, () => Effect.succeed("not ready")),
      (value) => {
        received = value
        return Effect.void
      }
    )
  )
  const exit = Effect.runSyncExit(interruptedWhileTaking)
  if (received !== "taken" || !Exit.isInterrupted(exit)) {
    return changed("an interrupt now lands between a synchronous step and the continuation its value is for")
  }
  return undefined
}

/** Throws the probe's finding, if any: at load, so an incompatible effect fails at startup. @internal */
export const assertCompatible = (problem: string | undefined = probe()): void => {
  if (problem !== undefined) throw new Error(problem)
}

assertCompatible()
