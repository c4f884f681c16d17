/**
 * What the `weft-demo` commands print: the summaries after a run, a watched frame, and the live
 * progress line (rewritten in place on a terminal, one line a second elsewhere).
 */
import * as Terminal from "@effect/platform/Terminal"
import type { Context } from "effect"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Acks from "./Acks.js"
import type * as Gateway from "./Gateway.js"
import * as Load from "./Load.js"
import type * as Rpc from "./Rpc.js"

const sum = (values: Iterable<number>) => {
  let total = 0
  for (const value of values) total += value
  return total
}

/** p50/p99 (and max) of a latency summary, or nothing when no frame was measured. */
const formatLatency = (latency: Acks.LatencySummary | undefined) =>
  latency === undefined || latency.count === 0
    ? "no frames measured"
    : `p50 ${milliseconds(latency.p50Ms)} · p99 ${milliseconds(latency.p99Ms)} · max ${
      milliseconds(latency.maxMs)
    } (${latency.count} frames)`

/** Three significant digits at most: the histogram behind it is within ±4.5% anyway. */
const milliseconds = (ms: number) => `${Number(ms.toPrecision(3))} ms`

/**
 * The last lines `serve` and `weft-demo` print, read after the graceful shutdown (so `acked` is
 * final). `latency` is ingest → durable in the sink, from the gateway's last snapshot.
 */
export const formatSummary = (
  gateway: Context.Tag.Service<Gateway.Gateway>,
  facts: { readonly load?: Load.Progress | undefined; readonly latency?: Acks.LatencySummary | undefined }
): string => {
  const { counters, sink } = gateway
  const reasons = Array.from(counters.deadLetters, ([reason, n]) => `${reason} ${n}`).join(", ")
  return [
    "",
    "summary",
    ...(facts.load === undefined ? [] : [`  frames sent       ${facts.load.sent}  (built-in load)`]),
    `  frames in         ${counters.framesIn}${
      counters.framesPartial === 0 ? "" : ` (+${counters.framesPartial} partial)`
    }`,
    `  acked (fsynced)   ${sink.acked}  → ${gateway.config.sinkPath}`,
    `  dead letters      ${sum(counters.deadLetters.values())}${reasons === "" ? "" : ` (${reasons})`}`,
    `  restarts          ${sum(counters.restarts.values())}`,
    `  connection errors ${counters.connectionsFailed}`,
    `  latency           ${formatLatency(facts.latency)}  (ingest → fsynced)`,
    ...(facts.load === undefined ? [] : [
      `  client latency    ${formatLatency(Load.latency(facts.load))}  (send → ack, ${facts.load.acked} acked)`
    ])
  ].join("\n")
}

/** The progress line of a running gateway: frames/s, counters, arena occupancy. */
export const formatProgress = (s: Gateway.Snapshot, perSecond: number): string =>
  `  ${perSecond} frames/s · ${s.framesIn} in · ${s.acked} acked · arena ${s.arena.live}/${s.arena.capacity}`
  + ` · ${s.deadLetters} dead letters · ${sum(Object.values(s.restarts))} restarts`

/**
 * A live progress line: on a terminal, one line rewritten in place (`\r`, then clear to the end of
 * the line) four times a second; otherwise (logs, pipes, tests) one plain line per second. Runs
 * until interrupted, then ends the rewritten line with a newline.
 */
export const progressLine = <E, R>(render: Effect.Effect<string, E, R>) =>
  Effect.gen(function*() {
    const terminal = yield* Terminal.Terminal
    if (yield* terminal.isTTY) {
      return yield* render.pipe(
        Effect.flatMap((line) => Effect.ignore(terminal.display(`\r${line}\u001b[K`))),
        Effect.repeat(Schedule.spaced("250 millis")),
        Effect.ensuring(Effect.ignore(terminal.display("\n")))
      )
    }
    return yield* render.pipe(
      Effect.flatMap((line) => Console.log(line)),
      Effect.repeat(Schedule.spaced("1 second"))
    )
  })

/** Frames per second between two readings of a counter. */
export const rateMeter = (read: () => number) =>
  Effect.map(Clock.currentTimeMillis, (startedAt) => {
    let last = { at: startedAt, count: read() }
    return Effect.map(Clock.currentTimeMillis, (now) => {
      const count = read()
      const perSecond = now > last.at ? Math.round(((count - last.count) * 1000) / (now - last.at)) : 0
      last = { at: now, count }
      return perSecond
    })
  })

/**
 * The last lines `load` prints: frames sent, acked and unacked, and the send → ack latency; when
 * the gateway went away (`closed`), that it closed the connection.
 */
export const formatLoadSummary = (progress: Load.Progress, closed: Load.ServerClosed | undefined): string => {
  const unacked = progress.sent - progress.acked
  return [
    "",
    "summary",
    ...(closed === undefined ? [] : [`  ${closed.message}: the load stopped there`]),
    `  frames sent       ${progress.sent}`,
    `  acked             ${progress.acked}`,
    `  unacked           ${unacked}${unacked === 0 ? "" : " (no ack received before the load stopped)"}`,
    `  latency           ${formatLatency(Load.latency(progress))}  (send → ack)`
  ].join("\n")
}

/** One watched frame as `watch` prints it: sequence, topic, size, the first bytes in hex. */
export const formatWatched = (frame: typeof Rpc.WatchedFrame.Type): string => {
  const preview = Array.from(frame.payload.subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("")
  return [
    `#${frame.seq}`,
    frame.topic,
    `${frame.payload.length} B`,
    `${preview}${frame.payload.length > 16 ? "…" : ""}`,
    ...(frame.skipped === 0 ? [] : [`(${frame.skipped} lost before this one: this watcher fell behind)`])
  ].join("  ")
}
