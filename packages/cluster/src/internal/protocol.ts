import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import * as Rpc from "@effect/rpc/Rpc"
import type { Actor } from "@weft/actor"
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type * as ClusterEntity from "../ClusterEntity.js"
import { EntityFailed, EntityNameTaken } from "../ClusterEntityError.js"

/** @internal */
export const TypeId: ClusterEntity.TypeId = Symbol.for("@weft/cluster/ClusterEntity") as ClusterEntity.TypeId

/** Whether a message schema is a request (it carries the schemas of its reply). */
const isRequestSchema = (schema: ClusterEntity.MessageSchema): schema is ClusterEntity.RequestSchema =>
  Predicate.hasProperty(schema, "success") && Predicate.hasProperty(schema, "failure")

/**
 * One Rpc per message class. A request's Rpc replies with its success schema and fails with its
 * failure schema, `EntityFailed` (the remote actor could not answer) or `EntityNameTaken` (the
 * entity could not start its actor); a tell's Rpc replies with nothing, and fails only with those
 * two, which nobody waits for.
 */
const rpcOf = (schema: ClusterEntity.MessageSchema, persisted: boolean): Rpc.Any => {
  const rpc = isRequestSchema(schema)
    ? Rpc.make(schema._tag, {
      payload: schema,
      success: schema.success,
      error: Schema.Union(schema.failure, EntityFailed, EntityNameTaken)
    })
    : Rpc.make(schema._tag, { payload: schema, error: Schema.Union(EntityFailed, EntityNameTaken) })
  return rpc.annotate(ClusterSchema.Persisted, persisted)
}

/** @internal */
export const make = <const Type extends string, M extends Actor.Message>(
  type: Type,
  protocol: ReadonlyArray<ClusterEntity.MessageSchema>,
  options: ClusterEntity.MakeOptions | undefined
): ClusterEntity.ClusterEntity<Type, M> => {
  const delivery = options?.delivery ?? "persisted"
  const persisted = delivery === "persisted"
  const requestTags = new Set(protocol.filter(isRequestSchema).map((schema) => schema._tag))
  return {
    [TypeId]: { _M: (message: M) => message },
    type,
    delivery,
    askTimeout: Duration.decode(options?.askTimeout ?? "5 seconds"),
    requestTags,
    entity: Entity.make(type, protocol.map((schema) => rpcOf(schema, persisted)))
  }
}
