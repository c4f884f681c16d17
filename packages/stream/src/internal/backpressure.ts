import { Mpsc } from "@weft/channel"
import type { Fiber } from "effect"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import type { Scope } from "effect/Scope"
import * as Stream from "effect/Stream"
import { InvalidArgument, isPositiveInteger, isStream } from "./errors.js"
import { elementsPerCheck, EventLoopBudget } from "./eventLoopBudget.js"

/** @internal */
export interface ConcurrencyOptions {
  readonly bufferSize?: number | undefined
}

/** @internal */
export const defaultBufferSize = 256

const validate = (
  operation: string,
  n: number,
  options: ConcurrencyOptions | undefined
): InvalidArgument | undefined => {
  if (!isPositiveInteger(n)) {
    return new InvalidArgument({ operation, argument: "concurrency", value: n, expected: "a positive integer" })
  }
  const bufferSize = options?.bufferSize ?? defaultBufferSize
  if (!isPositiveInteger(bufferSize)) {
    return new InvalidArgument({ operation, argument: "bufferSize", value: bufferSize, expected: "a positive integer" })
  }
  return undefined
}

/**
 * The engine behind the concurrency combinators: one producer fiber pulls the upstream and admits
 * elements into a window of `concurrency + bufferSize` slots, `concurrency` long-lived workers
 * take jobs from an `Mpsc` in batches and run `f` one element at a time, and the consumer takes
 * finished results. Nothing forks per element; an `f` that completes synchronously runs inline in
 * its worker without suspending.
 *
 * Coordination is plain state plus three latches (the consumer's, the producer's and the one idle
 * workers wait on while another worker fetches a batch). Every check
 * and the `unsafeClose` that precedes a wait happen in one synchronous step, and every state
 * change opens the latch of whoever may be waiting for it, so no wake-up is lost.
 */
abstract class Pool<A, J, B, E> {
  /** Elements admitted into the window so far. */
  admitted = 0
  /** Elements whose slots were given back (emitted downstream, or done for `forEach`). */
  released = 0
  upstreamDone = false
  failure: Cause.Cause<E> | undefined = undefined
  readonly consumerLatch = Effect.unsafeMakeLatch(false)
  readonly spaceLatch = Effect.unsafeMakeLatch(false)
  readonly fibers: Array<Fiber.RuntimeFiber<void, never>> = []
  readonly window: number
  readonly batch: number
  /** The batch the workers share, and how many of its jobs were claimed. */
  shared: ReadonlyArray<J> = []
  claimed = 0
  fetching = false
  drained = false
  readonly jobsLatch = Effect.unsafeMakeLatch(false)
  /** Set by `start`, from the `Clock` of the fiber that runs the stream. */
  budget!: EventLoopBudget

  constructor(
    readonly concurrency: number,
    bufferSize: number,
    readonly tx: Mpsc.Sender<J>,
    readonly rx: Mpsc.Receiver<J>
  ) {
    this.window = concurrency + bufferSize
    this.batch = Math.min(this.window, 256)
  }

  /** Records the admitted elements `chunk[from, from + count)` and returns their jobs. */
  abstract admit(chunk: ReadonlyArray<A>, from: number, count: number): ReadonlyArray<J>
  abstract input(job: J): A
  abstract complete(job: J, value: B): void

  /**
   * Runs `effect` now, or after a turn of the event loop once the pool's time budget is spent.
   * The producer (per upstream chunk), the consumer (per pull) and the workers (every
   * `elementsPerCheck` elements) all check it: an infinite synchronous stream otherwise keeps
   * Node's timers and I/O from ever running, since Effect's scheduler yields through microtasks.
   */
  afterBudget<X, E2, R>(effect: Effect.Effect<X, E2, R>): Effect.Effect<X, E2, R> {
    return this.budget.spent() ? Effect.zipRight(this.budget.yieldToEventLoop, effect) : effect
  }

  release(count: number): void {
    this.released += count
    this.spaceLatch.unsafeOpen()
  }

  /** The first failure wins: it interrupts every other fiber (in-flight work included) at once. */
  fail(cause: Cause.Cause<E>, self: Fiber.RuntimeFiber<unknown, unknown> | undefined): void {
    if (this.failure !== undefined) return
    this.failure = cause
    const interruptor = self?.id() ?? FiberId.none
    for (const fiber of this.fibers) {
      if (fiber !== self) fiber.unsafeInterruptAsFork(interruptor)
    }
    this.consumerLatch.unsafeOpen()
  }

