/**
 * The dispatcher: its plugins, their routing and death watch, and dispatching one message at a
 * time. The arena-backed fan-outs are in `fanOut.ts`.
 */
import type { Actor } from "@weft/actor"
import { type ActorError, ActorSystem, type DeadLetter, Lifecycle, Router, type Terminated } from "@weft/actor"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HashRing from "effect/HashRing"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as PrimaryKey from "effect/PrimaryKey"
import type * as Dispatcher from "../Dispatcher.js"

type TellError = ActorError.TellError

/** @internal */
export const TypeId: Dispatcher.TypeId = Symbol.for("@weft/dispatch/Dispatcher") as Dispatcher.TypeId

/**
 * A plugin as a node of the hash ring. The key is long and distinctive on purpose: the ring
 * spreads short numeric keys ("0", "1", ...) very unevenly.
 */
class PluginNode implements PrimaryKey.PrimaryKey {
  constructor(readonly ref: Actor.ActorRef<never>) {}
  [PrimaryKey.symbol](): string {
    return `weft-actor-${this.ref.id}`
  }
}

const variance = { _M: (_: unknown) => {} }

let nextDispatcherId = 0

/**
 * Whether a failed tell only means its target is on the way out (`ActorStopping`): the message
 * has become a dead letter for that plugin, and a fan-out goes on to the others.
 *
 * @internal
 */
export const isLeaving = (error: TellError): boolean => error._tag === "ActorStopping"

/** Whether an offer failed for a reason that ends a fan-out (anything but a leaving plugin). @internal */
export const failedForGood = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Exit.isFailure(exit) && !(exit.cause._tag === "Fail" && Predicate.isTagged(exit.cause.error, "ActorStopping"))

/** @internal */
export class DispatcherImpl<M extends Actor.Message> implements Dispatcher.Dispatcher<M> {
  readonly [TypeId] = variance
  readonly name = `dispatcher-${nextDispatcherId++}`
  readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
  plugins: ReadonlyArray<Actor.ActorRef<M>> = []
  readonly topics = new Map<number, ReadonlySet<string>>()
  readonly ring = HashRing.make<PluginNode>()
  /** Death watch: per plugin, the listener that takes it out of the routing when it terminates. */
  readonly watches = new Map<number, Router.TerminationListener>()
  private turn = 0

  constructor(readonly routing: Dispatcher.Routing<M>, readonly system: ActorSystem.ActorSystem.Service) {
    this.labels = [MetricLabel.make("actor", this.name)]
  }

  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }

  /** A dead letter addressed to this dispatcher (or to `actor`), counted under its labels. */
  deadLetter(message: unknown, reason: DeadLetter.Reason, actor: string = this.name): void {
    Router.unsafeDeadLetter(this.system, { actor, message, reason, labels: this.labels })
  }

  /** Says that `plugin` left the routing (`reason`: it terminated; none: removed). */
  pluginRemoved(plugin: Actor.ActorRef<never>, reason: Option.Option<Terminated.TerminationReason>): void {
    Router.unsafePublish(
      this.system,
      Lifecycle.LifecycleEvent.PluginRemoved({ actor: plugin, dispatcher: this.name, reason })
    )
  }

  /**
   * Takes a plugin out of the routing, in one synchronous step: no message routed after it goes
   * to the plugin. `reason` says it terminated (none: removed with `remove`).
   */
  leave(plugin: Actor.ActorRef<M>, reason: Option.Option<Terminated.TerminationReason>): void {
    // A fresh array, so a broadcast already under way keeps the set it started with.
    this.plugins = this.plugins.filter((p) => p.id !== plugin.id)
    this.topics.delete(plugin.id)
    this.watches.delete(plugin.id)
    HashRing.remove(this.ring, new PluginNode(plugin as Actor.ActorRef<never>))
    this.pluginRemoved(plugin as Actor.ActorRef<never>, reason)
  }

  /** The plugins that get `message`, chosen synchronously from the current set. */
  route(message: M): ReadonlyArray<Actor.ActorRef<M>> {
    const plugins = this.plugins
    if (plugins.length === 0) return plugins
    switch (this.routing._tag) {
      case "Broadcast":
        return plugins
      case "RoundRobin":
        return [plugins[this.turn++ % plugins.length]!]
      case "ConsistentHash": {
        const node = HashRing.get(this.ring, this.routing.key(message))
        return node === undefined ? [] : [node.ref as Actor.ActorRef<M>]
      }
      case "Topic": {
        const topic = this.routing.topic(message)
        return plugins.filter((plugin) => this.topics.get(plugin.id)?.has(topic) === true)
      }
    }
  }
}

