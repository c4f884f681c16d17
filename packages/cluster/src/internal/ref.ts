import type { Sharding } from "@effect/cluster/Sharding"
import * as Socket from "@effect/platform/Socket"
import type { Actor } from "@weft/actor"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as ClusterEntity from "../ClusterEntity.js"
import { AskTimeout, EntityFailed, EntityUnreachable } from "../ClusterEntityError.js"
import { failAfter } from "./deadline.js"
import { deadlineHeader } from "./entity.js"

/** @internal */
export const EntityRefTypeId: ClusterEntity.EntityRefTypeId = Symbol.for(
  "@weft/cluster/EntityRef"
) as ClusterEntity.EntityRefTypeId

/** One method per message tag, as `@effect/cluster` builds it for the entity's Rpcs. */
type UntypedClient = Record<
  string,
  (
    payload: unknown,
    options: { readonly discard?: boolean; readonly headers?: Record<string, string> }
  ) => Effect.Effect<
    unknown,
    unknown
  >
>

interface EntityRefImpl extends ClusterEntity.EntityRef<never> {
  readonly client: UntypedClient
  readonly askTimeout: Duration.Duration
  toJSON(): unknown
}

const RefProto = {
  [EntityRefTypeId]: { _M: (_: never) => undefined },
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  },
  toJSON(this: EntityRefImpl) {
    return { _id: "EntityRef", entityType: this.entityType, entityId: this.entityId }
  },
  toString(this: EntityRefImpl) {
    return Inspectable.format(this.toJSON())
  },
  [Inspectable.NodeInspectSymbol](this: EntityRefImpl) {
    return this.toJSON()
  }
}

/** @internal */
export const isEntityRef = (u: unknown): u is ClusterEntity.EntityRef<never> =>
  Predicate.hasProperty(u, EntityRefTypeId)

/** @internal */
export const ref: {
  (entityId: string): <Type extends string, M extends Actor.Message>(
    self: ClusterEntity.ClusterEntity<Type, M>
  ) => Effect.Effect<ClusterEntity.EntityRef<M>, never, Sharding>
  <Type extends string, M extends Actor.Message>(
    self: ClusterEntity.ClusterEntity<Type, M>,
    entityId: string
  ): Effect.Effect<ClusterEntity.EntityRef<M>, never, Sharding>
} = dual(2, <Type extends string, M extends Actor.Message>(
  self: ClusterEntity.ClusterEntity<Type, M>,
  entityId: string
) =>
  Effect.map(self.entity.client, (clientFor) => {
    const impl: EntityRefImpl = Object.assign(Object.create(RefProto), {
      entityType: self.type,
      entityId,
      client: clientFor(entityId) as unknown as UntypedClient,
      askTimeout: self.askTimeout
    })
    return impl as ClusterEntity.EntityRef<never> as ClusterEntity.EntityRef<M>
  }))

/**
 * The client method for the message's tag (`ClusterEntity.make` derived one for every tag of the
 * protocol). A socket that breaks while the message is written to the owning runner reaches the
 * sender as a defect from @effect/cluster; it is a typed `EntityUnreachable` here.
 */
const send = (
  impl: EntityRefImpl,
  message: Actor.Message,
  options: Parameters<UntypedClient[string]>[1]
): Effect.Effect<unknown, unknown> =>
  Effect.catchSomeDefect(impl.client[message._tag]!(message, options), (defect) =>
    Socket.isSocketError(defect)
      ? Option.some(
        Effect.fail(
          new EntityUnreachable({
            entityType: impl.entityType,
            entityId: impl.entityId,
            tag: message._tag,
            detail: defect.message
          })
        )
      )
      : Option.none())

const implOf = (self: ClusterEntity.EntityRef<never>): EntityRefImpl => self as EntityRefImpl

/** @internal */
export const tell = dual(
  2,
  (self: ClusterEntity.EntityRef<never>, message: Actor.Message): Effect.Effect<void, ClusterEntity.TellError> =>
    Effect.asVoid(send(implOf(self), message, { discard: true })) as Effect.Effect<void, ClusterEntity.TellError>
)

/** The entity's own deadline passed first (its actor skipped or gave up on the request). */
const isEntityTimeout = (error: unknown): boolean => error instanceof EntityFailed && error.reason === "AskTimeout"

/** @internal */
export const ask = dual(
  (args) => isEntityRef(args[0]),
  (
    self: ClusterEntity.EntityRef<never>,
    request: Actor.Message,
    options?: ClusterEntity.AskOptions
  ): Effect.Effect<unknown, unknown> =>
    Effect.clockWith((clock) => {
      const impl = implOf(self)
      const timeoutMs = options?.timeout === undefined
        ? Duration.toMillis(impl.askTimeout)
        : Duration.toMillis(Duration.decode(options.timeout))
      // The deadline travels with the request: the owning runner's actor skips it once it has passed.
      const deadline = clock.unsafeCurrentTimeMillis() + timeoutMs
      const timedOut = () =>
        new AskTimeout({ entityType: impl.entityType, entityId: impl.entityId, tag: request._tag, timeoutMs })
      const sent = Effect.catchIf(
        send(impl, request, { headers: { [deadlineHeader]: String(deadline) } }),
        // The same deadline may pass first on the entity's side: one deadline, one error.
        isEntityTimeout,
        () => Effect.fail(timedOut())
      )
      return failAfter(sent, clock, timeoutMs, timedOut)
    })
)