  /** Waits until the window has a free slot. */
  readonly awaitRoom: Effect.Effect<void> = Effect.suspend(() => {
    if (this.admitted - this.released < this.window) return Effect.void
    this.spaceLatch.unsafeClose()
    return Effect.zipRight(this.spaceLatch.await, this.awaitRoom)
  })

  /**
   * Admits `chunk[from..]`, waiting for room in the window, and returns once there is room for
   * the next element: the upstream is pulled only when something it gives can be admitted. So
   * with single-element upstream chunks at most `window` elements are held, and with chunks of
   * `c` elements at most `window + c - 1` (the rest of a chunk already pulled waits for room).
   */
  offer(chunk: ReadonlyArray<A>, from: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      const room = this.window - (this.admitted - this.released)
      if (room === 0) return Effect.zipRight(this.awaitRoom, this.offer(chunk, from))
      const count = Math.min(room, chunk.length - from)
      const jobs = this.admit(chunk, from, count)
      this.admitted += count
      // Never waits, never fails: the channel's capacity is the window, the window has room for
      // these, and only the producer closes the channel, after its last send.
      const sent = Effect.orDie(Mpsc.sendAll(this.tx, jobs))
      return Effect.zipRight(sent, from + count === chunk.length ? this.awaitRoom : this.offer(chunk, from + count))
    })
  }

  produce<R>(upstream: Stream.Stream<A, E, R>): Effect.Effect<void, E, R> {
    return Effect.zipRight(
      Stream.runForEachChunk(upstream, (chunk) => this.afterBudget(this.offer(Chunk.toReadonlyArray(chunk), 0))),
      Effect.suspend(() => {
        this.upstreamDone = true
        this.consumerLatch.unsafeOpen()
        return Mpsc.close(this.tx)
      })
    )
  }

  /**
   * Refills the batch the workers share; `false` once the upstream is done and drained.
   *
   * Jobs leave the channel a batch at a time (`recvUpTo`) into a batch shared by all workers, and
   * each worker claims one job at a time from it, synchronously. So a receive is amortized over a
   * batch, yet no worker holds jobs it has not started: a worker busy with a slow element never
   * keeps the next ones from an idle worker. One worker at a time fetches; the others wait for it.
   */
  readonly refill: Effect.Effect<boolean> = Effect.suspend(() => {
    if (this.claimed < this.shared.length) return Effect.succeed(true)
    if (this.drained) return Effect.succeed(false)
    if (this.fetching) {
      this.jobsLatch.unsafeClose()
      return Effect.zipRight(this.jobsLatch.await, this.refill)
    }
    this.fetching = true
    const fetch = Effect.onInterrupt(Effect.exit(Mpsc.recvUpTo(this.rx, this.batch)), () =>
      Effect.sync(() => {
        this.fetching = false
        this.jobsLatch.unsafeOpen()
      }))
    return Effect.flatMap(fetch, (exit) => {
      this.fetching = false
      // The only failure of `recvUpTo` is the end of the channel: the upstream is done.
      if (Exit.isSuccess(exit)) {
        this.shared = Chunk.toReadonlyArray(exit.value)
        this.claimed = 0
      } else {
        this.drained = true
      }
      this.jobsLatch.unsafeOpen()
      return this.refill
    })
  })

  work<R>(f: (a: A) => Effect.Effect<B, E, R>): Effect.Effect<void, E, R> {
    // The job this worker is running. The continuations are allocated once per worker, not per
    // element: the hot path allocates only what `f` itself allocates.
    let current: J
    let sinceCheck = 0
    const step = (): Effect.Effect<void, E, R> => {
      while (this.claimed < this.shared.length) {
        // Inline synchronous work never returns to Node on its own: on a budget, step aside.
        if (++sinceCheck === elementsPerCheck) {
          sinceCheck = 0
          if (this.budget.spent()) return Effect.flatMap(this.budget.yieldToEventLoop, step)
        }
        const job = this.shared[this.claimed++]!
        const effect = f(this.input(job))
        // `Effect.succeed`/`fail` are already exits: no need to step through the run loop, and the
        // worker goes straight on to its next job.
        if (Exit.isExit(effect)) {
          const exit = effect as Exit.Exit<B, E>
          if (exit._tag === "Failure") return exit
          this.complete(job, exit.value)
          continue
        }
        current = job
        return Effect.flatMap(effect, onValue)
      }
      return Effect.flatMap(this.refill, onRefill)
    }
    const onValue = (value: B): Effect.Effect<void, E, R> => {
      this.complete(current, value)
      return step()
    }
    const onRefill = (more: boolean): Effect.Effect<void, E, R> => more ? step() : Effect.void
    return Effect.suspend(step)
  }

  /** Forks the producer and the workers into `scope`; failures are recorded, never lost. */
  start<R, R2>(
    upstream: Stream.Stream<A, E, R>,
    f: (a: A) => Effect.Effect<B, E, R2>,
    scope: Scope
  ): Effect.Effect<void, never, R | R2> {
    const supervise = <R3>(effect: Effect.Effect<void, E, R3>) =>
      Effect.flatMap(
        Effect.forkIn(
          Effect.catchAllCause(effect, (cause) =>
            Effect.withFiberRuntime<void>((fiber) => {
              if (!Cause.isInterruptedOnly(cause)) {
                this.fail(cause, fiber)
              }
              return Effect.void
            })),
          scope
        ),
        (fiber) => Effect.sync(() => void this.fibers.push(fiber))
      )
    return Effect.clockWith((clock) => {
      this.budget = new EventLoopBudget(clock)
      return Effect.zipRight(
        Effect.forEach(Array.from({ length: this.concurrency }), () => supervise(this.work(f)), { discard: true }),
        supervise(this.produce(upstream))
      )
    })
  }
}

