/**
 * The errors of `SharedArena`, declared here so that the implementation can raise them without
 * importing the public module that re-exports them. Schema classes, so that a job can fail with
 * them across threads.
 */
import * as Schema from "effect/Schema"
import { SharedRef } from "./sharedRef.js"

/**
 * A ref whose slot was freed (and maybe reused, possibly by another thread) since the ref was
 * handed out, or a ref from another arena. Nothing was read, retained or released.
 *
 * @since 0.1.0
 * @category errors
 */
export class StaleSharedRef extends Schema.TaggedError<StaleSharedRef>()("StaleSharedRef", {
  ref: SharedRef,
  /** The slot's generation now; `undefined` when the ref's index is outside this arena. */
  currentGeneration: Schema.UndefinedOr(Schema.Int)
}) {
  override get message() {
    return this.currentGeneration === undefined
      ? `${this.ref} does not belong to this arena`
      : `${this.ref} is stale: slot ${this.ref.index} is now at generation ${this.currentGeneration}`
  }
}

/**
 * Every slot is taken and the arena was made with `onFull: "fail"`.
 *
 * @since 0.1.0
 * @category errors
 */
export class SharedArenaFull extends Schema.TaggedError<SharedArenaFull>()("SharedArenaFull", {
  capacity: Schema.Int
}) {
  override get message() {
    return `shared arena is full: all ${this.capacity} slots are taken`
  }
}

/**
 * The payload does not fit in one slot.
 *
 * @since 0.1.0
 * @category errors
 */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", {
  size: Schema.Int,
  slotSize: Schema.Int
}) {
  override get message() {
    return `payload of ${this.size} bytes exceeds the slot size of ${this.slotSize}`
  }
}

/**
 * `SharedArena.make` was given a capacity or slot size that is not a positive integer, or that
 * needs more shared memory than one buffer can hold.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidSharedArenaOptions extends Schema.TaggedError<InvalidSharedArenaOptions>()(
  "InvalidSharedArenaOptions",
  { capacity: Schema.Number, slotSize: Schema.Number }
) {
  override get message() {
    return `shared arena needs a positive integer capacity and slot size with capacity × slotSize ≤ 2^31; got ${this.capacity} slots of ${this.slotSize} bytes`
  }
}
