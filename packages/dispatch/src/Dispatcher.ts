/**
 * The plugin host: a dispatcher routes each message to plugin actors — broadcast, round-robin,
 * consistent-hash (Effect's `HashRing`) or by topic — and plugins can be added and removed while
 * messages flow.
 *
 * Each plugin's lane is its own bounded mailbox, so the plugin's mailbox strategy is the policy
 * when that lane is full: `"suspend"` backpressures the dispatching fiber, `"dropping"`,
 * `"sliding"` and `"fail"` drop to dead letters. A message no plugin takes (no plugins, or no
 * subscriber for its topic) is dead-lettered with reason `"NoRoute"`.
 *
 * Dispatch runs in the caller's fiber (no extra hop); concurrent dispatchers are fine.
 *
 * Death watch: a plugin that terminates leaves the routing in the step it terminates, and the
 * lifecycle event `PluginRemoved` says so; round-robin goes on over the live plugins, the hash
 * ring rebalances (only the dead plugin's keys move) and its topic subscriptions go. What was in
 * flight to it (queued, or a dispatch waiting on its lane) is dead-lettered; nothing after.
 *
 * Arena-backed fan-out: {@link dispatchRef} hands a `MessageRef` from `@weft/arena` to the chosen
 * plugins as a {@link Delivery}, retaining it once per plugin; each plugin settles its delivery,
 * and the slot is freed exactly when the last one has (a delivery that becomes a dead letter
 * settles itself). For a batch of refs (e.g. from `Arena.allocUpTo`), {@link dispatchRefAll} does
 * the same per ref in a few steps per batch, and {@link dispatchBatch} hands each plugin the whole
 * batch as one {@link Deliveries} message — the cheapest way through.
 *
 * Handing fresh refs over with no gap: the arena fan-outs are uninterruptible but for their wait
 * for room in a lane, and that wait stays interruptible even inside an uninterruptible region.
 * So allocate and dispatch in one `Effect.uninterruptibleMask`, restoring only the allocation:
 * no interruption can then fall between the refs existing and the dispatcher owning them.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Arena } from "@weft/arena"
 * import { Dispatcher } from "@weft/dispatch"
 *
 * declare const arena: Arena.Arena<string>
 * declare const dispatcher: Dispatcher.Dispatcher<Dispatcher.Deliveries>
 * declare const values: ReadonlyArray<string>
 *
 * const ingest = Effect.uninterruptibleMask((restore) =>
 *   Effect.flatMap(restore(Arena.allocUpTo(arena, values)), (refs) => Dispatcher.dispatchBatch(dispatcher, arena, refs))
 * )
 * ```
 *
 * @since 0.1.0
 */
import type { Actor, ActorError, ActorSystem } from "@weft/actor"
import { DeadLetter } from "@weft/actor"
import type { Arena, MessageRef } from "@weft/arena"
import type { Pipeable } from "effect"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as internal from "./internal/dispatcher.js"
import * as fanOut from "./internal/fanOut.js"

/**
 * How a dispatcher picks plugins for a message.
 *
 * @since 0.1.0
 * @category models
 */
export type Routing<M> =
  | { readonly _tag: "Broadcast" }
  | { readonly _tag: "RoundRobin" }
  | { readonly _tag: "ConsistentHash"; readonly key: (message: M) => string }
  | { readonly _tag: "Topic"; readonly topic: (message: M) => string }

/**
 * Every plugin receives every message.
 *
 * @since 0.1.0
 * @category routing
 */
export const broadcast: { readonly _tag: "Broadcast" } = { _tag: "Broadcast" }

/**
 * Each message goes to one plugin, in turn.
 *
 * @since 0.1.0
 * @category routing
 */
export const roundRobin: { readonly _tag: "RoundRobin" } = { _tag: "RoundRobin" }

/**
 * Each message goes to the plugin that owns its key on a consistent-hash ring, so messages with
 * the same key go to the same plugin while the set of plugins is stable, and adding or removing a
 * plugin moves only the keys it gains or loses.
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category routing
 */
export const consistentHash = <M>(key: (message: M) => string): Routing<M> => ({ _tag: "ConsistentHash", key })

/**
 * Each message goes to every plugin subscribed (in {@link add}) to its topic.
 *
 * Cancellation safety: a pure constructor; nothing runs.
 *
 * @since 0.1.0
 * @category routing
 */
export const topic = <M>(topic: (message: M) => string): Routing<M> => ({ _tag: "Topic", topic })

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * @since 0.1.0
 * @category models
 */
export interface Dispatcher<in M extends Actor.Message> extends Pipeable.Pipeable {
  readonly [TypeId]: { readonly _M: (_: M) => void }
}