/** Ordered: a ring of `window` slots indexed by admission order; the consumer emits the finished prefix. */
class OrderedPool<A, B, E> extends Pool<A, number, B, E> {
  readonly inputs: Array<A | undefined>
  readonly outputs: Array<B | undefined>
  readonly done: Uint8Array

  constructor(concurrency: number, bufferSize: number, tx: Mpsc.Sender<number>, rx: Mpsc.Receiver<number>) {
    super(concurrency, bufferSize, tx, rx)
    this.inputs = new Array(this.window)
    this.outputs = new Array(this.window)
    this.done = new Uint8Array(this.window)
  }

  admit(chunk: ReadonlyArray<A>, from: number, count: number): Array<number> {
    const jobs = new Array<number>(count)
    for (let i = 0; i < count; i++) {
      const seq = this.admitted + i
      this.inputs[seq % this.window] = chunk[from + i]
      jobs[i] = seq
    }
    return jobs
  }

  input(seq: number): A {
    return this.inputs[seq % this.window] as A
  }

  complete(seq: number, value: B): void {
    const slot = seq % this.window
    this.inputs[slot] = undefined
    this.outputs[slot] = value
    this.done[slot] = 1
    if (seq === this.released) this.consumerLatch.unsafeOpen()
  }

  readonly pull: Effect.Effect<Chunk.Chunk<B>, Option.Option<E>> = Effect.suspend(() => {
    if (this.failure !== undefined) return Effect.failCause(Cause.map(this.failure, Option.some))
    if (this.budget.spent()) return Effect.zipRight(this.budget.yieldToEventLoop, this.pull)
    let end = this.released
    while (end < this.admitted && this.done[end % this.window] === 1) end++
    if (end > this.released) {
      const out = new Array<B>(end - this.released)
      for (let seq = this.released; seq < end; seq++) {
        const slot = seq % this.window
        out[seq - this.released] = this.outputs[slot] as B
        this.outputs[slot] = undefined
        this.done[slot] = 0
      }
      this.release(out.length)
      return Effect.succeed(Chunk.unsafeFromArray(out))
    }
    if (this.upstreamDone && this.released === this.admitted) return Effect.fail(Option.none())
    this.consumerLatch.unsafeClose()
    return Effect.zipRight(this.consumerLatch.await, this.pull)
  })
}

/** Unordered: jobs are the elements themselves; results are emitted in completion order. */
class UnorderedPool<A, B, E> extends Pool<A, A, B, E> {
  results: Array<B> = []

  admit(chunk: ReadonlyArray<A>, from: number, count: number): ReadonlyArray<A> {
    return from === 0 && count === chunk.length ? chunk : chunk.slice(from, from + count)
  }

  input(a: A): A {
    return a
  }

  complete(_: A, value: B): void {
    this.results.push(value)
    this.consumerLatch.unsafeOpen()
  }

  readonly pull: Effect.Effect<Chunk.Chunk<B>, Option.Option<E>> = Effect.suspend(() => {
    if (this.failure !== undefined) return Effect.failCause(Cause.map(this.failure, Option.some))
    if (this.budget.spent()) return Effect.zipRight(this.budget.yieldToEventLoop, this.pull)
    if (this.results.length > 0) {
      const out = this.results
      this.results = []
      this.release(out.length)
      return Effect.succeed(Chunk.unsafeFromArray(out))
    }
    if (this.upstreamDone && this.released === this.admitted) return Effect.fail(Option.none())
    this.consumerLatch.unsafeClose()
    return Effect.zipRight(this.consumerLatch.await, this.pull)
  })
}

