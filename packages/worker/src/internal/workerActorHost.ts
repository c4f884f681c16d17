/**
 * The worker-thread side of a worker actor: the behaviour runs as an ordinary local actor in the
 * thread's own `ActorSystem` (so `self`, the hooks and the incarnation scope are the local ones),
 * and its stand-in on the calling thread feeds it one job at a time.
 *
 * Supervision is decided on the calling thread. The local actor's handlers and `onStart` are
 * wrapped: a crash is reported to the job that carried the message (the job dies, so the
 * stand-in crashes and its supervisor decides), and the crashed handler then waits for that
 * decision. A `Restart` job means restart: the handler fails, and the local actor (supervised
 * with an unlimited, immediate restart schedule) restarts — `onRestart` sees the crashed
 * incarnation's state. Any other job means resume: the handler returns the state it was given.
 */
import { Actor, ActorSystem, Router, type Terminated } from "@weft/actor"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import type * as WorkerActor from "../WorkerActor.js"
import { layer as runnerLayer } from "./blockingRunner.js"
import { implOf, type ProtocolImpl } from "./workerActorProtocol.js"

type Outcome = Exit.Exit<unknown, unknown>
type Decision = "resume" | "restart"
type AnyHandler = (message: Actor.Message, state: unknown, context: unknown) => Effect.Effect<unknown, unknown>
type AnyJob = { readonly _tag: string; readonly message?: Actor.Message }
type JobHandler = (job: AnyJob) => Effect.Effect<unknown, never>

/** @internal */
export interface Hosted {
  readonly protocol: ProtocolImpl<Actor.Message>
  readonly behavior: Actor.Behavior<Actor.Message, unknown, never>
}

/**
 * Erases the pair's types: the public signature checked that the behaviour speaks the protocol.
 *
 * @internal
 */
export const host = <M extends Actor.Message, S>(
  protocol: WorkerActor.Protocol<M>,
  behavior: Actor.Behavior<M, S, never>
): WorkerActor.Hosted<M> => ({ protocol: implOf(protocol), behavior } as unknown as WorkerActor.Hosted<M>)

/** A typed failure is a request's reply; anything else but an interruption is a crash. */
const isCrash = (cause: Cause.Cause<unknown>): boolean =>
  !Cause.isInterruptedOnly(cause) && (Cause.isDie(cause) || Option.isNone(Cause.failureOption(cause)))

const crashOf = (cause: Cause.Cause<unknown>) => Effect.die(Cause.squash(cause))

class Host {
  ref: Actor.ActorRef<never> | undefined = undefined
  /** The outcome of the current incarnation's `onStart`. */
  started = Deferred.unsafeMake<Outcome>(FiberId.none)
  /** Set while a crashed handler waits for the supervisor's decision. */
  decision: Deferred.Deferred<Decision> | undefined = undefined
  /** A crash no job waited for (a message the actor told itself); the next job reports it. */
  unreported: Cause.Cause<unknown> | undefined = undefined
  /** The jobs waiting for their message's outcome, by message, with the local actor it went to. */
  readonly waiters = new Map<
    object,
    { readonly ref: Actor.ActorRef<never>; readonly outcome: Deferred.Deferred<Outcome> }
  >()
  /** The last local actor that terminated, and the outcome its jobs in flight end with. */
  ended: { readonly ref: Actor.ActorRef<never>; readonly outcome: Outcome } | undefined = undefined
  readonly behavior: Actor.Behavior<Actor.Message, unknown, never>

  constructor(
    readonly hosted: Hosted,
    private readonly system: ActorSystem.ActorSystem.Service,
    private readonly scope: Scope.Scope
  ) {
    this.behavior = this.wrap(hosted.behavior)
  }

  /** Completes the waiter of `key` or, with none, keeps a crash for the next job. */
  report(key: object, outcome: Outcome): void {
    const waiter = this.waiters.get(key)?.outcome
    this.waiters.delete(key)
    if (waiter !== undefined) Deferred.unsafeDone(waiter, Exit.succeed(outcome))
    else if (Exit.isFailure(outcome) && isCrash(outcome.cause)) this.unreported = outcome.cause
  }

