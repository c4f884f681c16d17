/**
 * Arena-backed fan-out: a message carrying `MessageRef`s goes to the plugins its routing picks,
 * each ref retained once per plugin and released when that plugin settles — or here, however the
 * fan-out ends, for every reference no plugin took.
 */
import { type Actor, type ActorError, Router } from "@weft/actor"
import { Arena, type MessageRef } from "@weft/arena"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Effectable from "effect/Effectable"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Dispatcher from "../Dispatcher.js"
import { type DispatcherImpl, failedForGood, implOf, isLeaving } from "./dispatcher.js"

type TellError = ActorError.TellError

/**
 * Runs a settle effect synchronously: an arena release is a synchronous refcount step. Its
 * failure (the arena already closed) has nothing left to release and is ignored.
 *
 * @internal
 */
export const settleNow = (settle: Effect.Effect<void>): void => {
  Effect.runSyncExit(settle)
}

/** A release's typed failure (the arena closed, or a stale ref) leaves nothing to release. */
const ignoreFailure = (cause: Cause.Cause<unknown>): Effect.Effect<void> =>
  Cause.isDie(cause) || Cause.isInterrupted(cause) ? Effect.failCause(Cause.stripFailures(cause)) : Effect.void

/**
 * A settle effect: releases the delivery's references the first time it runs, nothing after.
 * One object per delivery (no closure): it is made for every delivery of every fan-out.
 */
class Settle<A> extends Effectable.Class<void> {
  private settled = false
  /** Releases `one`, or else every ref of `many`. */
  constructor(
    readonly arena: Arena.Arena<A>,
    readonly one: MessageRef.MessageRef | undefined,
    readonly many: ReadonlyArray<MessageRef.MessageRef>
  ) {
    super()
  }
  commit(): Effect.Effect<void> {
    if (this.settled) return Effect.void
    this.settled = true
    // `catchAllCause` rather than `catchAll` or `ignore`: a release that succeeds takes no step
    // of its own to pass through it.
    return this.one !== undefined
      ? Effect.catchAllCause(Arena.release(this.arena, this.one), ignoreFailure)
      : Effect.catchAllCause(Arena.releaseAll(this.arena, this.many), ignoreFailure)
  }
}

const noRefs: ReadonlyArray<MessageRef.MessageRef> = []

/** The settle of a delivery holding one reference to each of `refs`. */
const settleAll = <A>(arena: Arena.Arena<A>, refs: ReadonlyArray<MessageRef.MessageRef>): Effect.Effect<void> =>
  refs.length === 1 ? new Settle(arena, refs[0], noRefs) : new Settle(arena, undefined, refs)

type DispatchRefError = TellError | Arena.StaleRef | Arena.RefcountOverflow | Arena.ArenaClosed

type RetainError = Arena.StaleRef | Arena.RefcountOverflow | Arena.ArenaClosed | Arena.InvalidCount

/**
 * One message carrying `refs` on its way to `targets`, told in order. `owned` counts the
 * references (to each ref) held for plugins not told yet: whatever is still owned when the
 * fan-out ends is released here, so every reference ends with a plugin or released, exactly once.
 */
class CarryingFanOut<A, D extends Actor.Message> {
  owned = 1
  next = 0
  constructor(
    readonly arena: Arena.Arena<A>,
    readonly refs: ReadonlyArray<MessageRef.MessageRef>,
    readonly targets: ReadonlyArray<Actor.ActorRef<never>>,
    readonly message: (settle: Effect.Effect<void>) => D
  ) {}

  /**
   * Retains every ref once more for each plugin beyond the first, then tells them all. A failed
   * retain releases the caller's references.
   */
  retainThenTell(): Effect.Effect<void, DispatchRefError> {
    const extra = this.targets.length - 1
    const retained = Effect.catchAllCause(
      Arena.retainAll(this.arena, this.refs, extra),
      (cause: Cause.Cause<RetainError>) => {
        const failure = Cause.failureOrCause(cause)
        // The count is positive here, so InvalidCount would be a bug.
        const failed: Effect.Effect<never, DispatchRefError> = Either.isRight(failure)
          ? Effect.failCause(failure.right)
          : failure.left._tag === "InvalidCount"
          ? Effect.die(failure.left)
          : Effect.fail(failure.left)
        return Effect.zipRight(this.releaseOwned(), failed)
      }
    )
    return Effect.flatMap(retained, () => {
      this.owned += extra
      return this.tellRest()
    })
  }

