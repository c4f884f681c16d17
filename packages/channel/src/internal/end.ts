import * as Inspectable from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"

/**
 * What every channel end shares: `pipe`, and inspection through `toJSON`.
 *
 * @internal
 */
export abstract class ChannelEnd implements Inspectable.Inspectable {
  abstract toJSON(): unknown
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}
