/**
 * Read deadlines for TCP ingest connections, against slow clients that would otherwise hold a
 * connection slot forever (slowloris): an idle timeout (no bytes for `idleTimeout`) and a
 * deadline for completing a started frame (its last byte within `frameDeadline` of its first).
 *
 * Cheap by construction: the read path only adds byte counts and stores timestamps (per chunk,
 * never per frame, and no Effect or fiber of its own); one sweeper fiber per gateway compares the
 * timestamps every `tick` and closes the connections past a limit.
 *
 * Only time the gateway spends waiting for the client counts: while a connection's frames are
 * being ingested (a full arena or a slow plugin holds ingest, and TCP pushes back on the client),
 * it is never timed out, and after ingest its clocks start again.
 *
 * @since 0.1.0
 */
import type { Bytes } from "@weft/bytes"
import type { Scope } from "effect"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/**
 * A connection that sent nothing for `limitMs` while the gateway waited for it.
 *
 * @since 0.1.0
 * @category errors
 */
export class IdleTimeout extends Data.TaggedError("IdleTimeout")<{
  readonly peer: string
  readonly idleMs: number
  readonly limitMs: number
}> {
  override get message() {
    return `connection ${this.peer} idle for ${this.idleMs} ms (limit ${this.limitMs} ms)`
  }
}

/**
 * A connection that started a frame and did not complete it within `limitMs`.
 *
 * @since 0.1.0
 * @category errors
 */
export class FrameDeadline extends Data.TaggedError("FrameDeadline")<{
  readonly peer: string
  /** Time since the unfinished frame's first byte (or since ingest last let the client go on). */
  readonly elapsedMs: number
  readonly limitMs: number
  /** Bytes of the unfinished frame received so far (its header included). */
  readonly receivedBytes: number
}> {
  override get message() {
    return `connection ${this.peer} did not complete a frame within ${this.limitMs} ms `
      + `(${this.receivedBytes} bytes of it in ${this.elapsedMs} ms)`
  }
}

/**
 * Why the sweeper closed a connection.
 *
 * @since 0.1.0
 * @category errors
 */
export type Expired = IdleTimeout | FrameDeadline

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly idleTimeout: Duration.DurationInput
  readonly frameDeadline: Duration.DurationInput
  /** Bytes each frame has on the wire besides the decoded frame (its length header). */
  readonly headerBytes: number
}

/**
 * Connections closed by each limit; the caller's own counters, updated in place.
 *
 * @since 0.1.0
 * @category models
 */
export interface Counts {
  idleTimeouts: number
  frameDeadlines: number
}

/**
 * One connection's read clocks.
 *
 * @since 0.1.0
 * @category models
 */
export class Watched {
  /** Why the sweeper closed it, once it did. */
  expired: Expired | undefined = undefined
  /** Bytes read from the socket, and bytes of them that decoded into whole frames. */
  received = 0
  decoded = 0
  /** When the unfinished frame's clock started; -1 when every byte read is part of a whole frame. */
  frameStartedAt = -1
  /** Ingesting: the gateway, not the client, is what the connection waits for. */
  ingesting = false
  constructor(
    readonly peer: string,
    readonly close: () => void,
    /** When the gateway last got bytes from the client (or last finished ingesting). */
    public lastReadAt: number
  ) {}
}

/**
 * The sweeper and the connections it watches. The read path calls `received`, `ingesting` and
 * `ingested` (plain functions, no Effect); the sweeper closes what is past a limit.
 *
 * @since 0.1.0
 * @category models
 */
export class Tracker {
  private readonly connections = new Set<Watched>()
  /** How often the sweeper looks. A connection is closed at most one tick after its limit. */
  readonly tickMs: number

  constructor(
    readonly idleMs: number,
    readonly frameDeadlineMs: number,
    private readonly headerBytes: number,
    private readonly counts: Counts,
    private readonly now: () => number
  ) {
    this.tickMs = Math.min(1000, Math.max(10, Math.min(idleMs, frameDeadlineMs) / 10))
  }

  /** Connections watched now. */
  get size(): number {
    return this.connections.size
  }

  /**
   * Starts watching a connection: its clocks start now. `close` is how the sweeper ends it (e.g.
   * destroying the socket, so the read fails); `expired` then says why.
   */
  watch(peer: string, close: () => void): Watched {
    const watched = new Watched(peer, close, this.now())
    this.connections.add(watched)
    return watched
  }

  /** Stops watching (the client half-closed, or the connection ended). Idempotent. */
  unwatch(watched: Watched): void {
    this.connections.delete(watched)
  }

  /** The read path got `bytes` from the socket. A byte that follows only whole frames starts a frame's clock. */
  received(watched: Watched, bytes: number): void {
    const at = this.now()
    if (watched.received === watched.decoded) watched.frameStartedAt = at
    watched.received += bytes
    watched.lastReadAt = at
  }

  /** `frames` were decoded and are about to be ingested: the connection waits for the gateway. */
  ingesting(watched: Watched, frames: ReadonlyArray<Bytes.Bytes>): void {
    let bytes = 0
    for (let i = 0; i < frames.length; i++) bytes += frames[i]!.length + this.headerBytes
    watched.decoded += bytes
    watched.ingesting = true
  }

  /**
   * Ingest is done: the clocks start again now, so time spent ingesting is never charged to the
   * client. A frame still unfinished began in the last bytes read (the decoder emits every whole
   * frame before it reads more), so its deadline runs from now too.
   */
  ingested(watched: Watched): void {
    const at = this.now()
    watched.ingesting = false
    watched.lastReadAt = at
    watched.frameStartedAt = watched.received > watched.decoded ? at : -1
  }

  /** Checks every connection now (the sweeper runs this every tick). */
  sweep(): void {
    const at = this.now()
    for (const watched of this.connections) {
      if (watched.ingesting) continue
      const pending = watched.received - watched.decoded
      const elapsedMs = at - watched.frameStartedAt
      if (pending > 0 && elapsedMs >= this.frameDeadlineMs) {
        this.counts.frameDeadlines++
        this.expire(
          watched,
          new FrameDeadline({ peer: watched.peer, elapsedMs, limitMs: this.frameDeadlineMs, receivedBytes: pending })
        )
      } else if (at - watched.lastReadAt >= this.idleMs) {
        this.counts.idleTimeouts++
        this.expire(
          watched,
          new IdleTimeout({ peer: watched.peer, idleMs: at - watched.lastReadAt, limitMs: this.idleMs })
        )
      }
    }
  }

  private expire(watched: Watched, error: Expired): void {
    watched.expired = error
    this.connections.delete(watched)
    watched.close()
  }
}

/**
 * A tracker whose sweeper runs every `tickMs` until the scope closes; `counts` is updated in place
 * as connections expire. Both limits must be positive and finite (the gateway validates its config).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options, counts: Counts): Effect.Effect<Tracker, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const tracker = new Tracker(
      Duration.toMillis(options.idleTimeout),
      Duration.toMillis(options.frameDeadline),
      options.headerBytes,
      counts,
      () => clock.unsafeCurrentTimeMillis()
    )
    yield* Effect.forkScoped(
      Effect.repeat(Effect.sync(() => tracker.sweep()), Schedule.spaced(Duration.millis(tracker.tickMs)))
    )
    return tracker
  })