/**
 * Whether `u` is a dispatcher.
 *
 * @since 0.1.0
 * @category guards
 */
export const isDispatcher: (u: unknown) => u is Dispatcher<never> = internal.isDispatcher

/**
 * Creates a dispatcher with no plugins.
 *
 * Cancellation safety: a constructor; nothing to undo.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
import { dual } from "effect/Function"
 * import { Actor } from "@weft/actor"
 * import { Dispatcher } from "@weft/dispatch"
 *
 * class Event extends Data.TaggedClass("Event")<{ readonly user: string }> {}
 * declare const pluginA: Actor.ActorRef<Event>
 * declare const pluginB: Actor.ActorRef<Event>
 *
 * const program = Effect.gen(function* () {
 *   const dispatcher = yield* Dispatcher.make<Event>(Dispatcher.consistentHash((event) => event.user))
 *   yield* Dispatcher.add(dispatcher, pluginA)
 *   yield* Dispatcher.add(dispatcher, pluginB)
 *   yield* Dispatcher.dispatch(dispatcher, new Event({ user: "ada" })) // always the same plugin for "ada"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <M extends Actor.Message>(
  routing: Routing<M>
) => Effect.Effect<Dispatcher<M>, never, ActorSystem.ActorSystem> = internal.make

/**
 * Adds a plugin: it receives the messages dispatched after this returns. With topic routing,
 * `topics` are the topics it subscribes to. Adding a plugin twice updates its topics. The
 * dispatcher watches it: when it terminates, it leaves the routing (lifecycle event
 * `PluginRemoved`). A plugin that has already terminated is not added (the event is published).
 *
 * Cancellation safety: a single synchronous step.
 *
 * @since 0.1.0
 * @category plugins
 */
export const add: {
  <M extends Actor.Message>(
    plugin: Actor.ActorRef<M>,
    options?: { readonly topics?: ReadonlyArray<string> | undefined }
  ): (self: Dispatcher<M>) => Effect.Effect<void>
  <M extends Actor.Message>(
    self: Dispatcher<M>,
    plugin: Actor.ActorRef<M>,
    options?: { readonly topics?: ReadonlyArray<string> | undefined }
  ): Effect.Effect<void>
} = dual((args) => internal.isDispatcher(args[0]), internal.add)

/**
 * Removes a plugin; it receives nothing dispatched after this returns (lifecycle event
 * `PluginRemoved` with no reason). What happens to the messages already queued in its mailbox:
 * - `"drain"` (default): the plugin keeps them and processes them.
 * - `"handBack"`: they are taken out of its mailbox and dispatched again to the remaining plugins
 *   (under broadcast, where every other plugin already has them, they are dead-lettered as
 *   `"Evicted"`). Either way no message is lost or processed twice.
 *
 * Cancellation safety: removal is synchronous; an interrupted hand-back has re-dispatched a
 * prefix of the handed-back messages and dead-lettered the rest (`"NoRoute"`), losing none.
 *
 * @since 0.1.0
 * @category plugins
 */
export const remove: {
  <M extends Actor.Message>(
    plugin: Actor.ActorRef<M>,
    options?: { readonly mode?: "drain" | "handBack" | undefined }
  ): (self: Dispatcher<M>) => Effect.Effect<void, ActorError.TellError>
  <M extends Actor.Message>(
    self: Dispatcher<M>,
    plugin: Actor.ActorRef<M>,
    options?: { readonly mode?: "drain" | "handBack" | undefined }
  ): Effect.Effect<void, ActorError.TellError>
} = dual((args) => internal.isDispatcher(args[0]), internal.remove)

/**
 * Routes one message. Tells each chosen plugin in turn; with `"suspend"` lanes it waits while a
 * chosen plugin's lane is full. A chosen plugin that is stopping dead-letters its copy
 * (`"ActorStopping"`) without failing the dispatch; one that dies while the dispatch waits on its
 * lane dead-letters it as `"ActorStopped"`.
 *
 * Cancellation safety: interrupted while waiting for a lane, the plugins before it have the
 * message and the rest do not; each plugin gets it at most once.
 *
 * @since 0.1.0
 * @category dispatching
 */
export const dispatch: {
  <M extends Actor.Message>(message: M): (self: Dispatcher<M>) => Effect.Effect<void, ActorError.TellError>
  <M extends Actor.Message>(self: Dispatcher<M>, message: M): Effect.Effect<void, ActorError.TellError>
} = dual(2, internal.dispatch)

/**
 * The current plugins: those added, not removed, and not terminated.
 *
 * Cancellation safety: a synchronous read.
 *
 * @since 0.1.0
 * @category plugins
 */
