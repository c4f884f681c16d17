import { Mpsc } from "@weft/channel"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type { Scope } from "effect/Scope"
import * as Stream from "effect/Stream"
import type { Conflated, Options, SnapshotStream as Handle, Step } from "../SnapshotStream.js"
import { InvalidArgument, isPositiveInteger } from "./errors.js"

/**
 * Where the worker puts snapshots; `publish` returns `false` once the consumer is gone. The first
 * `finish` wins: the worker's own, or the one the scope of `make` runs when it closes.
 */
interface Output<Snapshot, A, E> {
  readonly publish: (snapshots: Array<Snapshot>) => Effect.Effect<boolean>
  readonly finish: (failure: Cause.Cause<E> | undefined) => Effect.Effect<void>
  readonly pull: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>
}

/** Strategy `suspend`: a bounded channel; a full channel stops the worker, and so its senders. */
const suspendOutput = <Snapshot, E>(
  tx: Mpsc.Sender<Snapshot>,
  rx: Mpsc.Receiver<Snapshot>,
  capacity: number
): Output<Snapshot, Snapshot, E> => {
  let failure: Cause.Cause<E> | undefined = undefined
  let finished = false
  return {
    publish: (snapshots) => Effect.map(Effect.exit(Mpsc.sendAll(tx, snapshots)), Exit.isSuccess),
    finish: (cause) =>
      Effect.suspend(() => {
        if (finished) return Effect.void
        finished = true
        failure = cause
        return Mpsc.close(tx)
      }),
    pull: Effect.flatMap(Effect.exit(Mpsc.recvUpTo(rx, capacity)), (exit) =>
      Exit.isSuccess(exit)
        ? Effect.succeed(exit.value)
        // Closed and drained: every snapshot before the failure was delivered first.
        : failure === undefined
        ? Effect.fail(Option.none())
        : Effect.failCause(Cause.map(failure, Option.some)))
  }
}

/** Strategy `latest`: one slot; a newer snapshot replaces an unread one and counts it as skipped. */
const latestOutput = <Snapshot, E>(): Output<Snapshot, Conflated<Snapshot>, E> => {
  let latest: Snapshot | undefined = undefined
  let present = false
  let skipped = 0
  let done = false
  let failure: Cause.Cause<E> | undefined = undefined
  const latch = Effect.unsafeMakeLatch(false)
  const pull: Effect.Effect<Chunk.Chunk<Conflated<Snapshot>>, Option.Option<E>> = Effect.suspend(() => {
    if (present) {
      const out: Conflated<Snapshot> = { snapshot: latest as Snapshot, skipped }
      latest = undefined
      present = false
      skipped = 0
      return Effect.succeed(Chunk.of(out))
    }
    if (done) {
      return failure === undefined
        ? Effect.fail(Option.none())
        : Effect.failCause(Cause.map(failure, Option.some))
    }
    latch.unsafeClose()
    return Effect.zipRight(latch.await, pull)
  })
  return {
    publish: (snapshots) =>
      Effect.sync(() => {
        skipped += snapshots.length - (present ? 0 : 1)
        latest = snapshots[snapshots.length - 1]
        present = true
        latch.unsafeOpen()
        return true
      }),
    finish: (cause) =>
      Effect.sync(() => {
        if (done) return
        failure = cause
        done = true
        latch.unsafeOpen()
      }),
    pull
  }
}

/**
 * A step's result is a tuple or an effect, and an effect is never an array: a cheaper test than
 * `Effect.isEffect`, which took a tenth of the time per event.
 */
const isStep = <S, Snapshot, E, R>(
  result: Step<S, Snapshot> | Effect.Effect<Step<S, Snapshot>, E, R>
): result is Step<S, Snapshot> => Array.isArray(result)

