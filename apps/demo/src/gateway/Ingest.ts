/**
 * Ingest: each chunk of decoded frames becomes arena batches handed to every plugin (see
 * `HandOff`), with each frame's ack facts, the counters and the topic watchers updated on the way.
 */
import type { MessageArena } from "@weft/arena"
import type { Bytes } from "@weft/bytes"
import type { Dispatcher } from "@weft/dispatch"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Acks from "../Acks.js"
import * as Frame from "../Frame.js"
import type { Counters } from "./Counters.js"
import { handOff } from "./HandOff.js"
import type { TopicWatch } from "./TopicWatch.js"

/** What ingest writes to: the arena and dispatcher, the ack ledger, the counters and the watchers. */
export interface Deps {
  readonly arena: MessageArena.MessageArena.Service
  readonly dispatcher: Dispatcher.Dispatcher<Dispatcher.Deliveries>
  readonly frameIndex: Frame.Index
  readonly acks: Acks.Ledger
  readonly counters: Counters
  readonly watch: TopicWatch
}

/** Ingests one connection's chunk of decoded frames (data frames and ack requests, in order). */
export const make = ({ acks, arena, counters, dispatcher, frameIndex, watch }: Deps) => {
  // A run of data frames: stored in the arena a batch at a time (as many as fit now; a full
  // arena waits, so the bridge stops reading and TCP pushes back on the client), and each batch
  // handed to every plugin as one `Deliveries` message. A frame counts as in once it is stored,
  // before any plugin sees it. A batch cut off by shutdown while waiting for a full lane reached
  // only some plugins: it is acked only if the sink was one of them. A batch a lane turns away
  // ("fail" lane full) is also counted in `framesPartial` and the connection goes on.
  const ingestData = (connection: Acks.Connection, decodedAt: number, frames: ReadonlyArray<Bytes.Bytes>) => {
    let next = 0
    return Effect.whileLoop({
      while: () => next < frames.length,
      body: () =>
        Effect.map(ingestBatch(connection, decodedAt, frames, next), (stored) => {
          next += stored
        }),
      step: () => {}
    })
  }

  // One batch from `frames[from..]` (see `handOff`), with its ack facts and counters.
  const ingestBatch = (
    connection: Acks.Connection,
    decodedAt: number,
    frames: ReadonlyArray<Bytes.Bytes>,
    from: number
  ) => {
    let toSink = 0
    let firstSeq = 0
    return handOff(arena, dispatcher, from === 0 ? frames : frames.slice(from), {
      // Each frame's ack facts go into its slot's row, and the frame is counted in, before any
      // plugin can see it: the sink may make a batch durable (and ack it) while the dispatcher
      // still waits for another plugin's lane, so `acked ≤ framesIn` only holds if frames are
      // counted here, not once every plugin has them.
      stored: (refs) => {
        toSink = 0
        firstSeq = counters.framesIn + 1
        for (let i = 0; i < refs.length; i++) {
          const slot = refs[i]!.index
          Frame.indexFrame(frameIndex, slot, frames[from + i]!)
          if (Acks.admit(acks, connection, slot, decodedAt)) toSink++
          counters.bytesIn += frames[from + i]!.length
        }
        counters.framesIn += refs.length
      },
      partial: (refs) => {
        counters.framesPartial += refs.length
        for (let i = 0; i < toSink; i++) Acks.unadmit(connection)
      },
      // Never waits: a watcher that falls behind loses frames instead.
      dispatched: (refs) => watch.publishAll(frames, from, from + refs.length, firstSeq)
    })
  }

  type IngestError = Effect.Effect.Error<ReturnType<typeof ingestData>>

  // Each chunk of decoded frames is stamped once ("decoded at") and checked without an Effect
  // per frame; its runs of data frames are ingested in batches, in order with ack requests.
  const ingestChunk = (connection: Acks.Connection, chunk: Chunk.Chunk<Bytes.Bytes>) =>
    Effect.suspend(() => {
      const decodedAt = acks.now()
      const frames = Chunk.toReadonlyArray(chunk)
      let start = 0
      const loop = (): Effect.Effect<void, IngestError | Frame.MalformedFrame> => {
        for (let i = start; i < frames.length; i++) {
          const kind = Frame.classify(frames[i]!)
          if (kind === "data") continue
          const run = frames.slice(start, i)
          start = i + 1
          return Effect.zipRight(
            ingestData(connection, decodedAt, run),
            kind === "ackRequest"
              ? Effect.suspend(() => {
                Acks.requestAcks(connection)
                return loop()
              })
              : Effect.fail(kind)
          )
        }
        return ingestData(connection, decodedAt, start === 0 ? frames : frames.slice(start))
      }
      return loop()
    })

  return ingestChunk
}
