// A consumer outside the workspace: every @weft package installed from its packed tarball, used
// together through the package roots (the subpath exports are checked by subpaths.ts).
import { Actor, ActorSystem } from "@weft/actor"
import { Arena } from "@weft/arena"
import { Bytes, LengthDelimited } from "@weft/bytes"
import { Mpsc } from "@weft/channel"
import { ClusterEntity, Embedded } from "@weft/cluster"
import { Dispatcher } from "@weft/dispatch"
import { Select } from "@weft/select"
import { Backpressure, SnapshotStream } from "@weft/stream"
import { Interleavings, Strategy } from "@weft/testkit"
import { BlockingPool, SharedArena } from "@weft/worker"
import { Chunk, Data, Effect, Fiber, Layer, Schema, Stream } from "effect"
import * as assert from "node:assert/strict"
import { Checksum } from "./jobs.js"

class Add extends Data.TaggedClass("Add")<{ readonly n: number }> {}
class Total extends Schema.TaggedRequest<Total>()("Total", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}

const summer = Actor.behavior<Add | Total>()({
  initialState: 0,
  handlers: {
    Add: (message, state) => Effect.succeed(state + message.n),
    Total: (_, state) => Effect.succeed(Actor.reply(state, state))
  }
})

const program = Effect.gen(function*() {
  // bytes: two length-delimited frames cut across reads.
  const frames = yield* Stream.make(new Uint8Array([0, 0, 0, 1, 7, 0, 0]), new Uint8Array([0, 2, 8, 9])).pipe(
    LengthDelimited.decode({ maxFrameLength: 1024 }),
    Stream.runCollect
  )
  assert.deepEqual(Chunk.toArray(frames).map((frame) => Array.from(Bytes.toUint8Array(frame))), [[7], [8, 9]])

  // arena: store each frame once, read it back by ref.
  const arena = yield* Arena.make<Bytes.Bytes>({ capacity: 4 })
  const refs = yield* Effect.forEach(frames, (frame) => arena.alloc(frame))

  // channel + select: the refs travel over an mpsc channel, received through select.
  const [tx, rx] = yield* Mpsc.bounded<number>(8)
  const summed = yield* Actor.spawn(summer, { name: "summer", mailbox: { capacity: 8 } })
  for (const ref of refs) {
    const frame = yield* arena.get(ref)
    yield* Mpsc.send(tx, Bytes.toUint8Array(frame).reduce((sum, byte) => sum + byte, 0))
    yield* arena.release(ref)
  }
  for (let i = 0; i < refs.length; i++) {
    const next = yield* Select.select({ value: rx, idle: Select.sleep("1 second") })
    assert.equal(next._tag, "value")
    if (next._tag === "value") yield* Actor.tell(summed, new Add({ n: next.value }))
  }
  // actor: ask for the total (7 + 8 + 9).
  assert.equal(yield* Actor.ask(summed, new Total(), { timeout: "1 second" }), 24)

  // dispatch: one more through a round-robin dispatcher with the summer as its only plugin.
  const dispatcher = yield* Dispatcher.make<Add | Total>(Dispatcher.roundRobin)
  yield* dispatcher.pipe(Dispatcher.add(summed))
  yield* Dispatcher.dispatch(dispatcher, new Add({ n: 1 }))
  assert.equal(yield* Actor.ask(summed, new Total(), { timeout: "1 second" }), 25)

  // stream: a snapshot stream of running totals through mapConcurrent.
  const totals = yield* SnapshotStream.make({
    initial: 0,
    step: (total: number, amount: number) => [total + amount, total + amount] as const,
    capacity: 8,
    strategy: "suspend"
  })
  yield* Effect.fork(Effect.zipRight(totals.sendAll([5, 10, 20]), totals.close))
  const labels = yield* totals.stream.pipe(
    Backpressure.mapConcurrent(4, (total) => Effect.succeed(`total ${total}`)),
    Stream.runCollect
  )
  assert.deepEqual(Chunk.toArray(labels), ["total 5", "total 15", "total 35"])

  // worker: a job on a worker thread started from compiled JS, its payload moved, not copied;
  // a shared-arena message read back.
  const pool = yield* BlockingPool.make<Checksum>({ entry: new URL("./checksum.worker.js", import.meta.url), size: 1 })
  const payload = new Uint8Array([7, 8, 9])
  assert.equal(yield* pool.run(new Checksum({ data: Bytes.fromUint8Array(payload) })), 24)
  assert.equal(payload.byteLength, 0)
  const shared = yield* SharedArena.make({ capacity: 2, slotSize: 16 })
  const ref = yield* shared.alloc(Bytes.fromString("shared"))
  assert.equal(Bytes.decodeUtf8(yield* shared.get(ref)), "shared")

  // testkit: a channel hand-over explored under seeded interleavings.
  const handOver = Effect.gen(function*() {
    const [handTx, handRx] = yield* Mpsc.bounded<number>(1)
    const receiver = yield* Effect.fork(Mpsc.recvUpTo(handRx, 2))
    yield* Mpsc.sendAll(handTx, [1, 2])
    const got = yield* Fiber.join(receiver)
    const left = yield* Mpsc.size(handRx)
    if (got.length + left !== 2) return yield* Effect.dieMessage("a message was lost")
  })
  const report = yield* Interleavings.check(handOver, { runs: 50, seed: 1, strategy: Strategy.pct() })
  assert.equal(report.runs, 50)
  return "every @weft package works from its tarball"
}).pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

// cluster: the same kind of behaviour as an entity of an embedded (single-process) cluster.
class Deposit extends Schema.TaggedClass<Deposit>()("Deposit", { amount: Schema.Number }) {}
class Balance extends Schema.TaggedRequest<Balance>()("Balance", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}
const Account = ClusterEntity.make("Account", [Deposit, Balance])
const account = Actor.behavior<Deposit | Balance>()({
  initialState: 0,
  handlers: {
    Deposit: (message, balance) => Effect.succeed(balance + message.amount),
    Balance: (_, balance) => Effect.succeed(Actor.reply(balance, balance))
  }
})
const clustered = Effect.gen(function*() {
  const alice = yield* ClusterEntity.ref(Account, "alice")
  yield* ClusterEntity.tell(alice, new Deposit({ amount: 5 }))
  assert.equal(yield* ClusterEntity.ask(alice, new Balance(), { timeout: "5 seconds" }), 5)
}).pipe(Effect.provide(ClusterEntity.layer(Account, account).pipe(Layer.provideMerge(Embedded.layer()))))

Effect.runPromise(Effect.zipLeft(program, clustered)).then(
  (message) => console.log(message),
  (error: unknown) => {
    console.error(error)
    process.exitCode = 1
  }
)
