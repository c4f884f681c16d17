/**
 * Watch: live per-topic feeds of ingested frames (the `/rpc` WatchTopic procedure).
 *
 * Everything for watching lives in this module; ingest makes one call, `publish`, once a frame
 * is counted. With no watcher, `publish` is one `Map.size` check. A watched topic has one
 * @weft/channel `Broadcast` with lag policy "dropOldest": publishing never waits, so ingest is
 * never held back by a watcher, and a watcher that falls `watchCapacity` frames behind loses the
 * oldest ones. It learns how many from the `skipped` field of the next frame it receives, and
 * `WatchStats.skipped` counts every loss.
 */
import { Bytes } from "@weft/bytes"
import { Broadcast, Semaphore } from "@weft/channel"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Frame from "../Frame.js"

/** Frames a watched topic keeps for its slowest watcher; beyond that the oldest are dropped. */
export const watchCapacity = 256

/** Most frames one chunk of a watcher's stream holds (what is ready is emitted at once). */
const watchBatch = 32

/** One ingested frame as a watcher receives it. Owned: nothing in it points into the arena. */
export interface WatchedFrame {
  readonly topic: string
  /**
   * The payload, copied out of the ingested frame into a fresh buffer when it was published.
   * The watchers of one topic share it: treat it as read-only.
   */
  readonly payload: Uint8Array
  /** The frame's place in ingest order: `counters.framesIn` right after it was counted. */
  readonly seq: number
  /** When it was ingested (epoch milliseconds, from the gateway's `Clock`). */
  readonly at: number
  /** Frames of this topic this watcher lost just before this one, because it fell behind. */
  readonly skipped: number
}

/** The watch feeds at one instant. */
export interface WatchStats {
  /** Open `watchTopic` streams. */
  readonly watchers: number
  /** Topics with at least one watcher (one feed each). */
  readonly topics: number
  /** Frames copied into a feed. */
  readonly published: number
  /** Frames handed to watchers, once per watcher. */
  readonly delivered: number
  /** Frames watchers lost because they fell behind, once per watcher. */
  readonly skipped: number
}

interface Feed {
  readonly sender: Broadcast.Sender<WatchedFrame>
  watchers: number
}

interface Watcher {
  readonly feed: Feed
  readonly subscription: Broadcast.Subscription<WatchedFrame>
}

/** The gateway's watch feeds. Closing the scope ends every watcher's stream. */
export const makeWatch = Effect.gen(function*() {
  const clock = yield* Effect.clock
  const feeds = new Map<string, Feed>()
  const counts = { watchers: 0, published: 0, delivered: 0, skipped: 0 }
  // Feeds are created and removed under this lock, so two first watchers of a topic share one.
  const lock = Semaphore.unsafeMake(1)

  /** `publish` for `frames[from..to)`, whose seqs start at `firstSeq`: nothing to do without watchers. */
  const publishAll = (frames: ReadonlyArray<Bytes.Bytes>, from: number, to: number, firstSeq: number) => {
    if (feeds.size === 0) return Effect.void
    let i = from
    return Effect.whileLoop({
      while: () => i < to,
      body: () => publish(frames[i]!, firstSeq + i - from),
      step: () => {
        i++
      }
    })
  }

  /** Called by ingest for every frame counted in `framesIn` (`seq` is its new value). */
  const publish = (frame: Bytes.Bytes, seq: number): Effect.Effect<void> => {
    if (feeds.size === 0) return Effect.void
    const parsed = Frame.parse(frame)
    if (Option.isNone(parsed)) return Effect.void
    const { payload, topic } = parsed.value
    const feed = feeds.get(topic)
    if (feed === undefined) return Effect.void
    counts.published++
    const watched: WatchedFrame = {
      topic,
      // A fresh, exact-size buffer: `new Uint8Array(view)` copies (a Node Buffer's `slice` would not).
      payload: new Uint8Array(Bytes.toUint8Array(payload)),
      seq,
      at: clock.unsafeCurrentTimeMillis(),
      skipped: 0
    }
    // "dropOldest" never waits. The only failure is ChannelClosed: the feed's last watcher left
    // after the lookup above, so there is nobody to deliver to.
    return Effect.ignore(Broadcast.send(feed.sender, watched))
  }

  const subscribe = (topic: string): Effect.Effect<Watcher> =>
    Semaphore.withPermit(lock)(Effect.gen(function*() {
      let feed = feeds.get(topic)
      let subscription: Broadcast.Subscription<WatchedFrame>
      if (feed === undefined) {
        const [sender, first] = yield* Effect.orDie(
          Broadcast.make<WatchedFrame>({ capacity: watchCapacity, lag: "dropOldest" })
        )
        feed = { sender, watchers: 0 }
        feeds.set(topic, feed)
        subscription = first
      } else {
        subscription = yield* Broadcast.subscribe(feed.sender)
      }
      feed.watchers++
      counts.watchers++
      return { feed, subscription }
    }))

  const unsubscribe = (topic: string, { feed, subscription }: Watcher): Effect.Effect<void> =>
    Semaphore.withPermit(lock)(Effect.suspend(() => {
      feed.watchers--
      counts.watchers--
      if (feed.watchers > 0) return Broadcast.unsubscribe(subscription)
      // The last watcher: the topic goes back to costing ingest nothing.
      if (feeds.get(topic) === feed) feeds.delete(topic)
      return Effect.zipRight(Broadcast.unsubscribe(subscription), Broadcast.close(feed.sender))
    }))

  /** One watcher's frames, in chunks of up to `watchBatch`; a lag is counted on the frame after it. */
  const frames = (subscription: Broadcast.Subscription<WatchedFrame>): Stream.Stream<WatchedFrame> => {
    let skipped = 0
    return Broadcast.toStream(subscription, { maxChunkSize: watchBatch }).pipe(
      Stream.filterMap((next) => {
        // A Lagged notice comes just before the oldest frame still retained (never the end).
        if (Either.isLeft(next)) {
          skipped += next.left.skipped
          counts.skipped += next.left.skipped
          return Option.none()
        }
        counts.delivered++
        if (skipped === 0) return Option.some(next.right)
        const lagged = { ...next.right, skipped }
        skipped = 0
        return Option.some(lagged)
      })
    )
  }

  const watchTopic = (topic: string): Stream.Stream<WatchedFrame> =>
    Stream.unwrapScoped(
      Effect.map(
        Effect.acquireRelease(subscribe(topic), (watcher) => unsubscribe(topic, watcher)),
        ({ subscription }) => frames(subscription)
      )
    )

  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      const open = Array.from(feeds.values())
      feeds.clear()
      return Effect.forEach(open, (feed) => Broadcast.close(feed.sender), { discard: true })
    })
  )

  const stats = (): WatchStats => ({ ...counts, topics: feeds.size })
  return { publish, publishAll, watchTopic, stats } as const
})

/** The gateway's watch feeds. */
export type TopicWatch = Effect.Effect.Success<typeof makeWatch>
