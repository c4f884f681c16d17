import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import type * as Reliable from "../Reliable.js"

/** @internal */
export const TypeId: Reliable.TypeId = Symbol.for("@weft/actor/Reliable") as Reliable.TypeId

/** @internal */
export const SettledTypeId: Reliable.SettledTypeId = Symbol.for(
  "@weft/actor/Reliable/Settled"
) as Reliable.SettledTypeId

/** @internal */
export const TaggedClass = <Tag extends string>(tag: Tag) => {
  class Base extends Data.TaggedClass(tag)<Record<string, unknown>> {
    readonly [TypeId]: Reliable.TypeId = TypeId
  }
  return Base as unknown as new<A extends Record<string, unknown> = {}>(
    args: { readonly [P in keyof A]: A[P] } extends Record<string, never> ? void : { readonly [P in keyof A]: A[P] }
  ) => Readonly<A> & { readonly _tag: Tag } & Reliable.Reliable
}

/** @internal */
export const isReliable = (u: object): u is Reliable.Reliable => TypeId in u

/** @internal */
export class SettledImpl<S> implements Reliable.Settled<S> {
  readonly [SettledTypeId]: Reliable.SettledTypeId = SettledTypeId
  constructor(readonly state: S, readonly settlement: Reliable.Settlement) {}
}

const ackSettlement: Reliable.Settlement = { _tag: "Ack" }

/** @internal */
export const ack = <S>(state: S): Reliable.Settled<S> => new SettledImpl(state, ackSettlement)

/** @internal */
export const nack = <S>(state: S, reason: string): Reliable.Settled<S> =>
  new SettledImpl(state, { _tag: "Nack", reason })

/** @internal */
export const defer = <S>(state: S, delay: Duration.DurationInput): Reliable.Settled<S> =>
  new SettledImpl(state, { _tag: "Defer", delay: Duration.decode(delay) })
