import { assert, describe, it } from "@effect/vitest"
import { Mpsc } from "@weft/channel"
import { SelectError, Wait } from "@weft/select"
import { Deferred, Effect, Exit, Fiber, Ref } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** A local server whose one route never answers; it reports when the client goes away. */
const hangingServer = Effect.acquireRelease(
  Effect.gen(function*() {
    const requestArrived = yield* Deferred.make<void>()
    const clientGone = yield* Deferred.make<void>()
    const server = http.createServer((request) => {
      Deferred.unsafeDone(requestArrived, Exit.void)
      request.socket.on("close", () => Deferred.unsafeDone(clientGone, Exit.void))
    })
    yield* Effect.async<void>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.void))
    })
    const port = (server.address() as AddressInfo).port
    return { server, url: `http://127.0.0.1:${port}/hang`, requestArrived, clientGone }
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

describe("AbortSignal bridges", () => {
  it.live("toAbortSignal: interrupting the fiber cancels a real fetch", () =>
    Effect.scoped(Effect.gen(function*() {
      const { clientGone, requestArrived, url } = yield* hangingServer
      const aborted = yield* Ref.make(false)
      const fetching = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        const signal = yield* Wait.toAbortSignal
        signal.addEventListener("abort", () => Effect.runSync(Ref.set(aborted, true)))
        return yield* Effect.promise(() => fetch(url, { signal }).then((response) => response.status))
      })))
      yield* Deferred.await(requestArrived)
      assert.isFalse(yield* Ref.get(aborted))
      yield* Fiber.interrupt(fetching)
      assert.isTrue(yield* Ref.get(aborted))
      yield* Deferred.await(clientGone)
    })))

  it.effect("toAbortSignal: the signal is aborted when the scope closes, not before", () =>
    Effect.gen(function*() {
      const signal = yield* Effect.scoped(Effect.tap(Wait.toAbortSignal, (signal) => {
        assert.isFalse(signal.aborted)
      }))
      assert.isTrue(signal.aborted)
    }))

  it.effect("fromAbortSignal: fails with Aborted { reason } once the signal aborts", () =>
    Effect.gen(function*() {
      const controller = new AbortController()
      const fiber = yield* Effect.fork(Wait.fromAbortSignal(controller.signal))
      yield* Effect.yieldNow()
      assert.isNull(fiber.unsafePoll())
      controller.abort("enough")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.instanceOf(error, SelectError.Aborted)
      assert.strictEqual(error.reason, "enough")
      const already = yield* Effect.flip(Wait.fromAbortSignal(AbortSignal.abort("before")))
      assert.strictEqual(already.reason, "before")
    }))

  it.effect("abortable: interrupts a discardable effect when the signal aborts; leaves it alone otherwise", () =>
    Effect.gen(function*() {
      const controller = new AbortController()
      const interrupted = yield* Ref.make(false)
      const fiber = yield* Effect.fork(
        Wait.discardable(Effect.never.pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))).pipe(
          Wait.abortable(controller.signal)
        )
      )
      yield* Effect.yieldNow()
      controller.abort("cancel")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "Aborted")
      assert.isTrue(yield* Ref.get(interrupted))
      assert.strictEqual(
        yield* Wait.abortable(Wait.discardable(Effect.succeed(3)), new AbortController().signal),
        3
      )
    }))

  it.effect("abortable of a source: its value, or Aborted { reason } having taken nothing", () =>
    Effect.gen(function*() {
      const [tx, rx] = yield* Mpsc.unbounded<number>()
      const controller = new AbortController()
      const fiber = yield* Effect.fork(Wait.abortable(rx, controller.signal))
      yield* Effect.yieldNow()
      controller.abort("cancel")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.instanceOf(error, SelectError.Aborted)
      assert.strictEqual(error._tag === "Aborted" && error.reason, "cancel")
      assert.strictEqual(yield* Mpsc.size(rx), 0)
      yield* Mpsc.send(tx, 1)
      // A ready value is preferred over the aborted signal: taken and returned, never dropped.
      assert.strictEqual(yield* Wait.abortable(rx, controller.signal), 1)
      assert.strictEqual((yield* Effect.flip(Wait.abortable(rx, controller.signal)))._tag, "Aborted")
    }))
})