  /** The local actor `ref` terminated: every job waiting for it dies, and any later one at once. */
  terminated(ref: Actor.ActorRef<never>, terminated: Terminated.Terminated): void {
    const outcome = Exit.die(
      new Cause.RuntimeException(`worker actor "${ref.name}" ended in its thread: ${terminated.reason._tag}`)
    )
    this.ended = { ref, outcome }
    for (const [key, waiter] of this.waiters) {
      if (waiter.ref !== ref) continue
      Deferred.unsafeDone(waiter.outcome, Exit.succeed(outcome))
      this.waiters.delete(key)
    }
  }

  /** Reports a crash, then waits for the supervisor: resume with `resumed`, or fail for a restart. */
  crashed(report: () => void, cause: Cause.Cause<unknown>, resumed: unknown): Effect.Effect<unknown> {
    const decision = Deferred.unsafeMake<Decision>(FiberId.none)
    this.decision = decision
    report()
    // A crash's cause fails the handler again: the local loop reads it as a crash, whatever its
    // typed part, which handler types (`never` for tells and hooks) do not express.
    return Effect.flatMap(
      Deferred.await(decision),
      (decided) => decided === "resume" ? Effect.succeed(resumed) : Effect.failCause(cause as Cause.Cause<never>)
    )
  }

  decide(decided: Decision): void {
    const decision = this.decision
    this.decision = undefined
    if (decision === undefined) return
    if (decided === "restart") this.started = Deferred.unsafeMake(FiberId.none)
    Deferred.unsafeDone(decision, Exit.succeed(decided))
  }

  wrap(behavior: Actor.Behavior<Actor.Message, unknown, never>): Actor.Behavior<Actor.Message, unknown, never> {
    const handlers: Record<string, AnyHandler> = {}
    for (const [tag, handler] of Object.entries(behavior.handlers as unknown as Record<string, AnyHandler>)) {
      const request = this.hosted.protocol.requestTags.has(tag)
      handlers[tag] = (message, state, context) =>
        Effect.matchCauseEffect(handler(message, state, context), {
          onSuccess: (value) => {
            this.report(message, Exit.succeed(value))
            return Effect.succeed(value)
          },
          onFailure: (cause) => {
            if (!isCrash(cause)) {
              this.report(message, Exit.failCause(cause))
              return Effect.failCause(cause)
            }
            const resumed = request ? Actor.reply(undefined, state) : state
            return this.crashed(() => this.report(message, Exit.failCause(cause)), cause, resumed)
          }
        })
    }
    const onStart = behavior.onStart
    return {
      ...behavior,
      handlers: handlers as unknown as typeof behavior.handlers,
      onStart: (state, context) =>
        Effect.matchCauseEffect(onStart === undefined ? Effect.succeed(state) : onStart(state, context), {
          onSuccess: (value) => {
            Deferred.unsafeDone(this.started, Exit.succeed(Exit.void))
            return Effect.succeed(value)
          },
          onFailure: (cause) => {
            const started = this.started
            return this.crashed(() => Deferred.unsafeDone(started, Exit.succeed(Exit.failCause(cause))), cause, state)
          }
        })
    }
  }

  /** Spawns the local actor if there is none (first start, or after a kill or a stop). */
  readonly ensureActor: Effect.Effect<Actor.ActorRef<never>, never, ActorSystem.ActorSystem | Scope.Scope> = Effect
    .suspend(() => {
      if (this.ref !== undefined) return Effect.succeed(this.ref)
      this.started = Deferred.unsafeMake(FiberId.none)
      return Actor.spawn(this.behavior, {
        name: this.hosted.protocol.name,
        supervision: { strategy: "restart", restarts: Schedule.forever }
      }).pipe(
        Effect.orDie,
        Effect.tap((ref) => {
          this.ref = ref
          // A synchronous death watch, not a fiber per job racing the reply (that race cost
          // about half a millisecond per job).
          const gone = Router.unsafeOnTermination(ref, (terminated) => this.terminated(ref, terminated))
          if (gone !== undefined) this.terminated(ref, gone)
        })
      )
    })

  /** Ends the local actor at once (the stand-in was killed, or restarted without a crash here). */
  readonly kill: Effect.Effect<void> = Effect.suspend(() => {
    const ref = this.ref
    this.ref = undefined
    this.decision = undefined
    return ref === undefined ? Effect.void : Effect.asVoid(Actor.stop(ref, { mode: "kill" }))
  })

  /**
   * Runs before every job but `Restart`: a pending decision was resume, and a crash no job
   * reported yet is reported by this one.
   */
  readonly prelude: Effect.Effect<void> = Effect.suspend(() => {
    this.decide("resume")
    const unreported = this.unreported
    this.unreported = undefined
    return unreported === undefined ? Effect.void : crashOf(unreported)
  })

