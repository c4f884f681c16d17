import type * as MessageStorage from "@effect/cluster/MessageStorage"
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import * as RunnerStorage from "@effect/cluster/RunnerStorage"
import * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import { type ActorError, ActorSystem } from "@weft/actor"
import { Layer } from "effect"
import type * as Embedded from "../Embedded.js"
import * as MemoryStorage from "./memoryStorage.js"

/** @internal */
export const layer = (
  options?: Embedded.Options
): Layer.Layer<
  Sharding.Sharding | MessageStorage.MessageStorage | MessageStorage.MemoryDriver | ActorSystem.ActorSystem,
  ActorError.InvalidSystemOptions
> =>
  Sharding.layer.pipe(
    Layer.provide(Runners.layerNoop),
    Layer.provideMerge(MemoryStorage.layer),
    Layer.provide([RunnerStorage.layerMemory, RunnerHealth.layerNoop]),
    Layer.provide(ShardingConfig.layer(options?.sharding)),
    Layer.merge(ActorSystem.layer(options?.actorSystem))
  )
