/**
 * The calling-thread side of a worker actor: a local actor — the stand-in — whose every handler
 * and hook forwards to the behaviour hosted on its worker thread, one job at a time. The
 * stand-in's mailbox, ask deadlines and supervision are the local actor's own; a failed job (a
 * crash in the worker, or the thread gone) is the stand-in's crash.
 */
import { Actor } from "@weft/actor"
import type { ActorError, ActorSystem } from "@weft/actor"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import type * as WorkerActor from "../WorkerActor.js"
import * as BlockingPool from "./blockingPool.js"
import type { InvalidPoolOptions, WorkerCrashed } from "./errors.js"
import type { Job } from "./workerActorJobs.js"
import { implOf } from "./workerActorProtocol.js"

type AnyHandler = (message: Actor.Message, state: undefined) => Effect.Effect<unknown, unknown>

/** @internal */
export const behavior = <M extends Actor.Message>(
  protocol: WorkerActor.Protocol<M>,
  options: WorkerActor.ThreadOptions
): Effect.Effect<Actor.Behavior<M, undefined, never>, WorkerCrashed | InvalidPoolOptions, Scope.Scope> =>
  Effect.map(
    BlockingPool.make<Job>({
      entry: options.entry,
      spawn: options.spawn,
      cancelGracePeriod: options.cancelGracePeriod,
      size: 1,
      // The stand-in sends one job at a time.
      queueCapacity: 0
    }),
    (pool) => standIn(protocol, pool.run)
  )

const standIn = <M extends Actor.Message>(
  protocol: WorkerActor.Protocol<M>,
  runJob: (job: Job) => Effect.Effect<unknown, unknown>
): Actor.Behavior<M, undefined, never> => {
  const { jobs, messages, requestTags } = implOf(protocol)
  // Any failure of the pool (the thread crashed, a crash in the handler, a codec error) is a crash.
  const run = (job: Job) => Effect.orDie(runJob(job))
  // A job wraps a message its own class already checked: checking it again against the whole
  // protocol cost ~30 µs per message (the encoding that sends it checks it anyway).
  const tell: AnyHandler = (message, state) => Effect.as(run(new jobs.Tell({ message }, true)), state)
  const ask: AnyHandler = (message, state) =>
    Effect.flatMap(run(new jobs.Ask({ message }, true)), (encoded) =>
      Effect.flatMap(
        Effect.orDie(
          Schema.deserializeExit(
            message as unknown as Schema.WithResult<unknown, unknown, unknown, unknown, never>,
            encoded
          )
        ),
        (exit) => Exit.isSuccess(exit) ? Effect.succeed(Actor.reply(exit.value, state)) : Effect.failCause(exit.cause)
      ))
  const handlers: Record<string, AnyHandler> = {}
  for (const message of messages) handlers[message._tag] = requestTags.has(message._tag) ? ask : tell
  const built = Actor.behavior<Actor.Message>()({
    initialState: undefined,
    handlers: handlers as never,
    onStart: (state) => Effect.as(run(new jobs.Start()), state),
    onRestart: () => Effect.asVoid(run(new jobs.Restart())),
    onStop: () => Effect.asVoid(run(new jobs.Stop()))
  })
  // The handler map was built from the protocol's own message classes: it covers `M`.
  return built as unknown as Actor.Behavior<M, undefined, never>
}

/** @internal */
export const spawn = <M extends Actor.Message>(
  protocol: WorkerActor.Protocol<M>,
  options: WorkerActor.SpawnOptions
): Effect.Effect<
  Actor.ActorRef<M>,
  ActorError.SpawnError | WorkerCrashed | InvalidPoolOptions,
  ActorSystem.ActorSystem | Scope.Scope
> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const scope = yield* Effect.scope
      // The thread lives until the actor has terminated, or until the caller's scope closes.
      const threadScope = yield* Scope.fork(scope, ExecutionStrategy.sequential)
      const proxy = yield* restore(Scope.extend(behavior(protocol, options), threadScope)).pipe(
        Effect.onError((cause) => Scope.close(threadScope, Exit.failCause(cause)))
      )
      const ref = yield* Actor.spawn(proxy, options).pipe(
        Effect.onError((cause) => Scope.close(threadScope, Exit.failCause(cause)))
      )
      // Forked interruptible (this region is masked): closing `scope` interrupts the wait.
      yield* Effect.forkIn(
        Effect.interruptible(Effect.flatMap(Actor.awaitTermination(ref), () => Scope.close(threadScope, Exit.void))),
        scope
      )
      return ref
    })
  )
