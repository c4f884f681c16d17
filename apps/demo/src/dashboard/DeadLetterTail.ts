/**
 * The latest dead letters, for the dashboard's live tail: who the message was for, what it was
 * (its `_tag`) and why it was not processed. Only the newest `capacity` are kept; the gateway's
 * counters keep the exact totals by reason.
 */
import type { DeadLetter } from "@weft/actor"

/** One dead letter as the page shows it. */
export interface Entry {
  /** When the dashboard read it (epoch milliseconds). */
  readonly at: number
  readonly actor: string
  /** The message's `_tag`, or its JavaScript type when it has none. */
  readonly tag: string
  readonly reason: DeadLetter.Reason
}

/** The newest dead letters, oldest first, at most `capacity`. */
export interface DeadLetterTail {
  readonly capacity: number
  readonly entries: Array<Entry>
}

export const make = (capacity: number): DeadLetterTail => ({ capacity, entries: [] })

const tagOf = (message: unknown): string =>
  typeof message === "object" && message !== null && "_tag" in message && typeof message._tag === "string"
    ? message._tag
    : typeof message

/** Adds a dead letter read at `now`, dropping the oldest beyond the capacity. */
export const record = (tail: DeadLetterTail, letter: DeadLetter.DeadLetter, now: number): void => {
  tail.entries.push({ at: now, actor: letter.actor, tag: tagOf(letter.message), reason: letter.reason })
  if (tail.entries.length > tail.capacity) tail.entries.splice(0, tail.entries.length - tail.capacity)
}

/** The newest `count` entries, newest first (owned copies). */
export const latest = (tail: DeadLetterTail, count: number): ReadonlyArray<Entry> =>
  tail.entries.slice(-count).reverse()
