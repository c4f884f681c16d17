/**
 * The errors every channel in `@weft/channel` shares, and the one of its `Semaphore`.
 *
 * End of channel is always the typed error {@link ChannelClosed}: a receiver sees it once the
 * channel is closed and everything buffered has been received; a sender sees it as soon as the
 * channel is closed.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * Which kind of channel an error comes from.
 *
 * @since 0.1.0
 * @category models
 */
export type ChannelKind = "mpsc" | "oneshot" | "broadcast" | "watch"

/**
 * End of channel: the channel was closed (and, for a receiver, is drained).
 *
 * `accepted` is set by a batch send (`Mpsc.sendAll`) that the close cut short: how many of its
 * messages — always the first ones, in order — the channel had accepted before. They are
 * delivered to receivers like any others; the rest were not sent. Absent for every other
 * operation.
 *
 * @since 0.1.0
 * @category errors
 */
export class ChannelClosed extends Data.TaggedError("ChannelClosed")<{
  readonly channel: ChannelKind
  readonly accepted?: number | undefined
}> {
  override get message() {
    const closed = `the ${this.channel} channel is closed`
    return this.accepted === undefined ? closed : `${closed}; the first ${this.accepted} message(s) were accepted`
  }
}

/**
 * A channel was asked for with a capacity that is not a positive integer.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCapacity extends Data.TaggedError("InvalidCapacity")<{
  readonly channel: ChannelKind
  readonly capacity: number
}> {
  override get message() {
    return `the capacity of a ${this.channel} channel must be a positive integer, got ${this.capacity}`
  }
}

/**
 * A semaphore was asked for with a number of permits that is not a positive integer.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPermits extends Data.TaggedError("InvalidPermits")<{
  readonly permits: number
}> {
  override get message() {
    return `the permits of a semaphore must be a positive integer, got ${this.permits}`
  }
}

/**
 * A broadcast subscriber fell so far behind that `skipped` messages were dropped before it could
 * receive them (lag policy `"dropOldest"`). The next receive returns the oldest message still
 * retained.
 *
 * @since 0.1.0
 * @category errors
 */
export class Lagged extends Data.TaggedError("Lagged")<{
  readonly skipped: number
}> {
  override get message() {
    return `the subscriber lagged behind and missed ${this.skipped} message(s)`
  }
}

/**
 * A {@link https://docs.rs/tokio/latest/tokio/sync/mpsc/struct.Permit.html permit} was used after
 * it had already sent its message or been released.
 *
 * @since 0.1.0
 * @category errors
 */
export class PermitUsed extends Data.TaggedError("PermitUsed")<{}> {
  override get message() {
    return "the permit was already used to send a message or released"
  }
}