  /**
   * Tells the plugins not told yet, in one synchronous step while their lanes have room. A tell
   * that fails has dead-lettered the message, which settled itself; a plugin that is leaving
   * (removed while we waited on its lane) does not stop the fan-out.
   */
  tellRest(): Effect.Effect<void, TellError> {
    const targets = this.targets
    while (this.next < targets.length) {
      const settle = settleAll(this.arena, this.refs)
      this.owned--
      const offered = Router.unsafeOffer(targets[this.next++]!, this.message(settle))
      if (!Exit.isExit(offered)) {
        // A full "suspend" lane: the only wait, and the only interruptible part. Interrupted
        // there, that plugin's delivery was never made: its references are released.
        const waited = Effect.catchIf(
          Effect.onInterrupt(Effect.interruptible(offered), () => settle),
          isLeaving,
          () => Effect.void
        )
        return Effect.ensuring(Effect.zipRight(waited, Effect.suspend(() => this.tellRest())), this.releaseOwned())
      }
      if (failedForGood(offered)) return Effect.zipRight(this.releaseOwned(), offered as Exit.Exit<void, TellError>)
    }
    return Effect.void
  }

  /** Releases the references still owned (once: they are then no longer owned). */
  releaseOwned(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.owned <= 0) return Effect.void
      const times = this.owned
      this.owned = 0
      const all = times === 1 ? this.refs : Array.from({ length: times }, () => this.refs).flat()
      return Effect.ignore(Arena.releaseAll(this.arena, all))
    })
  }
}

/**
 * Routes one message that carries `refs` (`message(settle)` builds it) and tells it to each chosen
 * plugin, retaining every ref once per plugin; `settle` releases that plugin's references.
 *
 * The whole fan-out is uninterruptible but for a wait for room (see `tellRest`): one retain step
 * and one synchronous step of tells when every lane has room.
 *
 * @internal
 */
export const dispatchCarrying = <A, D extends Actor.Message>(
  self: Dispatcher.Dispatcher<D>,
  arena: Arena.Arena<A>,
  refs: ReadonlyArray<MessageRef.MessageRef>,
  message: (settle: Effect.Effect<void>) => D
): Effect.Effect<void, DispatchRefError> =>
  Effect.uninterruptible(Effect.suspend(() => {
    const impl = implOf(self)
    const probe = message(Effect.void)
    const targets = impl.route(probe) as ReadonlyArray<Actor.ActorRef<never>>
    const fanOut = new CarryingFanOut(arena, refs, targets, message)
    if (targets.length === 0) {
      impl.deadLetter(probe, "NoRoute")
      return fanOut.releaseOwned()
    }
    if (targets.length === 1) return fanOut.tellRest()
    return fanOut.retainThenTell()
  }))

/**
 * One plugin's share of a batch: the refs (by index into the batch) it receives, in order, and
 * how many of them it has been offered so far. `indices` is absent when it receives them all.
 */
interface Lane {
  readonly target: Actor.ActorRef<never>
  readonly indices: Array<number> | undefined
  count: number
  next: number
}

/** The lanes of a batch and the retains they need beyond the caller's one reference per ref. */
interface Plan {
  readonly lanes: ReadonlyArray<Lane>
  /** Refs that no plugin takes: their caller's reference is released at the end. */
  readonly unrouted: Array<MessageRef.MessageRef>
  /** Retains to take: `extra` more per ref, or one per entry of `extraEach` (a ref may repeat). */
  readonly extra: number
  readonly extraEach: Array<MessageRef.MessageRef> | undefined
}

const planBatch = <D extends Actor.Message>(
  impl: DispatcherImpl<D>,
  refs: ReadonlyArray<MessageRef.MessageRef>,
  deliver: (ref: MessageRef.MessageRef, settle: Effect.Effect<void>) => D
): Plan => {
  const unrouted: Array<MessageRef.MessageRef> = []
  if (impl.routing._tag === "Broadcast") {
    // Every ref goes to the same plugins: the lanes share the whole batch, no per-ref routing.
    const targets = impl.plugins
    if (targets.length === 0) {
      for (const ref of refs) {
        impl.deadLetter(deliver(ref, Effect.void), "NoRoute")
        unrouted.push(ref)
      }
    }
    const lanes = targets.map((target): Lane => ({
      target: target as Actor.ActorRef<never>,
      indices: undefined,
      count: refs.length,
      next: 0
    }))
    return { lanes, unrouted, extra: Math.max(0, targets.length - 1), extraEach: undefined }
  }
  const byTarget = new Map<number, Lane>()
  const lanes: Array<Lane> = []
  const extraEach: Array<MessageRef.MessageRef> = []
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!
    const probe = deliver(ref, Effect.void)
    const targets = impl.route(probe)
    if (targets.length === 0) {
      impl.deadLetter(probe, "NoRoute")
      unrouted.push(ref)
      continue
    }
    for (let t = 0; t < targets.length; t++) {
      const target = targets[t]!
      let lane = byTarget.get(target.id)
      if (lane === undefined) {
        lane = { target: target as Actor.ActorRef<never>, indices: [], count: 0, next: 0 }
        byTarget.set(target.id, lane)
        lanes.push(lane)
      }
      lane.indices!.push(i)
      lane.count++
      if (t > 0) extraEach.push(ref)
    }
  }
  return { lanes, unrouted, extra: 0, extraEach }
}

