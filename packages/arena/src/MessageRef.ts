/**
 * `MessageRef`: the small value that stands for a message stored in an `Arena`.
 *
 * A ref is `{ index, generation }`: the slot that holds the message and how many times that slot
 * had been freed when the message was stored. Refs are plain values: copy them, put them in
 * queues, compare them with `Equal.equals`, use them as `HashMap` keys. Holding a ref keeps
 * nothing alive; the arena's refcount does. A ref whose slot has since been freed or reused is
 * *stale*, and the arena answers it with `StaleRef`, never with another message's payload.
 *
 * Refs are branded: a number or a hand-written `{ index, generation }` object is not a ref, so
 * only an arena can mint one.
 *
 * Cancellation safety: everything here is synchronous and pure.
 *
 * @since 0.1.0
 */
import type * as Equal from "effect/Equal"
import type * as Inspectable from "effect/Inspectable"
import type * as order from "effect/Order"
import type { Pipeable } from "effect/Pipeable"
import * as internal from "./internal/messageRef.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * The key of a ref's payload type: a mark for the type checker only — no ref has this property.
 *
 * @since 0.1.0
 * @category symbols
 */
export const PayloadTypeId: unique symbol = Symbol.for("@weft/arena/MessageRef/Payload") as never

/**
 * @since 0.1.0
 * @category symbols
 */
export type PayloadTypeId = typeof PayloadTypeId

/**
 * A reference to a message of type `A` stored in an arena. Prints as `ref(index@generation)`.
 *
 * `A` is a phantom type: an `Arena<A>` hands out `MessageRef<A>`s and accepts only those, so a ref
 * from an `Arena<string>` passed to an `Arena<number>` is a compile error. A bare `MessageRef`
 * (no type argument) is an untyped ref, accepted by any arena, as refs were before they carried
 * their payload type.
 *
 * @since 0.1.0
 * @category models
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the untyped ref must fit every arena
export interface MessageRef<out A = any> extends Equal.Equal, Inspectable.Inspectable, Pipeable {
  readonly [TypeId]: TypeId
  /** Never present at run time: it carries `A` for the type checker. */
  readonly [PayloadTypeId]?: (_: never) => A
  /** The slot that holds the message. */
  readonly index: number
  /** The slot's generation when the message was stored: a 32-bit counter that wraps. */
  readonly generation: number
}

/**
 * Whether a value is a `MessageRef`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isMessageRef: (u: unknown) => u is MessageRef = internal.isMessageRef

/**
 * Orders refs by slot index, then by generation: a stable order for sorting and sorted
 * collections. (Generations wrap, so across a wrap "greater" does not mean "newer".)
 *
 * @example
 * ```ts
 * import { Array } from "effect"
 * import { MessageRef } from "@weft/arena"
 *
 * declare const refs: ReadonlyArray<MessageRef.MessageRef>
 * const sorted = Array.sort(refs, MessageRef.Order)
 * ```
 *
 * @since 0.1.0
 * @category instances
 */
export const Order: order.Order<MessageRef> = internal.order
