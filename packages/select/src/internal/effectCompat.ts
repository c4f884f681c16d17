/**
 * Everything `@weft/select` relies on that effect does not export: the state of a `Deferred` and
 * of a `Mailbox`. Both are what effect 3.22 builds `Deferred.await` and `Mailbox.take` from, but
 * they are marked internal, so a patch release may change them. They live here and nowhere else.
 *
 * At load, {@link probe} checks the shapes on a real `Deferred` (waiting, woken, done) and
 * `Mailbox` (its taker set, synchronous take and size). If effect changed them, `Select.deferred`
 * and `Select.take(mailbox)` fail with a `TypeError` that says so, instead of misbehaving; every
 * other branch is unaffected. The package
 * tests assert the probe passes, and CI runs them against the newest effect 3.x too.
 *
 * @internal
 */
import type { Readiness } from "@weft/channel"
import type { Cause } from "effect"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import type { EffectfulReadiness } from "./core.js"
import { noop } from "./wakers.js"

/**
 * The state every effect 3.22 `Deferred` keeps (marked internal in its typings): `Deferred.await`
 * is built from these joiners, and `Deferred.poll` from this state.
 */
interface DeferredInternals<A, E> {
  readonly state: {
    readonly current:
      | { readonly _tag: "Pending"; readonly joiners: Array<(effect: Effect.Effect<A, E>) => void> }
      | { readonly _tag: "Done"; readonly effect: Effect.Effect<A, E> }
  }
}

/** @internal */
export const deferredReadiness = <A, E>(deferred: Deferred.Deferred<A, E>): EffectfulReadiness => {
  if (compatibility.deferred !== undefined) throw new TypeError(`Select.deferred: ${compatibility.deferred}`)
  const self = deferred as Deferred.Deferred<A, E> & DeferredInternals<A, E>
  return {
    claim: () => {
      const state = self.state.current
      return state._tag === "Done" ? state.effect : undefined
    },
    onReady: (wake) => {
      const state = self.state.current
      if (state._tag === "Done") {
        wake()
        return noop
      }
      const joiner = () => wake()
      state.joiners.push(joiner)
      return () => {
        const current = self.state.current
        if (current._tag === "Pending") {
          const index = current.joiners.indexOf(joiner)
          if (index >= 0) current.joiners.splice(index, 1)
        }
      }
    }
  }
}

/**
 * The parts of effect 3.22's `MailboxImpl` the adapter relies on. `unsafeTake` and the taker set
 * are not on the public `ReadonlyMailbox` interface, but they are what `Mailbox.take` itself is
 * built from: a synchronous take, and one-shot takers that the mailbox wakes when it gets
 * messages or ends.
 */
interface MailboxInternals<A, E> {
  readonly unsafeTake: () => Exit.Exit<A, E | Cause.NoSuchElementException> | undefined
  readonly unsafeSize: () => Option.Option<number>
  readonly state: {
    readonly _tag: "Open" | "Closing" | "Done"
    readonly takers?: Set<(exit: Exit.Exit<void, E>) => void>
    readonly offers?: Set<unknown>
  }
}

const isMailboxInternals = <A, E>(
  u: Mailbox.ReadonlyMailbox<A, E>
): u is Mailbox.ReadonlyMailbox<A, E> & MailboxInternals<A, E> =>
  "unsafeTake" in u && typeof u.unsafeTake === "function" && "state" in u

/** @internal */
export const mailboxReadiness = <A, E>(
  self: Mailbox.ReadonlyMailbox<A, E>
): Readiness.Readiness<A, E | Cause.NoSuchElementException> => {
  if (compatibility.mailbox !== undefined || !isMailboxInternals(self)) {
    throw new TypeError(
      `Select.take: ${compatibility.mailbox ?? "this Mailbox is not effect's own implementation (no synchronous take)"}`
    )
  }
  const mailbox = self
  const isReady = (): boolean => {
    const state = mailbox.state
    return state._tag === "Done" || Option.getOrElse(mailbox.unsafeSize(), () => 0) > 0 || (state.offers?.size ?? 0) > 0
  }
  return {
    claim: () => mailbox.unsafeTake(),
    onReady: (wake) => {
      const takers = mailbox.state.takers
      if (isReady() || takers === undefined) {
        wake()
        return noop
      }
      let fired = false
      const taker = () => {
        fired = true
        wake()
      }
      takers.add(taker)
      return () => {
        const state = mailbox.state
        if (state._tag === "Done" || state.takers === undefined) return
        if (!fired) {
          state.takers.delete(taker)
          return
        }
        // Woken but possibly not the one that took: pass the wakeup on, as Mailbox.take would.
        fired = false
        if (!isReady()) return
        for (const next of state.takers) {
          state.takers.delete(next)
          next(Exit.void)
          break
        }
      }
    }
  }
}

// -----------------------------------------------------------------------------
// The probe: the shapes above, checked once on a real Deferred and Mailbox.
// -----------------------------------------------------------------------------

/** What changed in effect's internals, per adapter; `undefined` when the adapter works. */
export interface Compatibility {
  readonly deferred: string | undefined
  readonly mailbox: string | undefined
}

const changed = (what: string) =>
  `effect's internal ${what} changed (weft relies on effect 3.22's); use an effect version weft supports`

/** Checks a Deferred's state while waiting (a joiner is called on completion) and once done. */
export const probeDeferred = (
  made: Deferred.Deferred<number> = Deferred.unsafeMake<number>(FiberId.none)
): string | undefined => {
  const deferred = made as Deferred.Deferred<number> & Partial<DeferredInternals<number, never>>
  const waiting = deferred.state?.current
  if (waiting?._tag !== "Pending" || !Array.isArray(waiting.joiners)) return changed("Deferred state (Pending joiners)")
  let woken = false
  waiting.joiners.push(() => {
    woken = true
  })
  Deferred.unsafeDone(deferred, Exit.succeed(1))
  const done = deferred.state?.current
  if (!woken || done?._tag !== "Done" || !Effect.isEffect(done.effect)) return changed("Deferred state (Done effect)")
  return undefined
}

/**
 * Checks a Mailbox's synchronous take and size, and its taker set. (Takers are woken from a
 * scheduled task, so the wakeup itself is what select's own tests check.)
 */
export const probeMailbox = (
  mailbox: Mailbox.Mailbox<number> = Effect.runSync(Mailbox.make<number>())
): string | undefined => {
  if (!isMailboxInternals(mailbox)) return changed("Mailbox implementation (unsafeTake, state)")
  if (mailbox.state._tag !== "Open" || !(mailbox.state.takers instanceof Set)) return changed("Mailbox state (takers)")
  if (mailbox.unsafeTake() !== undefined) return changed("Mailbox take (empty)")
  mailbox.unsafeOffer(1)
  if (Option.getOrElse(mailbox.unsafeSize(), () => -1) !== 1) return changed("Mailbox size")
  const taken = mailbox.unsafeTake()
  if (taken === undefined || !Exit.isSuccess(taken) || taken.value !== 1) return changed("Mailbox take")
  return undefined
}

/** @internal */
export const probe = (): Compatibility => ({ deferred: probeDeferred(), mailbox: probeMailbox() })

/** This effect's compatibility, probed once when the package loads. @internal */
export const compatibility: Compatibility = probe()