  /** Hands `message` to the local actor and waits for its handler's outcome. */
  deliver(message: Actor.Message) {
    return Effect.gen(this, function*() {
      yield* this.prelude
      const ref = yield* this.ensureActor
      const waiter = yield* Deferred.make<Outcome>()
      // Registered before the tell: the actor's termination from now on completes it.
      if (this.ended?.ref === ref) yield* Deferred.succeed(waiter, this.ended.outcome)
      else this.waiters.set(message, { ref, outcome: waiter })
      // Requests are told too: the reply comes back through the waiter, not through a local ask.
      yield* Effect.orDie(Actor.tell(ref, message as never))
      const outcome = yield* Deferred.await(waiter)
      if (Exit.isFailure(outcome) && isCrash(outcome.cause)) return yield* crashOf(outcome.cause)
      return outcome
    }).pipe(
      Effect.ensuring(Effect.sync(() => this.waiters.delete(message))),
      // Only a kill of the stand-in interrupts its running handler: it kills this actor too.
      Effect.onInterrupt(() => this.kill)
    )
  }

  handlers(): Record<string, JobHandler> {
    const name = this.hosted.protocol.name
    const start = Effect.gen(this, function*() {
      yield* this.prelude
      yield* this.ensureActor
      const outcome = yield* Deferred.await(this.started)
      if (Exit.isFailure(outcome)) return yield* crashOf(outcome.cause)
    })
    const stop = Effect.gen(this, function*() {
      yield* this.prelude
      const ref = this.ref
      this.ref = undefined
      if (ref !== undefined) yield* Actor.stop(ref)
    })
    const restart = Effect.suspend(() => {
      if (this.decision !== undefined) return Effect.sync(() => this.decide("restart"))
      // Restarted without a crash of its own here (a sibling's, or a thread that was replaced).
      return this.kill
    })
    return {
      [`${name}/Start`]: () => this.provide(start),
      [`${name}/Tell`]: (job) => this.provide(Effect.asVoid(this.deliver(job.message!))),
      [`${name}/Ask`]: (job) =>
        this.provide(Effect.flatMap(this.deliver(job.message!), (outcome) => {
          const reply = Exit.map(outcome as Exit.Exit<Actor.Replied<unknown, unknown>, unknown>, (value) => value.reply)
          return Effect.orDie(Schema.serializeExit(job.message as never, reply))
        })),
      [`${name}/Restart`]: () => restart,
      [`${name}/Stop`]: () => this.provide(stop)
    }
  }

  /** Jobs run in the thread's system, and local actors live as long as the runner. */
  private provide<A>(effect: Effect.Effect<A, never, ActorSystem.ActorSystem | Scope.Scope>): Effect.Effect<A> {
    const { scope, system } = this
    return effect.pipe(
      Effect.provideService(ActorSystem.ActorSystem, system),
      Effect.provideService(Scope.Scope, scope)
    )
  }
}

/** @internal */
export const layer = (hosted: ReadonlyArray<WorkerActor.Hosted<never>>) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const system = yield* ActorSystem.ActorSystem
    const scope = yield* Effect.scope
    const handlers: Record<string, JobHandler> = {}
    const names = new Set<string>()
    for (const entry of hosted as unknown as ReadonlyArray<Hosted>) {
      const name = entry.protocol.name
      if (names.has(name)) return yield* Effect.dieMessage(`worker module hosts protocol "${name}" twice`)
      names.add(name)
      Object.assign(handlers, new Host(entry, system, scope).handlers())
    }
    const schema = Schema.Union(
      ...(hosted as unknown as ReadonlyArray<Hosted>).map((entry) => entry.protocol.jobs.schema)
    )
    // The job union is built at run time; its handlers cover every tag by construction.
    return runnerLayer(schema as unknown as Schema.Schema<never, unknown>, handlers as never)
  })).pipe(Layer.provide(ActorSystem.layer()))

/** @internal */
export const serve = (...hosted: ReadonlyArray<WorkerActor.Hosted<never>>): void => {
  // As `BlockingRunner.launch`: a host that cannot start rejects, which ends the thread with an
  // "error" event the calling thread reports as a failed spawn.
  void Effect.runPromise(Layer.launch(layer(hosted)))
}
