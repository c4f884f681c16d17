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
 * A reference to a message stored in an arena. Prints as `ref(index@generation)`.
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageRef extends Equal.Equal, Inspectable.Inspectable, Pipeable {
  readonly [TypeId]: TypeId
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
