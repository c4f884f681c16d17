/**
 * What `Router` hands to code that routes messages to actors from outside them: the ref-based
 * faces of the cell's mailbox, death watch and the system's dead letters and lifecycle events.
 */
import type { Effect } from "effect"
import * as MetricLabel from "effect/MetricLabel"
import type * as Actor from "../Actor.js"
import type * as ActorSystem from "../ActorSystem.js"
import type { Reason } from "../DeadLetter.js"
import type { LifecycleEvent } from "../Lifecycle.js"
import { cellOf, runtimeOf } from "./cell.js"
import * as telling from "./tell.js"

/** @internal */
export const takeQueued = (self: Actor.ActorRef<never>): Effect.Effect<ReadonlyArray<Actor.Message>> =>
  telling.takeQueued(cellOf(self))

/** @internal */
export const unsafeDeadLetter = (
  system: ActorSystem.ActorSystem.Service,
  letter: {
    readonly actor: string
    readonly message: unknown
    readonly reason: Reason
    readonly labels?: ReadonlyArray<MetricLabel.MetricLabel> | undefined
  }
): void => {
  const labels = letter.labels ?? [MetricLabel.make("actor", letter.actor)]
  runtimeOf(system).deadLetterAt(letter.actor, labels, letter.message, letter.reason)
}

/** @internal */
export const unsafePublish = (system: ActorSystem.ActorSystem.Service, event: LifecycleEvent): void =>
  runtimeOf(system).publish(event)