export const plugins: <M extends Actor.Message>(
  self: Dispatcher<M>
) => Effect.Effect<ReadonlyArray<Actor.ActorRef<M>>> = internal.plugins

/**
 * What an arena fan-out can fail with: a tell's error, or the arena refusing a ref (stale, its
 * refcount at the limit, or the arena closed).
 *
 * @since 0.1.0
 * @category arena fan-out
 */
export type FanOutError = ActorError.TellError | Arena.StaleRef | Arena.RefcountOverflow | Arena.ArenaClosed

/**
 * One plugin's share of an arena-backed message: read the payload through `ref` (e.g.
 * `Arena.use`), then run `settle` exactly once to release this plugin's reference. Settling twice
 * is harmless; a delivery that becomes a dead letter (dropped lane, stopped plugin, crash) settles
 * itself.
 *
 * @since 0.1.0
 * @category arena fan-out
 */
export class Delivery extends Data.TaggedClass("Delivery")<{
  readonly ref: MessageRef.MessageRef
  readonly settle: Effect.Effect<void>
}> {
  /** Settles the delivery when it becomes a dead letter, so its reference is never leaked. */
  [DeadLetter.OnDeadLetter](): void {
    fanOut.settleNow(this.settle)
  }
}

/**
 * Fans an arena message out to the plugins its routing picks, retaining `ref` once per plugin and
 * telling each a {@link Delivery}. It takes over the caller's reference and releases it when done,
 * so the slot is freed when every plugin has settled — or at once when no plugin takes it
 * (dead letter `"NoRoute"`).
 *
 * Cancellation safety: the caller's reference is released however this ends; a plugin whose
 * tell was interrupted never got its delivery and its reference is released. The only wait (for
 * room in a lane) is interruptible even when called uninterruptibly, so a caller can allocate and
 * dispatch in one uninterruptible region with no gap (see the module docs).
 *
 * @since 0.1.0
 * @category arena fan-out
 */
export const dispatchRef: {
  <A>(
    arena: Arena.Arena<A>,
    ref: MessageRef.MessageRef
  ): (
    self: Dispatcher<Delivery>
  ) => Effect.Effect<void, FanOutError>
  <A>(
    self: Dispatcher<Delivery>,
    arena: Arena.Arena<A>,
    ref: MessageRef.MessageRef
  ): Effect.Effect<void, FanOutError>
} = dual(
  3,
  <A>(
    self: Dispatcher<Delivery>,
    arena: Arena.Arena<A>,
    ref: MessageRef.MessageRef
  ): Effect.Effect<void, FanOutError> =>
    fanOut.dispatchCarrying(self, arena, [ref], (settle) => new Delivery({ ref, settle }))
)

const makeDelivery = (ref: MessageRef.MessageRef, settle: Effect.Effect<void>): Delivery =>
  new Delivery({ ref, settle })

/**
 * Fans a batch of arena messages out, as {@link dispatchRef} does for each of them in order, at
 * the cost of a few steps for the whole batch instead of several per message: the references
 * are retained once per plugin for the whole batch, and each plugin's lane gets every delivery it
 * has room for in one synchronous step. It takes over the caller's reference to every ref.
 *
 * Each plugin receives its deliveries in the order of `refs`. With `"suspend"` lanes it waits
 * while a lane is full — after giving every other lane all it has room for — so one slow plugin
 * delays the others by no more than its lane. A ref no plugin takes is dead-lettered
 * (`"NoRoute"`) and released at once. A plugin that is leaving (removed, draining) dead-letters
 * its deliveries and the others still get theirs.
 *
 * Failures: a stale ref fails the whole batch with `StaleRef` before anything is sent (and the
 * caller's references are released); any other tell failure (e.g. `MailboxFull` from a `"fail"`
 * lane) ends the batch there: each plugin has received a prefix of its deliveries, and the
 * references of the deliveries not made are released.
 *
 * Cancellation safety: the batch is uninterruptible but for a wait for room. Interrupted there,
 * each plugin has received a prefix of its deliveries (the delivery being waited for is not
 * made); every reference not handed to a plugin is released, so no slot leaks and no plugin gets
 * a delivery twice.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arena, type MessageRef } from "@weft/arena"
 * import { Dispatcher } from "@weft/dispatch"
 *
 * declare const arena: Arena.Arena<Uint8Array>
 * declare const dispatcher: Dispatcher.Dispatcher<Dispatcher.Delivery>
 *
 * // A chunk of frames: stored in batches, fanned out in batches.
 * const ingest = (frames: ReadonlyArray<Uint8Array>) =>
 *   Effect.gen(function*() {
 *     let stored = 0
 *     while (stored < frames.length) {
 *       const refs: ReadonlyArray<MessageRef.MessageRef> = yield* Arena.allocUpTo(arena, frames.slice(stored))
 *       yield* Dispatcher.dispatchRefAll(dispatcher, arena, refs)
 *       stored += refs.length
 *     }
 *   })
 * ```
 *
 * @since 0.1.0
 * @category arena fan-out
 */