/** @internal */
export const dispatchRefAll = <A, D extends Actor.Message>(
  self: Dispatcher.Dispatcher<D>,
  arena: Arena.Arena<A>,
  refs: ReadonlyArray<MessageRef.MessageRef>,
  deliver: (ref: MessageRef.MessageRef, settle: Effect.Effect<void>) => D
): Effect.Effect<void, DispatchRefError> =>
  Effect.suspend(() => {
    if (refs.length === 0) return Effect.void
    const plan = planBatch(implOf(self), refs, deliver)
    const lanes = plan.lanes
    const refAt = (lane: Lane, entry: number) => refs[lane.indices === undefined ? entry : lane.indices[entry]!]!
    // Ownership: the caller hands over one reference per ref; the retain turns that into one per
    // lane entry. From then on every entry a lane has not been offered yet (`next` onwards) is
    // owned here and released at the end, however the fan-out ends; every entry offered belongs
    // to its delivery (a delivery that became a dead letter settled itself).
    let retained = false
    const fanOut = Effect.uninterruptible(Effect.suspend(() => {
      /** Offers each lane all it has room for now, then waits for room in the first full one. */
      const pass = (): Effect.Effect<void, TellError> => {
        let waitForRoom: Effect.Effect<void, TellError> | undefined
        let settleWaiting = Effect.void
        for (let l = 0; l < lanes.length; l++) {
          const lane = lanes[l]!
          while (lane.next < lane.count) {
            const ref = refAt(lane, lane.next)
            const settle = new Settle(arena, ref, noRefs)
            const offered = Router.unsafeOffer(lane.target, deliver(ref, settle))
            if (!Exit.isExit(offered)) {
              // A full "suspend" lane: nothing was sent. The first one's delivery is the one
              // waited for below; the others are offered again on the next pass.
              if (waitForRoom === undefined) {
                waitForRoom = offered
                settleWaiting = settle
                lane.next++
              }
              break
            }
            // Sent, or turned away (a dead letter, which settled itself).
            lane.next++
            if (failedForGood(offered)) return offered
          }
        }
        if (waitForRoom === undefined) return Effect.void
        // Interrupted while waiting, that delivery was never made: its reference is released.
        return Effect.zipRight(
          Effect.catchIf(
            Effect.onInterrupt(Effect.interruptible(waitForRoom), () => settleWaiting),
            isLeaving,
            () => Effect.void
          ),
          Effect.suspend(pass)
        )
      }
      const start = Effect.suspend(() => {
        retained = true
        return pass()
      })
      if (plan.extra === 0 && (plan.extraEach === undefined || plan.extraEach.length === 0)) return start
      const retain = plan.extraEach === undefined
        ? Arena.retainAll(arena, refs, plan.extra)
        : Arena.retainAll(arena, plan.extraEach, 1)
      // The counts are never negative here, so InvalidCount would be a bug.
      return Effect.zipRight(Effect.catchTag(retain, "InvalidCount", Effect.die), start)
    }))
    const releaseOwned = Effect.suspend(() => {
      // Not retained (a stale ref, a closed arena): nothing was sent and the caller's references
      // are all still here.
      if (!retained) return Effect.ignore(Arena.releaseAll(arena, refs))
      const owned = plan.unrouted
      for (const lane of lanes) {
        for (let entry = lane.next; entry < lane.count; entry++) owned.push(refAt(lane, entry))
      }
      return owned.length === 0 ? Effect.void : Effect.ignore(Arena.releaseAll(arena, owned))
    })
    return Effect.ensuring(fanOut, releaseOwned)
  })
