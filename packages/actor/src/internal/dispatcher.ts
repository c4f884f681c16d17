import { Arena } from "@weft/arena"
import type { MessageRef } from "@weft/arena"
import { Effect, Exit, HashRing, MetricLabel, PrimaryKey } from "effect"
import type * as Actor from "../Actor.js"
import type { TellError } from "../ActorError.js"
import type * as ActorSystem from "../ActorSystem.js"
import type * as Dispatcher from "../Dispatcher.js"
import { cellOf, failedForGood, isLeaving, offerMessage, SystemTag, takeQueued, tell, tellAll } from "./actor.js"
import type { SystemRuntime } from "./system.js"

/** @internal */
export const TypeId: unique symbol = Symbol.for("@weft/actor/Dispatcher") as never

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

class DispatcherImpl<M extends Actor.Message> implements Dispatcher.Dispatcher<M> {
  readonly [TypeId] = variance
  readonly name = `dispatcher-${nextDispatcherId++}`
  readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
  plugins: ReadonlyArray<Actor.ActorRef<M>> = []
  readonly topics = new Map<number, ReadonlySet<string>>()
  readonly ring = HashRing.make<PluginNode>()
  private turn = 0

  constructor(readonly routing: Dispatcher.Routing<M>, readonly runtime: SystemRuntime) {
    this.labels = [MetricLabel.make("actor", this.name)]
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

const implOf = <M extends Actor.Message>(self: Dispatcher.Dispatcher<M>) => self as DispatcherImpl<M>

/** @internal */
export const make = <M extends Actor.Message>(
  routing: Dispatcher.Routing<M>
): Effect.Effect<Dispatcher.Dispatcher<M>, never, ActorSystem.ActorSystem> =>
  Effect.map(SystemTag, (system) => new DispatcherImpl(routing, system as SystemRuntime))

/** @internal */
export const add = <M extends Actor.Message>(
  self: Dispatcher.Dispatcher<M>,
  plugin: Actor.ActorRef<M>,
  options?: { readonly topics?: ReadonlyArray<string> | undefined }
): Effect.Effect<void> =>
  Effect.sync(() => {
    const impl = implOf(self)
    if (!impl.plugins.some((p) => p.id === plugin.id)) {
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
  if (targets.length === 1) return tell(targets[0]!, message)
  if (targets.length === 0) {
    return Effect.sync(() => impl.runtime.deadLetterAt(impl.name, impl.labels, message, "NoRoute"))
  }
  return tellAll(targets, message)
}

/** @internal */
export const remove = <M extends Actor.Message>(
  self: Dispatcher.Dispatcher<M>,
  plugin: Actor.ActorRef<M>,
  options?: { readonly mode?: "drain" | "handBack" | undefined }
): Effect.Effect<void, TellError> =>
  Effect.suspend(() => {
    const impl = implOf(self)
    const node = impl.plugins.find((p) => p.id === plugin.id)
    if (node === undefined) return Effect.void
    impl.plugins = impl.plugins.filter((p) => p.id !== plugin.id)
    impl.topics.delete(plugin.id)
    HashRing.remove(impl.ring, new PluginNode(plugin as Actor.ActorRef<never>))
    if (options?.mode !== "handBack") return Effect.void
    return Effect.flatMap(takeQueued(cellOf(plugin as Actor.ActorRef<never>)), (taken) => {
      if (impl.routing._tag === "Broadcast") {
        // Every other plugin already received these.
        return Effect.sync(() => {
          for (const message of taken) impl.runtime.deadLetterAt(plugin.name, impl.labels, message, "Evicted")
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
            impl.runtime.deadLetterAt(impl.name, impl.labels, taken[next], "NoRoute")
          }
        }))
    })
  })

/** @internal */
export const plugins = <M extends Actor.Message>(
  self: Dispatcher.Dispatcher<M>
): Effect.Effect<ReadonlyArray<Actor.ActorRef<M>>> => Effect.sync(() => implOf(self).plugins)

/**
 * Runs a settle effect synchronously: an arena release is a synchronous refcount step. Its
 * failure (the arena already closed) has nothing left to release and is ignored.
 *
 * @internal
 */
export const settleNow = (settle: Effect.Effect<void>): void => {
  Effect.runSyncExit(settle)
}

/** A settle effect that releases one reference, once. */
const settleOnce = <A>(arena: Arena.Arena<A>, ref: MessageRef.MessageRef): Effect.Effect<void> => {
  let settled = false
  return Effect.suspend(() => {
    if (settled) return Effect.void
    settled = true
    // `catchAll` rather than `ignore`: one fiber step less on every delivery.
    return Effect.catchAll(Arena.release(arena, ref), () => Effect.void)
  })
}

type DispatchRefError = TellError | Arena.StaleRef | Arena.RefcountOverflow | Arena.ArenaClosed

/** @internal */
export const dispatchRef = <A, D extends Actor.Message>(
  self: Dispatcher.Dispatcher<D>,
  arena: Arena.Arena<A>,
  ref: MessageRef.MessageRef,
  deliver: (ref: MessageRef.MessageRef, settle: Effect.Effect<void>) => D
): Effect.Effect<void, DispatchRefError> =>
  Effect.suspend(() => {
    const impl = implOf(self)
    const probe = deliver(ref, Effect.void)
    const targets = impl.route(probe)
    if (targets.length === 0) impl.runtime.deadLetterAt(impl.name, impl.labels, probe, "NoRoute")
    // One reference per plugin: first retain one more per plugin beyond the caller's own (a
    // tight loop, no step of its own per plugin), then tell every plugin whose lane has room in
    // one synchronous step. `owned` counts the references held for plugins not yet told; the
    // whole fan-out is uninterruptible but for a wait for room (where an interruption releases
    // that plugin's reference), and whatever is still owned at the end is released — so every
    // reference ends with a plugin or released, exactly once.
    let owned = 1
    let next = 0
    const fanOut = Effect.uninterruptibleMask((restore) => {
      const tellRest = (): Effect.Effect<void, TellError> => {
        while (next < targets.length) {
          const settle = settleOnce(arena, ref)
          owned--
          // A tell that fails has dead-lettered the delivery, which settled itself. A plugin that
          // is leaving (removed while we waited on its lane) does not stop the fan-out.
          const offered = offerMessage(targets[next++]!, deliver(ref, settle))
          if (!Exit.isExit(offered)) {
            return Effect.zipRight(
              Effect.catchIf(Effect.onInterrupt(restore(offered), () => settle), isLeaving, () => Effect.void),
              Effect.suspend(tellRest)
            )
          }
          if (failedForGood(offered)) return offered
        }
        return Effect.void
      }
      return Effect.zipRight(
        Effect.whileLoop({
          while: () => owned < targets.length,
          body: () => Arena.retain(arena, ref),
          step: () => owned++
        }),
        Effect.suspend(tellRest)
      )
    })
    const releaseOwned = Effect.whileLoop({
      while: () => owned > 0,
      body: () => Effect.ignore(Arena.release(arena, ref)),
      step: () => owned--
    })
    return Effect.ensuring(fanOut, releaseOwned)
  })
