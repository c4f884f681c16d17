/**
 * Plugins the gateway runs besides its own (`Plugins.pluginNames`), from whoever builds it: the
 * cluster mode's `cluster` plugin (`cluster/Runners.ts`). Provide the service around
 * `Gateway.layer`; without it the gateway runs its own plugins only. An extra plugin is started
 * after the configured ones, is not added or removed at runtime, and drains its queue at shutdown
 * (bounded by `drainTimeout`), like the sink.
 */
import type { Actor, ActorError, ActorSystem } from "@weft/actor"
import type { MessageArena } from "@weft/arena"
import type { Dispatcher } from "@weft/dispatch"
import type { Effect, Scope } from "effect"
import * as Context from "effect/Context"
import type * as Frame from "../Frame.js"
import type * as Plugins from "../Plugins.js"

/** What an extra plugin is built from: the gateway's arena and the topic of each frame in it. */
export interface PluginDeps {
  readonly arena: MessageArena.MessageArena.Service
  readonly frameIndex: Frame.Index
}

/** An extra plugin: its name, and how to spawn its actor with the host's spawn options. */
export interface ExtraPlugin {
  readonly name: string
  readonly make: (deps: PluginDeps) => {
    readonly spawn: (
      options: Actor.SpawnOptions
    ) => Effect.Effect<
      Actor.ActorRef<Dispatcher.Deliveries>,
      ActorError.SpawnError,
      ActorSystem.ActorSystem | Scope.Scope
    >
    readonly state: Plugins.Processed
  }
}

export class ExtraPlugins extends Context.Tag("@weft/demo/ExtraPlugins")<ExtraPlugins, ReadonlyArray<ExtraPlugin>>() {}
