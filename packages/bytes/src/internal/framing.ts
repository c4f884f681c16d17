import type * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Stream from "effect/Stream"
import type * as Bytes from "../Bytes.js"
import { arr, isBytes } from "./bytes.js"

/** @internal */
export type Input = Uint8Array | Bytes.Bytes

/** @internal */
export const asUint8Array = (input: Input): Uint8Array => isBytes(input) ? arr(input) : input

/**
 * A synchronous decoder: chunks in, items appended to `out`, an error value instead of a throw.
 *
 * @internal
 */
export interface Core<A, Err> {
  decode(chunk: Uint8Array, out: Array<A>): Err | undefined
  finish(out: Array<A>): Err | undefined
}

type Loop<A, E, Err> = Channel.Channel<Chunk.Chunk<A>, Chunk.Chunk<Input>, E | Err, E, void, unknown>

/**
 * Runs a fresh `Core` per run of the stream: each upstream chunk of byte chunks is decoded in one
 * synchronous pass and its items emitted as one downstream chunk. On a decoding error the items
 * found before it are emitted first, then the stream fails.
 *
 * @internal
 */
export const decodeWith =
  <A, Err>(makeCore: () => Core<A, Err>) => <E, R>(self: Stream.Stream<Input, E, R>): Stream.Stream<A, E | Err, R> =>
    Stream.pipeThroughChannel(
      self,
      Channel.suspend(() => {
        const core = makeCore()
        const emitThen = (out: Array<A>, next: Loop<A, E, Err>): Loop<A, E, Err> =>
          out.length === 0 ? next : Channel.zipRight(Channel.write(Chunk.unsafeFromArray(out)), next)
        const end = (out: Array<A>, error: Err | undefined): Loop<A, E, Err> =>
          emitThen(out, error === undefined ? Channel.void : Channel.fail(error))
        const loop: Loop<A, E, Err> = Channel.readWithCause({
          onInput: (input: Chunk.Chunk<Input>) => {
            const out: Array<A> = []
            const chunks = Chunk.toReadonlyArray(input)
            for (let i = 0; i < chunks.length; i++) {
              const error = core.decode(asUint8Array(chunks[i]!), out)
              if (error !== undefined) return end(out, error)
            }
            return emitThen(out, loop)
          },
          onFailure: (cause: Cause.Cause<E>) => Channel.failCause(cause),
          onDone: () => {
            const out: Array<A> = []
            return end(out, core.finish(out))
          }
        })
        return loop
      })
    )
