import { Broadcast } from "@weft/channel"
import { Chunk, Effect } from "effect"

/** Everything a subscription received so far, without waiting (a lag fails the test). */
export const receivedSoFar = <A>(subscription: Broadcast.Subscription<A>): Effect.Effect<Chunk.Chunk<A>> =>
  Effect.flatMap(
    Broadcast.pending(subscription),
    (n) => n === 0 ? Effect.succeed(Chunk.empty<A>()) : Effect.orDie(Broadcast.recvUpTo(subscription, n))
  )
