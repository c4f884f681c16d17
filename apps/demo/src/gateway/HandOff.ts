/**
 * The hand-over from the arena to the dispatcher, with no gap an interruption could fall into.
 */
import type { MessageArena, MessageRef } from "@weft/arena"
import type { Bytes } from "@weft/bytes"
import { Dispatcher } from "@weft/dispatch"
import * as Effect from "effect/Effect"

/** What {@link handOff} tells its caller about one batch; each is a synchronous step. */
export interface HandOffEvents {
  /** The refs were stored (before any plugin can see them). */
  readonly stored: (refs: ReadonlyArray<MessageRef.MessageRef>) => void
  /** A lane turned the batch away ("fail" lane full, or a stopping plugin): only some plugins have it. */
  readonly partial: (refs: ReadonlyArray<MessageRef.MessageRef>) => void
  /** Every plugin has the batch. The effect it returns must not wait (it runs uninterruptibly). */
  readonly dispatched: (refs: ReadonlyArray<MessageRef.MessageRef>) => Effect.Effect<void>
}

/**
 * Stores the longest prefix of `frames` that fits in the arena now (waiting for room when not even
 * the first fits) and hands it to the dispatcher as one `Deliveries` batch per plugin. Returns how
 * many frames were stored (call again with the rest).
 *
 * The refs go from the arena to the dispatcher with no interruption point in between (the
 * hand-over the Dispatcher module documents), so shutdown cannot strand a stored frame.
 *
 * Cancellation safety: only two waits are interruptible — the arena's (which then has stored
 * nothing) and the dispatcher's wait for room in a lane (which then releases every ref it did not
 * hand to a plugin). No slot is leaked and no plugin gets a batch twice.
 */
export const handOff = (
  arena: MessageArena.MessageArena.Service,
  dispatcher: Dispatcher.Dispatcher<Dispatcher.Deliveries>,
  frames: ReadonlyArray<Bytes.Bytes>,
  events: HandOffEvents
) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(restore(arena.allocUpTo(frames)), (refs) => {
      events.stored(refs)
      return Effect.matchEffect(Dispatcher.dispatchBatch(dispatcher, arena, refs), {
        onFailure: (error) => {
          if (error._tag !== "ActorStopping" && error._tag !== "MailboxFull") return Effect.fail(error)
          events.partial(refs)
          return Effect.succeed(refs.length)
        },
        onSuccess: () => Effect.as(events.dispatched(refs), refs.length)
      })
    })
  )
