/**
 * The `/events` ticks, computed once per tick for all the subscribers that asked for the same
 * interval and top-N (the page's default: every 500 ms, top 10), not once per subscriber. A ticker
 * fiber per parameter pair — started by its first subscriber, stopped with its last — takes the
 * gateway snapshot, the rates since its previous tick and the dashboard's view, encodes them as
 * JSON once, and publishes them to a `Watch` (the latest tick only). Each subscriber follows the
 * watch: a slow one skips to the newest tick (`skipped` says how many it missed), so it never
 * holds back the gateway or the other subscribers. 16 pages cost one snapshot per tick and 16
 * socket writes.
 *
 * A subscriber's first tick is the newest one already published (a ticker takes its first tick
 * when it starts), with the recent time series added (`history`), so a page draws at once.
 *
 * Cancellation safety: interrupting a subscriber's stream releases its ticker (the last one stops
 * it); an interrupted wait for the next tick consumes nothing. Closing the scope the ticks were
 * made in stops every ticker and ends every subscriber's stream.
 */
import { Semaphore, Watch } from "@weft/channel"
import type { Scope } from "effect"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type * as Gateway from "../Gateway.js"
import type * as Series from "./Series.js"

/** One tick as a subscriber receives it: a snapshot, rates since the previous tick, the page's view. */
export interface Tick<View> extends Gateway.Snapshot {
  readonly framesPerSecond: number
  readonly bytesPerSecond: number
  readonly dashboard: View
  /** Ticks this subscriber missed just before this one, because it fell behind. */
  readonly skipped: number
  /** The recent time series: in a subscriber's first tick only. */
  readonly history?: ReadonlyArray<Series.Point>
}

/** A published tick: its number and its JSON without `skipped` and `history`. */
interface Published {
  readonly seq: number
  readonly json: string
}

interface Ticker {
  readonly sender: Watch.Sender<Published>
  readonly fiber: Fiber.RuntimeFiber<unknown>
  subscribers: number
}

/** What the ticks are made of. */
export interface Sources<View> {
  readonly snapshot: (options: { readonly top: number }) => Effect.Effect<Gateway.Snapshot>
  readonly view: Effect.Effect<View>
  readonly history: () => ReadonlyArray<Series.Point>
}

/** A `Tick`'s JSON with `fields` (already encoded, `"name":value,` each) put first. */
const withFields = (json: string, fields: string) => `{${fields}${json.slice(1)}`

/** The shared tickers of one gateway; closing `scope` stops them all. */
export const make = <View>(sources: Sources<View>): Effect.Effect<
  (options: { readonly intervalMs: number; readonly top: number }) => Stream.Stream<string>,
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const tickers = new Map<string, Ticker>()
    // Tickers are started and stopped under this lock, so two first subscribers share one.
    const lock = Semaphore.unsafeMake(1)

    const startTicker = (intervalMs: number, top: number) =>
      Effect.gen(function*() {
        let previous: Gateway.Snapshot | undefined
        let seq = 0
        const tick = Effect.map(Effect.zip(sources.snapshot({ top }), sources.view), ([snapshot, dashboard]) => {
          const seconds = previous === undefined ? 0 : (snapshot.at - previous.at) / 1000
          const rate = (now: number, before: number) => seconds > 0 ? Math.round((now - before) / seconds) : 0
          const tick: Omit<Tick<View>, "skipped"> = {
            ...snapshot,
            framesPerSecond: rate(snapshot.framesIn, previous?.framesIn ?? 0),
            bytesPerSecond: rate(snapshot.bytesIn, previous?.bytesIn ?? 0),
            dashboard
          }
          previous = snapshot
          return { seq: ++seq, json: JSON.stringify(tick) } satisfies Published
        })
        // The first tick is taken at once, so the first subscriber has it without waiting.
        const [sender] = yield* Effect.flatMap(tick, Watch.make)
        // Interrupted by its last subscriber's release. Forked interruptible: it is started from
        // that acquire, which is uninterruptible, and a fork inherits that.
        const publish = Effect.flatMap(tick, (published) => Watch.send(sender, published))
        const fiber = yield* Effect.sleep(intervalMs).pipe(
          Effect.zipRight(Effect.repeat(publish, Schedule.spaced(intervalMs))),
          // A send fails only once the watch is closed: the ticker is being stopped.
          Effect.ignore,
          Effect.interruptible,
          Effect.forkIn(scope)
        )
        return { sender, fiber, subscribers: 0 } satisfies Ticker
      })

    const acquire = (key: string, intervalMs: number, top: number) =>
      Semaphore.withPermit(lock)(Effect.gen(function*() {
        const ticker = tickers.get(key) ?? (yield* startTicker(intervalMs, top))
        tickers.set(key, ticker)
        ticker.subscribers++
        return ticker
      }))

    const release = (key: string, ticker: Ticker) =>
      Semaphore.withPermit(lock)(Effect.suspend(() => {
        if (--ticker.subscribers > 0) return Effect.void
        tickers.delete(key)
        return Effect.zipRight(Watch.close(ticker.sender), Fiber.interrupt(ticker.fiber))
      }))

    yield* Effect.addFinalizer(() =>
      Effect.forEach(tickers.values(), (ticker) => Watch.close(ticker.sender), { discard: true })
    )

    return ({ intervalMs, top }) =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const key = `${intervalMs}/${top}`
        const ticker = yield* Effect.acquireRelease(acquire(key, intervalMs, top), (ticker) => release(key, ticker))
        const receiver = yield* Watch.subscribe(ticker.sender)
        let lastSeq: number | undefined
        const encode = (published: Published) => {
          const fields = lastSeq === undefined
            ? `"skipped":0,"history":${JSON.stringify(sources.history())},`
            : `"skipped":${published.seq - lastSeq - 1},`
          lastSeq = published.seq
          return withFields(published.json, fields)
        }
        // The first tick is the newest one published; then each newer one.
        return Stream.repeatEffectOption(
          Effect.suspend(() => lastSeq === undefined ? Watch.markSeen(receiver) : Watch.changed(receiver)).pipe(
            Effect.map(encode),
            // ChannelClosed: the ticker stopped (shutdown); the stream ends.
            Effect.mapError(() => Option.none())
          )
        )
      }))
  })