/** @internal */
export const implOf = <M extends Actor.Message>(self: Dispatcher.Dispatcher<M>) => self as DispatcherImpl<M>

/** @internal */
export const isDispatcher = (u: unknown): u is Dispatcher.Dispatcher<never> => Predicate.hasProperty(u, TypeId)

/** @internal */
export const make = <M extends Actor.Message>(
  routing: Dispatcher.Routing<M>
): Effect.Effect<Dispatcher.Dispatcher<M>, never, ActorSystem.ActorSystem> =>
  Effect.map(ActorSystem.ActorSystem, (system) => new DispatcherImpl(routing, system))

/** @internal */
export const add = <M extends Actor.Message>(
  self: Dispatcher.Dispatcher<M>,
  plugin: Actor.ActorRef<M>,
  options?: { readonly topics?: ReadonlyArray<string> | undefined }
): Effect.Effect<void> =>
  Effect.sync(() => {
    const impl = implOf(self)
    if (!impl.plugins.some((p) => p.id === plugin.id)) {
      const listener = (terminated: Terminated.Terminated) => impl.leave(plugin, Option.some(terminated.reason))
      const gone = Router.unsafeOnTermination(plugin as Actor.ActorRef<never>, listener)
      if (gone !== undefined) {
        // Already terminated: it never joins, and says so as if it had left at once.
        impl.pluginRemoved(plugin as Actor.ActorRef<never>, Option.some(gone.reason))
        return
      }
      impl.watches.set(plugin.id, listener)
      // A fresh array, so a broadcast already under way keeps the set it started with.
      impl.plugins = [...impl.plugins, plugin]
      HashRing.add(impl.ring, new PluginNode(plugin as Actor.ActorRef<never>))
    }
    impl.topics.set(plugin.id, new Set(options?.topics ?? []))
  })

/** @internal */
export const dispatch = <M extends Actor.Message>(
  self: Dispatcher.Dispatcher<M>,
  message: M
): Effect.Effect<void, TellError> => {
  const impl = implOf(self)
  const targets = impl.route(message)
  // A plugin on its way out (stopping, about to leave) dead-lettered its copy, as in a fan-out:
  // that is no failure of the dispatch.
  if (targets.length === 1) return Effect.catchIf(Router.tell(targets[0]!, message), isLeaving, () => Effect.void)
  if (targets.length === 0) {
    return Effect.sync(() => impl.deadLetter(message, "NoRoute"))
  }
  return Router.tellEach(targets, message)
}

/** @internal */
export const remove = <M extends Actor.Message>(
  self: Dispatcher.Dispatcher<M>,
  plugin: Actor.ActorRef<M>,
  options?: { readonly mode?: "drain" | "handBack" | undefined }
): Effect.Effect<void, TellError> =>
  Effect.suspend(() => {
    const impl = implOf(self)
    const listener = impl.watches.get(plugin.id)
    if (listener === undefined) return Effect.void
    Router.unsafeOffTermination(plugin as Actor.ActorRef<never>, listener)
    impl.leave(plugin, Option.none())
    if (options?.mode !== "handBack") return Effect.void
    return Effect.flatMap(Router.takeQueued(plugin as Actor.ActorRef<never>), (taken) => {
      if (impl.routing._tag === "Broadcast") {
        // Every other plugin already received these.
        return Effect.sync(() => {
          for (const message of taken) impl.deadLetter(message, "Evicted", plugin.name)
        })
      }
      let next = 0
      const redispatch = Effect.whileLoop({
        while: () => next < taken.length,
        body: () => dispatch(self, taken[next] as M),
        step: () => next++
      })
      // Interrupted part-way: what was not re-dispatched is dead-lettered, not lost.
      return Effect.onInterrupt(redispatch, () =>
        Effect.sync(() => {
          for (; next < taken.length; next++) {
            impl.deadLetter(taken[next], "NoRoute")
          }
        }))
    })
  })

/** @internal */
export const plugins = <M extends Actor.Message>(
  self: Dispatcher.Dispatcher<M>
): Effect.Effect<ReadonlyArray<Actor.ActorRef<M>>> => Effect.sync(() => implOf(self).plugins)
