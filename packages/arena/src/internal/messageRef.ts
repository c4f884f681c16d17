import * as Equal from "effect/Equal"
import * as Hash from "effect/Hash"
import { NodeInspectSymbol } from "effect/Inspectable"
import * as Order from "effect/Order"
import { pipeArguments } from "effect/Pipeable"
import type * as MessageRef from "../MessageRef.js"

/** @internal */
export const TypeId: MessageRef.TypeId = Symbol.for("@weft/arena/MessageRef") as MessageRef.TypeId

/**
 * Two number fields and everything else on the prototype: the arena allocates one of these per
 * message, so the instance stays as small as a `{ index, generation }` literal.
 *
 * @internal
 */
export class MessageRefImpl implements MessageRef.MessageRef {
  declare readonly [TypeId]: MessageRef.TypeId
  constructor(readonly index: number, readonly generation: number) {}

  [Equal.symbol](that: Equal.Equal): boolean {
    return isMessageRef(that) && that.index === this.index && that.generation === this.generation
  }

  [Hash.symbol](): number {
    // Not cached: computing it is cheaper than the extra property a cache would add to every ref.
    return Hash.optimize(Math.imul(this.index, 0x9e3779b1) ^ this.generation)
  }

  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }

  toJSON() {
    return { _id: "MessageRef", index: this.index, generation: this.generation }
  }

  toString(): string {
    return `ref(${this.index}@${this.generation})`
  }

  [NodeInspectSymbol]() {
    return this.toString()
  }
}

Object.defineProperty(MessageRefImpl.prototype, TypeId, { value: TypeId })

/** @internal */
export const isMessageRef = (u: unknown): u is MessageRef.MessageRef =>
  typeof u === "object" && u !== null && TypeId in u

/** @internal */
export const make = (index: number, generation: number): MessageRef.MessageRef => new MessageRefImpl(index, generation)

/** @internal */
export const order: Order.Order<MessageRef.MessageRef> = Order.combine(
  Order.mapInput(Order.number, (ref: MessageRef.MessageRef) => ref.index),
  Order.mapInput(Order.number, (ref: MessageRef.MessageRef) => ref.generation)
)
