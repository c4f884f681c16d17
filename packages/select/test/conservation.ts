/**
 * The conservation scenario shared by the property test and `pnpm stress`: random producers send
 * numbered messages over 2–5 channels, consumers take them with `select` over random subsets of
 * those channels, and consumers are interrupted at random points (while waiting, or right after a
 * claim). At the end every message sent must have been received exactly once or still be in a
 * channel. `runMixed` does the same over a channel, a `Mailbox` and a `Stream` at once.
 */
import { Mpsc } from "@weft/channel"
import { Select } from "@weft/select"
import { Effect, Fiber, Mailbox, Option, Stream } from "effect"

export interface Scenario {
  readonly seed: number
  readonly channels: number
  readonly producers: number
  readonly messagesPerProducer: number
  readonly consumers: number
  readonly interrupts: number
}

export interface Outcome {
  readonly sent: number
  readonly received: number
  readonly leftInChannels: number
  readonly lost: number
  readonly duplicated: number
}

/** mulberry32: a small seeded generator, so a failing scenario replays exactly. */
const generator = (seed: number) => {
  let a = seed >>> 0
  return (n: number): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) % n)
  }
}

const yields = (n: number): Effect.Effect<void> => n === 0 ? Effect.void : Effect.repeatN(Effect.yieldNow(), n - 1)

export const run = (scenario: Scenario): Effect.Effect<Outcome> =>
  Effect.gen(function*() {
    const random = generator(scenario.seed)
    const ends = yield* Effect.forEach(
      Array.from({ length: scenario.channels }),
      () => Effect.orDie(Mpsc.bounded<number>(1 + random(4)))
    )
    const senders = ends.map(([tx]) => tx)
    const receivers = ends.map(([, rx]) => rx)
    const seen = new Map<number, number>()
    const receive = (value: number) => seen.set(value, (seen.get(value) ?? 0) + 1)

    // Consumer 0 always selects over every channel, so no channel is left without a reader.
    const branchesFor = (all: boolean): Record<string, Mpsc.Receiver<number>> => {
      const branches: Record<string, Mpsc.Receiver<number>> = {}
      const count = all ? receivers.length : 2 + random(Math.max(1, receivers.length - 1))
      const start = random(receivers.length)
      for (let i = 0; i < Math.min(count, receivers.length); i++) {
        const index = (start + i) % receivers.length
        branches[`c${index}`] = receivers[index]!
      }
      return branches
    }
    const consumer = (index: number) =>
      Effect.forever(
        Effect.flatMap(
          Select.select(branchesFor(index === 0), { biased: random(2) === 0 }),
          // Recorded inside the continuation itself: it runs in the same step as the claim, so an
          // interrupt cannot fall between the select handing the value over and this record.
          (selected) => {
            receive(selected.value)
            return yields(random(2))
          }
        )
      ).pipe(Effect.ignore)

    let next = 0
    const producers = yield* Effect.forEach(
      Array.from({ length: scenario.producers }),
      () => {
        const messages = Array.from({ length: scenario.messagesPerProducer }, () => next++)
        return Effect.fork(Effect.forEach(messages, (message) =>
          Effect.zipRight(
            Effect.orDie(Mpsc.send(senders[random(senders.length)]!, message)),
            yields(random(3))
          ), { discard: true }))
      }
    )
    const consumers = yield* Effect.forEach(
      Array.from({ length: scenario.consumers }),
      (_, index) => Effect.fork(consumer(index))
    )
    for (let i = 0; i < scenario.interrupts; i++) {
      yield* yields(random(6))
      const index = random(consumers.length)
      yield* Fiber.interrupt(consumers[index]!)
      consumers[index] = yield* Effect.fork(consumer(index))
    }
    yield* Effect.forEach(producers, Fiber.join, { discard: true })
    yield* yields(random(8))
    yield* Effect.forEach(consumers, Fiber.interrupt, { discard: true })

    let leftInChannels = 0
    for (const rx of receivers) {
      while (true) {
        const message = yield* Effect.orDie(Mpsc.tryRecv(rx))
        if (Option.isNone(message)) break
        leftInChannels++
        receive(message.value)
      }
    }
    return tally(seen, next, leftInChannels)
  })