const runWorker = <S, Event, Snapshot, A, E, R>(
  options: Options<S, Event, Snapshot, E, R>,
  events: Mpsc.Receiver<Event>,
  output: Output<Snapshot, A, E>
): Effect.Effect<void, never, Exclude<R, Scope>> => {
  let pending: Array<Snapshot> = []
  // Snapshots of one batch of events go out together; returns false once nobody reads them.
  const flush = Effect.suspend(() => {
    if (pending.length === 0) return Effect.succeed(true)
    const out = pending
    pending = []
    return output.publish(out)
  })
  const loop = Effect.gen(function*() {
    let state = options.initial
    while (true) {
      const batch = yield* Effect.exit(Mpsc.recvUpTo(events, options.capacity))
      // The only failure of `recvUpTo` is the end of the events: `close` was called.
      if (Exit.isFailure(batch)) return
      const received = Chunk.toReadonlyArray(batch.value)
      for (let i = 0; i < received.length; i++) {
        const result = options.step(state, received[i]!)
        const step: Step<S, Snapshot> = isStep(result) ? result : yield* result
        state = step[0]
        // Length, not `undefined`: a step may emit `undefined` as a snapshot.
        if (step.length > 1) pending.push(step[1] as Snapshot)
      }
      if (!(yield* flush)) return
    }
  })
  return loop.pipe(
    Effect.matchCauseEffect({
      onSuccess: () => output.finish(undefined),
      // Snapshots produced before the failing step are still delivered, then the failure.
      onFailure: (cause) => Effect.zipRight(flush, output.finish(cause))
    }),
    Effect.onInterrupt(() => output.finish(undefined)),
    Effect.ensuring(Mpsc.close(events)),
    Effect.scoped
  )
}

/** @internal */
export function make<S, Event, Snapshot, E, R>(
  options: Options<S, Event, Snapshot, E, R> & { readonly strategy: "suspend" }
): Effect.Effect<Handle<Event, Snapshot, E>, InvalidArgument, Scope | Exclude<R, Scope>>
/** @internal */
export function make<S, Event, Snapshot, E, R>(
  options: Options<S, Event, Snapshot, E, R> & { readonly strategy: "latest" }
): Effect.Effect<Handle<Event, Conflated<Snapshot>, E>, InvalidArgument, Scope | Exclude<R, Scope>>
/** @internal */
export function make<S, Event, Snapshot, E, R>(
  options: Options<S, Event, Snapshot, E, R>
): Effect.Effect<Handle<Event, Snapshot | Conflated<Snapshot>, E>, InvalidArgument, Scope | Exclude<R, Scope>>
export function make<S, Event, Snapshot, E, R>(
  options: Options<S, Event, Snapshot, E, R>
): Effect.Effect<Handle<Event, unknown, E>, InvalidArgument, Scope | Exclude<R, Scope>> {
  return Effect.suspend(() => {
    if (!isPositiveInteger(options.capacity)) {
      return Effect.fail(
        new InvalidArgument({
          operation: "SnapshotStream.make",
          argument: "capacity",
          value: options.capacity,
          expected: "a positive integer"
        })
      )
    }
    return Effect.gen(function*() {
      const [eventsTx, eventsRx] = yield* Effect.orDie(Mpsc.bounded<Event>(options.capacity))
      const output: Output<Snapshot, unknown, E> = options.strategy === "latest"
        ? latestOutput<Snapshot, E>()
        : yield* Effect.map(
          Effect.orDie(Mpsc.bounded<Snapshot>(options.capacity)),
          ([tx, rx]) => suspendOutput<Snapshot, E>(tx, rx, options.capacity)
        )
      // A worker interrupted before its first instruction runs none of its own finalizers, so the
      // scope of `make` ends the stream and closes the events itself. Added before the fork, it
      // runs after the worker was interrupted (finalizers run in reverse order).
      yield* Effect.addFinalizer(() => Effect.zipRight(output.finish(undefined), Mpsc.close(eventsTx)))
      const worker = yield* Effect.forkScoped(runWorker(options, eventsRx, output))
      return {
        send: (event: Event) => Mpsc.send(eventsTx, event),
        sendAll: (events: Iterable<Event>) => Mpsc.sendAll(eventsTx, events),
        close: Mpsc.close(eventsTx),
        // When the consumer stops reading, for whatever reason, the worker stops with it.
        stream: Stream.repeatEffectChunkOption(output.pull).pipe(Stream.ensuring(Fiber.interrupt(worker)))
      }
    })
  })
}
