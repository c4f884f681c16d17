/**
 * The conservation scenario shared by the property test and `pnpm stress`: random producers and
 * consumers on one bounded channel, with interrupts at random points. Every message must end up
 * received exactly once or still in the channel; each producer's delivered messages must be a
 * prefix of what it sent.
 */
import { Effect, FastCheck, Fiber, Option } from "effect"
import { Mpsc } from "../../src/index.js"

export interface Scenario {
  readonly capacity: number
  /** `batch`: one `sendAll` instead of one `send` per message. */
  readonly producers: ReadonlyArray<{ readonly count: number; readonly batch: boolean }>
  /** `many` 0: `recv`; otherwise `recvUpTo(many)`. `pause`: yields between receives. */
  readonly consumers: ReadonlyArray<{ readonly many: number; readonly pause: number }>
  /** After `after` yields, interrupt fiber number `target` (producers first, then consumers). */
  readonly interrupts: ReadonlyArray<{ readonly after: number; readonly target: number }>
}

export const scenario: FastCheck.Arbitrary<Scenario> = FastCheck.record({
  capacity: FastCheck.integer({ min: 1, max: 6 }),
  producers: FastCheck.array(
    FastCheck.record({ count: FastCheck.integer({ min: 0, max: 15 }), batch: FastCheck.boolean() }),
    { minLength: 1, maxLength: 4 }
  ),
  consumers: FastCheck.array(
    FastCheck.record({ many: FastCheck.integer({ min: 0, max: 4 }), pause: FastCheck.integer({ min: 0, max: 2 }) }),
    { minLength: 1, maxLength: 3 }
  ),
  interrupts: FastCheck.array(
    FastCheck.record({ after: FastCheck.integer({ min: 0, max: 30 }), target: FastCheck.nat() }),
    { maxLength: 4 }
  )
})

export interface Report {
  /** Messages whose `send` had completed. */
  readonly sent: number
  /** Messages received or still buffered at the end. */
  readonly delivered: number
  /** Completed sends that are neither received nor buffered. */
  readonly lost: number
  /** Extra copies of a message. */
  readonly duplicated: number
  /** Producers whose delivered messages are not a prefix of what they sent, in order. */
  readonly outOfOrder: number
  /** Messages delivered beyond the one send that may have been in flight when interrupted. */
  readonly phantom: number
}

const yieldTimes = (n: number) => Effect.repeatN(Effect.yieldNow(), Math.max(0, n - 1)).pipe(Effect.when(() => n > 0))

export const run = (s: Scenario): Effect.Effect<Report> =>
  Effect.gen(function*() {
    const [tx, rx] = yield* Effect.orDie(Mpsc.bounded<readonly [number, number]>(s.capacity))
    const received: Array<readonly [number, number]> = []
    const completed = s.producers.map(() => 0)
    const producers = yield* Effect.forEach(s.producers, ({ batch, count }, p) =>
      Effect.fork(Effect.gen(function*() {
        const messages = Array.from({ length: count }, (_, i) => [p, i] as const)
        if (batch) {
          yield* Mpsc.sendAll(tx, messages)
          completed[p] = count
        } else {
          for (const message of messages) {
            yield* Mpsc.send(tx, message)
            completed[p]! += 1
          }
        }
      })))
    const consumers = yield* Effect.forEach(s.consumers, ({ many, pause }) =>
      Effect.fork(Effect.forever(Effect.gen(function*() {
        // Record inside the continuation that receives the value: the step that claims a message
        // hands it straight to this function, so no interrupt can fall in between.
        if (many === 0) {
          yield* Effect.map(Mpsc.recv(rx), (m) =>
            received.push(m))
        } else yield* Effect.map(Mpsc.recvUpTo(rx, many), (ms) => received.push(...ms))
        yield* yieldTimes(pause)
      }))))
    const fibers = [...producers, ...consumers]
    for (const { after, target } of s.interrupts) {
      yield* yieldTimes(after)
      yield* Fiber.interrupt(fibers[target % fibers.length]!)
    }
    yield* yieldTimes(10)
    yield* Fiber.interruptAll(fibers)
    const remaining: Array<readonly [number, number]> = []
    while (true) {
      const next = yield* Effect.orDie(Mpsc.tryRecv(rx))
      if (Option.isNone(next)) {
        break
      }
      remaining.push(next.value)
    }
    const all = [...received, ...remaining]
    const perProducer = s.producers.map(() =>
      new Map<number, number>()
    )
    for (const [p, i] of all) perProducer[p]!.set(i, (perProducer[p]!.get(i) ?? 0) + 1)
    let lost = 0
    let duplicated = 0
    let outOfOrder = 0
    let phantom = 0
    s.producers.forEach(({ batch }, p) => {
      const copies = perProducer[p]!
      for (let i = 0; i < completed[p]!; i++) if (!copies.has(i)) lost++
      for (const n of copies.values()) duplicated += n - 1
      const order = all.filter(([q]) => q === p).map(([, i]) => i)
      const distinct = [...new Set(order)]
      if (distinct.some((value, index) => value !== index)) outOfOrder++
      if (!batch) phantom += Math.max(0, copies.size - completed[p]! - 1)
    })
    const sent = completed.reduce((a, b) => a + b, 0)
    return { sent, delivered: all.length, lost, duplicated, outOfOrder, phantom }
  })
