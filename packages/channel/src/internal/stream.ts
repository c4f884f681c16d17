import type { Chunk } from "effect"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { ChannelClosed } from "../ChannelError.js"

const endOfStream = Effect.fail(Option.none())

/**
 * A stream of the chunks `pull` receives, ending when it fails with `ChannelClosed`. Each pull is
 * one batch receive, so an interrupted pull has taken nothing; a chunk taken belongs to the stream.
 *
 * @internal
 */
export const untilClosed = <A>(pull: Effect.Effect<Chunk.Chunk<A>, ChannelClosed>): Stream.Stream<A> =>
  Stream.repeatEffectChunkOption(Effect.catchAll(pull, () => endOfStream))

/** The most a pull takes when no `maxChunkSize` is given: everything buffered. @internal */
export const everything = Number.POSITIVE_INFINITY
