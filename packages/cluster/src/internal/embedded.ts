import type * as MessageStorage from "@effect/cluster/MessageStorage"
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import * as RunnerStorage from "@effect/cluster/RunnerStorage"
import * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import { type ActorError, ActorSystem } from "@weft/actor"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { InvalidEmbeddedOption } from "../ClusterEntityError.js"
import type * as Embedded from "../Embedded.js"
import * as MemoryStorage from "./memoryStorage.js"

/** @internal */
export const layer = (
  options?: Embedded.Options
): Layer.Layer<
  Sharding.Sharding | MessageStorage.MessageStorage | MessageStorage.MemoryDriver | ActorSystem.ActorSystem,
  ActorError.InvalidSystemOptions | InvalidEmbeddedOption
> =>
  Layer.unwrapEffect(Effect.map(maxProcessedMessages(options), (maxProcessed) =>
    Sharding.layer.pipe(
      Layer.provide(Runners.layerNoop),
      Layer.provideMerge(MemoryStorage.layer(maxProcessed)),
      Layer.provide([RunnerStorage.layerMemory, RunnerHealth.layerNoop]),
      Layer.provide(ShardingConfig.layer(options?.sharding)),
      Layer.merge(ActorSystem.layer(options?.actorSystem))
    )))

const defaultMaxProcessedMessages = 10_000

const maxProcessedMessages = (options: Embedded.Options | undefined): Effect.Effect<number, InvalidEmbeddedOption> => {
  const value = options?.maxProcessedMessages ?? defaultMaxProcessedMessages
  return value === Infinity || (Number.isSafeInteger(value) && value >= 0)
    ? Effect.succeed(value)
    : Effect.fail(
      new InvalidEmbeddedOption({
        option: "maxProcessedMessages",
        value,
        expected: "a non-negative integer or Infinity"
      })
    )
}