export const dispatchRefAll: {
  <A>(
    arena: Arena.Arena<A>,
    refs: ReadonlyArray<MessageRef.MessageRef>
  ): (
    self: Dispatcher<Delivery>
  ) => Effect.Effect<void, FanOutError>
  <A>(
    self: Dispatcher<Delivery>,
    arena: Arena.Arena<A>,
    refs: ReadonlyArray<MessageRef.MessageRef>
  ): Effect.Effect<void, FanOutError>
} = dual(
  3,
  <A>(
    self: Dispatcher<Delivery>,
    arena: Arena.Arena<A>,
    refs: ReadonlyArray<MessageRef.MessageRef>
  ): Effect.Effect<void, FanOutError> => fanOut.dispatchRefAll(self, arena, refs, makeDelivery)
)

/**
 * A plugin's share of a whole batch of arena messages, as one mailbox message (see
 * {@link dispatchBatch}): read the payloads through `refs` (e.g. `Arena.getAll`), then run
 * `settle` once to release this plugin's reference to every one of them. Settling twice is
 * harmless; a batch that becomes a dead letter (dropped lane, stopped plugin, crash) settles
 * itself.
 *
 * @since 0.1.0
 * @category arena fan-out
 */
export class Deliveries extends Data.TaggedClass("Deliveries")<{
  readonly refs: ReadonlyArray<MessageRef.MessageRef>
  readonly settle: Effect.Effect<void>
}> {
  /** Settles the batch when it becomes a dead letter, so its references are never leaked. */
  [DeadLetter.OnDeadLetter](): void {
    fanOut.settleNow(this.settle)
  }
}

/**
 * Fans a batch of arena messages out as one {@link Deliveries} message per plugin its routing
 * picks (the routing sees the `Deliveries`, so the whole batch goes to the same plugins), after
 * retaining every ref once per plugin in one step. It takes over the caller's reference to each
 * ref and releases it when done, so each slot is freed when every plugin has settled its batch —
 * or at once when no plugin takes the batch (dead letter `"NoRoute"`). This is the cheapest way
 * through a dispatcher: one mailbox message and one handler run per plugin per batch, so a
 * plugin that handles the batch in a loop pays no per-message step at all. The lane bound then
 * counts batches; bound the messages in flight with the arena.
 *
 * Cancellation safety: as {@link dispatchRef}: the caller's references are released however this
 * ends; a plugin whose tell was interrupted never got its batch and its references are released.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Actor } from "@weft/actor"
 * import { Dispatcher } from "@weft/dispatch"
 * import { Arena, type MessageRef } from "@weft/arena"
 *
 * declare const arena: Arena.Arena<string>
 *
 * // A plugin that reads a whole batch in one step and settles it at once.
 * const lengths = Actor.behavior<Dispatcher.Deliveries>()({
 *   initialState: 0,
 *   handlers: {
 *     Deliveries: (batch, total) =>
 *       Arena.getAll(arena, batch.refs).pipe(
 *         Effect.orDie,
 *         Effect.map((texts) => texts.reduce((sum, text) => sum + text.length, total)),
 *         Effect.zipLeft(batch.settle)
 *       )
 *   }
 * })
 *
 * declare const dispatcher: Dispatcher.Dispatcher<Dispatcher.Deliveries>
 * declare const refs: ReadonlyArray<MessageRef.MessageRef>
 * const fanOut = Dispatcher.dispatchBatch(dispatcher, arena, refs)
 * ```
 *
 * @since 0.1.0
 * @category arena fan-out
 */
export const dispatchBatch: {
  <A>(
    arena: Arena.Arena<A>,
    refs: ReadonlyArray<MessageRef.MessageRef>
  ): (
    self: Dispatcher<Deliveries>
  ) => Effect.Effect<void, FanOutError>
  <A>(
    self: Dispatcher<Deliveries>,
    arena: Arena.Arena<A>,
    refs: ReadonlyArray<MessageRef.MessageRef>
  ): Effect.Effect<void, FanOutError>
} = dual(
  3,
  <A>(
    self: Dispatcher<Deliveries>,
    arena: Arena.Arena<A>,
    refs: ReadonlyArray<MessageRef.MessageRef>
  ): Effect.Effect<void, FanOutError> =>
    refs.length === 0
      ? Effect.void
      : fanOut.dispatchCarrying(self, arena, refs, (settle) => new Deliveries({ refs, settle }))
)
