/**
 * Everything `@weft/arena` relies on that effect does not promise: two ways its fiber run loop
 * behaves (effect 3.22's `FiberRuntime.runLoop`), used by {@link claimOr}, the step every
 * allocation is built from. They live here and nowhere else in the package.
 *
 * 1. **A synchronous step's value reaches its continuation in the same step.** An `Effect.sync`
 *    that succeeds hands the ref it stored straight to the next success continuation (skipping the
 *    `catchAllCause` frame) — the function of a `flatMap`, the generator of an `Effect.gen` — with
 *    no interruption check in between. No public operator says so, and it is what keeps an
 *    allocation from leaking: a ref returned one step after the slot was taken could be dropped by
 *    an interrupt landing in between, and its slot would stay live for good.
 * 2. **An object thrown in `Effect.sync` reaches `catchAllCause` as the `Die`'s defect, still an
 *    instance of its class**, also in a traced fiber (effect wraps object defects in a Proxy there,
 *    to attach the span; the Proxy keeps the prototype). An allocation that cannot store its value
 *    now leaves its step that way, saying why (it waits, or it is refused).
 *
 * At load, {@link probe} checks both on the installed effect; if either changed, importing the
 * package throws an `Error` that says which, instead of an arena that leaks slots. The package
 * tests assert the probe passes and show it catches a run loop that behaves the other way
 * (`EffectCompat.test.ts`); CI runs them against the newest effect 3.x too. `@weft/channel` keeps
 * its own module for its own claim step: packages do not share internals.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

/** The shape of {@link claimOr}, so that the probe can be pointed at another implementation. @internal */
export type Claim = <A, A2, E2>(
  step: () => A,
  onThrown: (thrown: unknown) => Effect.Effect<A2, E2> | undefined
) => Effect.Effect<A | A2, E2>

/**
 * Runs `step` as one synchronous step whose value is the caller's (behaviour 1 above); when it
 * throws, `onThrown` gets what it threw (behaviour 2) and says how to go on, or `undefined` for a
 * real defect, which is passed on.
 *
 * @internal
 */
export const claimOr: Claim = (step, onThrown) =>
  Effect.catchAllCause(Effect.sync(step), (cause) => {
    const recovered = Cause.isDieType(cause) ? onThrown(cause.defect) : undefined
    // A synchronous step cannot fail, only die or be interrupted: the cause carries no error.
    return recovered ?? Effect.failCause(cause)
  })

const changed = (what: string) =>
  `@weft/arena: effect's fiber run loop changed: ${what} (weft relies on effect 3.22's behaviour). `
  + `Arenas would leak slots; use an effect version weft supports.`

class ProbeSignal {}

/**
 * Checks both behaviours with `claim` (by default {@link claimOr}): a thrown object is caught as an
 * instance of its class, also inside a span; and a value produced by a step that is interrupted
 * while it runs still reaches the continuation. Returns what changed, or `undefined`.
 *
 * @internal
 */
export const probe = (claim: Claim = claimOr): string | undefined => {
  const signalled = claim(() => {
    throw new ProbeSignal()
  }, (thrown) => thrown instanceof ProbeSignal ? Effect.succeed("signalled") : undefined)
  const plain = Effect.runSyncExit(signalled)
  const traced = Effect.runSyncExit(Effect.withSpan(signalled, "@weft/arena/probe"))
  if (
    !Exit.isSuccess(plain) || !Exit.isSuccess(traced) || plain.value !== "signalled" || traced.value !== "signalled"
  ) {
    return changed("an object thrown in Effect.sync no longer reaches catchAllCause as an instance of its class")
  }
  let received: unknown = undefined
  // `flatMap`'s function is the continuation itself (`map` would defer it to a step of its own).
  const interruptedWhileStoring = Effect.withFiberRuntime((fiber) =>
    Effect.flatMap(
      claim(() => {
        fiber.unsafeInterruptAsFork(fiber.id())
        return "stored"
      }, () => undefined),
      (value) => {
        received = value
        return Effect.void
      }
    )
  )
  const exit = Effect.runSyncExit(interruptedWhileStoring)
  if (received !== "stored" || !Exit.isInterrupted(exit)) {
    return changed("an interrupt now lands between a synchronous step and the continuation its value is for")
  }
  return undefined
}

/** Throws the probe's finding, if any: at load, so an incompatible effect fails at startup. @internal */
export const assertCompatible = (problem: string | undefined = probe()): void => {
  if (problem !== undefined) throw new Error(problem)
}

assertCompatible()