/** A scenario drawn from `seed`; `scale` multiplies the messages and interrupts (the stress run uses larger ones). */
export const randomScenario = (seed: number, scale = 1): Scenario => {
  const random = generator(seed ^ 0x9e3779b9)
  return {
    seed,
    channels: 2 + random(4),
    producers: 1 + random(3),
    messagesPerProducer: 1 + random(12 * scale),
    consumers: 1 + random(3),
    interrupts: random(6 * scale)
  }
}

/**
 * The same invariant over mixed sources: a channel, an effect `Mailbox` (bounded, so its offers
 * suspend), a `Stream` through `fromStream`, and a sleep branch that never fires (so every wait
 * also starts and interrupts a sleeper fiber).
 */
export const runMixed = (scenario: Scenario): Effect.Effect<Outcome> =>
  Effect.scoped(Effect.gen(function*() {
    const random = generator(scenario.seed)
    const perSource = scenario.producers * scenario.messagesPerProducer
    const [tx, rx] = yield* Effect.orDie(Mpsc.bounded<number>(1 + random(3)))
    const mailbox = yield* Mailbox.make<number>(1 + random(3))
    const stream = yield* Select.fromStream(
      Stream.range(2 * perSource, 3 * perSource - 1).pipe(Stream.rechunk(1 + random(4)))
    )
    const seen = new Map<number, number>()
    const receive = (value: number) => seen.set(value, (seen.get(value) ?? 0) + 1)
    // Once the stream has ended its branch is disabled, or every select would fail with its end.
    let streamEnded = false
    const branches = () => ({
      channel: rx,
      mailbox: Select.take(mailbox),
      stream: Select.when(stream, !streamEnded),
      never: Select.sleep("1 hour")
    })

    const consumer = Effect.forever(
      Effect.flatMap(
        Effect.either(Select.select(branches(), { biased: random(2) === 0 })),
        (result) => {
          if (result._tag === "Left") {
            streamEnded = true
            return Effect.void
          }
          if (result.right._tag !== "never") receive(result.right.value)
          return yields(random(2))
        }
      )
    ).pipe(Effect.ignore)

    const producers = [
      yield* Effect.fork(Effect.forEach(
        Array.from({ length: perSource }, (_, i) => i),
        (i) => Effect.zipRight(Effect.orDie(Mpsc.send(tx, i)), yields(random(3))),
        { discard: true }
      )),
      yield* Effect.fork(Effect.forEach(
        Array.from({ length: perSource }, (_, i) => perSource + i),
        (i) => Effect.zipRight(mailbox.offer(i), yields(random(3))),
        { discard: true }
      ))
    ]
    const consumers = yield* Effect.forEach(Array.from({ length: scenario.consumers }), () => Effect.fork(consumer))
    for (let i = 0; i < scenario.interrupts; i++) {
      yield* yields(random(6))
      const index = random(consumers.length)
      yield* Fiber.interrupt(consumers[index]!)
      consumers[index] = yield* Effect.fork(consumer)
    }
    yield* Effect.forEach(producers, Fiber.join, { discard: true })
    yield* yields(random(8))
    yield* Effect.forEach(consumers, Fiber.interrupt, { discard: true })

    let leftInChannels = 0
    const left = (value: number) => {
      leftInChannels++
      receive(value)
    }
    while (true) {
      const message = yield* Effect.orDie(Mpsc.tryRecv(rx))
      if (Option.isNone(message)) {
        break
      }
      left(message.value)
    }
    const inMailbox = yield* mailbox.clear
    for (const value of inMailbox) left(value)
    while (true) {
      const next = yield* Effect.either(Select.select({ stream }))
      if (next._tag === "Left") break
      left(next.right.value)
    }
    return tally(seen, 3 * perSource, leftInChannels)
  }))

const tally = (seen: Map<number, number>, sent: number, leftInChannels: number): Outcome => {
  let lost = 0
  let duplicated = 0
  let received = 0
  for (let message = 0; message < sent; message++) {
    const count = seen.get(message) ?? 0
    if (count === 0) lost++
    if (count > 1) duplicated += count - 1
    received += count
  }
  return { sent, received: received - leftInChannels, leftInChannels, lost, duplicated }
}