/** For `forEach`: a finished element frees its slot at once; the caller waits for the end. */
class DrainPool<A, E> extends UnorderedPool<A, unknown, E> {
  override complete(): void {
    this.release(1)
    if (this.upstreamDone && this.released === this.admitted) this.consumerLatch.unsafeOpen()
  }

  readonly awaitDone: Effect.Effect<void, E> = Effect.suspend(() => {
    if (this.failure !== undefined) return Effect.failCause(this.failure)
    if (this.upstreamDone && this.released === this.admitted) return Effect.void
    this.consumerLatch.unsafeClose()
    return Effect.zipRight(this.consumerLatch.await, this.awaitDone)
  })
}

const startPool = <A, J, B, E, R, E2, R2, P extends Pool<A, J, B, E | E2>>(
  make: (tx: Mpsc.Sender<J>, rx: Mpsc.Receiver<J>) => P,
  upstream: Stream.Stream<A, E, R>,
  concurrency: number,
  f: (a: A) => Effect.Effect<B, E2, R2>,
  bufferSize: number
): Effect.Effect<P, never, R | R2 | Scope> =>
  Effect.flatMap(Effect.scope, (scope) =>
    Effect.flatMap(
      // The window is validated, so the capacity is a positive integer.
      Effect.orDie(Mpsc.bounded<J>(concurrency + bufferSize)),
      ([tx, rx]) => {
        const pool = make(tx, rx)
        return Effect.as(pool.start(upstream, f, scope), pool)
      }
    ))

const mapStream = <A, E, R, B, E2, R2>(
  operation: string,
  ordered: boolean,
  self: Stream.Stream<A, E, R>,
  concurrency: number,
  f: (a: A) => Effect.Effect<B, E2, R2>,
  options: ConcurrencyOptions | undefined
): Stream.Stream<B, E | E2 | InvalidArgument, R | R2> => {
  const invalid = validate(operation, concurrency, options)
  if (invalid !== undefined) return Stream.fail(invalid)
  const bufferSize = options?.bufferSize ?? defaultBufferSize
  const pool: Effect.Effect<
    { readonly pull: Effect.Effect<Chunk.Chunk<B>, Option.Option<E | E2>> },
    never,
    R | R2 | Scope
  > = ordered
    ? startPool(
      (tx: Mpsc.Sender<number>, rx) => new OrderedPool<A, B, E | E2>(concurrency, bufferSize, tx, rx),
      self,
      concurrency,
      f,
      bufferSize
    )
    : startPool(
      (tx: Mpsc.Sender<A>, rx) => new UnorderedPool<A, B, E | E2>(concurrency, bufferSize, tx, rx),
      self,
      concurrency,
      f,
      bufferSize
    )
  return Stream.unwrapScoped(Effect.map(pool, (pool) => Stream.repeatEffectChunkOption(pool.pull)))
}

/** The two mapping combinators differ only in whether results keep the input order. */
const mapping = (operation: string, ordered: boolean) =>
  dual(
    (args) => isStream(args[0]),
    <A, E, R, B, E2, R2>(
      self: Stream.Stream<A, E, R>,
      concurrency: number,
      f: (a: A) => Effect.Effect<B, E2, R2>,
      options?: ConcurrencyOptions
    ): Stream.Stream<B, E | E2 | InvalidArgument, R | R2> =>
      mapStream(operation, ordered, self, concurrency, f, options)
  )

/** @internal */
export const mapConcurrent = mapping("mapConcurrent", true)

/** @internal */
export const mapConcurrentUnordered = mapping("mapConcurrentUnordered", false)

/** @internal */
export const forEachConcurrent = dual(
  (args) => isStream(args[0]),
  <A, E, R, X, E2, R2>(
    self: Stream.Stream<A, E, R>,
    concurrency: number,
    f: (a: A) => Effect.Effect<X, E2, R2>,
    options?: ConcurrencyOptions
  ): Effect.Effect<void, E | E2 | InvalidArgument, R | R2> => {
    const invalid = validate("forEachConcurrent", concurrency, options)
    if (invalid !== undefined) return Effect.fail(invalid)
    const bufferSize = options?.bufferSize ?? defaultBufferSize
    return Effect.scoped(Effect.flatMap(
      startPool(
        (tx: Mpsc.Sender<A>, rx) => new DrainPool<A, E | E2>(concurrency, bufferSize, tx, rx),
        self,
        concurrency,
        f,
        bufferSize
      ),
      (pool) => pool.awaitDone
    ))
  }
)
