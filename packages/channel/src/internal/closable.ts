import * as Exit from "effect/Exit"
import { ChannelClosed, type ChannelKind } from "../ChannelError.js"

/**
 * What every channel's shared state has: the failure its operations report once it is closed,
 * made the first time one needs it. Constructing the error captures a stack trace, which cost
 * more than a whole oneshot exchange when every channel made it up front.
 *
 * @internal
 */
export abstract class Closable {
  private closedFailure: Exit.Exit<never, ChannelClosed> | undefined = undefined

  constructor(private readonly kind: ChannelKind) {}

  get closedExit(): Exit.Exit<never, ChannelClosed> {
    return this.closedFailure ??= Exit.fail(new ChannelClosed({ channel: this.kind }))
  }
}
