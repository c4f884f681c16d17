/**
 * Every error of @weft/arena, declared once here so that the implementation can raise them
 * without importing the public modules that re-export them (which would be an import cycle).
 */
import * as Data from "effect/Data"
import type * as MessageRef from "../MessageRef.js"

/**
 * A ref whose slot was freed (and maybe reused) since the ref was handed out, or a ref from
 * another arena. Nothing was read, retained or released.
 *
 * @since 0.1.0
 * @category errors
 */
export class StaleRef extends Data.TaggedError("StaleRef")<{
  readonly ref: MessageRef.MessageRef
  /**
   * The slot's generation now, which differs from `ref.generation`; `undefined` when the ref's
   * index is outside this arena (the ref came from a larger arena).
   */
  readonly currentGeneration: number | undefined
}> {
  override get message() {
    return this.currentGeneration === undefined
      ? `${this.ref} does not belong to this arena: there is no slot ${this.ref.index}`
      : `${this.ref} is stale: its message was freed and slot ${this.ref.index} is now at generation ${this.currentGeneration}`
  }
}

/**
 * The arena had no room for the payload and was made with `onFull: "fail"`. The facts are the
 * arena's occupancy when the allocation was refused.
 *
 * @since 0.1.0
 * @category errors
 */
export class ArenaFull extends Data.TaggedError("ArenaFull")<{
  readonly capacity: number
  readonly live: number
  readonly bytes: number
}> {
  override get message() {
    return `arena full: ${this.live} of ${this.capacity} slots live, holding ${this.bytes} bytes`
  }
}

/**
 * The arena's scope has closed: it freed every message and refuses every operation but `stats`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ArenaClosed extends Data.TaggedError("ArenaClosed")<{
  /** The arena's name, as given in its options. */
  readonly arena: string
}> {
  override get message() {
    return `arena "${this.arena}" is closed`
  }
}

/**
 * A payload larger than the arena's `maxBytes`: it could never fit, so the allocation fails
 * instead of waiting forever.
 *
 * @since 0.1.0
 * @category errors
 */
export class PayloadTooLarge extends Data.TaggedError("PayloadTooLarge")<{
  readonly size: number
  readonly maxBytes: number
}> {
  override get message() {
    return `payload of ${this.size} bytes exceeds the arena's maxBytes of ${this.maxBytes}`
  }
}

/**
 * `retain` on a message whose refcount is already at the 32-bit maximum. The count is unchanged.
 *
 * @since 0.1.0
 * @category errors
 */
export class RefcountOverflow extends Data.TaggedError("RefcountOverflow")<{
  readonly ref: MessageRef.MessageRef
  readonly max: number
}> {
  override get message() {
    return `cannot retain ${this.ref}: its refcount is already at the maximum of ${this.max}`
  }
}

/**
 * An arena option outside its allowed range, e.g. a capacity of 0. No arena was created.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidArenaConfig extends Data.TaggedError("InvalidArenaConfig")<{
  /** The option's name, e.g. `"capacity"`. */
  readonly option: string
  readonly value: unknown
  /** What the option must be. */
  readonly expected: string
}> {
  override get message() {
    return `invalid arena option ${this.option} = ${String(this.value)}: expected ${this.expected}`
  }
}

/**
 * A count argument (e.g. `retainAll`'s `times`) that is not a non-negative safe integer. Nothing
 * was changed.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCount extends Data.TaggedError("InvalidCount")<{
  readonly count: number
}> {
  override get message() {
    return `invalid count ${this.count}: expected a non-negative integer`
  }
}
