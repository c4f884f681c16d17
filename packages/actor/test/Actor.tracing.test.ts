import { assert, describe, it } from "@effect/vitest"
import { Actor, ActorSystem, Router } from "@weft/actor"
import { Data, Deferred, Effect, Exit, Fiber, Option, Schema, Tracer } from "effect"
import type { Scope } from "effect"
import { Add, Block, counter, Get, SlowGet } from "./fixtures.js"

/** Every span the program starts, recorded (Effect's own tracer does the rest). */
const recording = <A, E, R>(body: (spans: Array<Tracer.Span>) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.tracer, (native) => {
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      span: (...args) => {
        const span = native.span(...args)
        spans.push(span)
        return span
      },
      context: (f, fiber) => native.context(f, fiber)
    })
    return Effect.withTracer(body(spans), tracer)
  })

const run = <A, E>(
  body: (spans: Array<Tracer.Span>) => Effect.Effect<A, E, ActorSystem.ActorSystem | Scope.Scope>
): Effect.Effect<A, E> => recording(body).pipe(Effect.scoped, Effect.provide(ActorSystem.layer()))

const named = (spans: ReadonlyArray<Tracer.Span>, name: string): Tracer.Span => {
  const found = spans.filter((span) => span.name === name)
  assert.strictEqual(found.length, 1, `one span named ${name} (spans: ${spans.map((s) => s.name).join(", ")})`)
  return found[0]!
}

/** Asks (outside any trace) until the counter has reached `value`: the forwarded messages are in. */
const valueReaches = (ref: Actor.ActorRef<Get>, value: number) =>
  Effect.repeat(Actor.ask(ref, new Get()), { until: (n) => n === value })

const parentOf = (span: Tracer.Span): Tracer.AnySpan | undefined => Option.getOrUndefined(span.parent)

class Relay extends Schema.TaggedRequest<Relay>()("Relay", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: {}
}) {}

class Forward extends Data.TaggedClass("Forward")<{ readonly n: number }> {}

/** `front` answers `Relay` by asking `back` (a counter) for its value. */
const front = (back: Actor.ActorRef<Get>) =>
  Actor.behavior<Relay>()({
    initialState: 0,
    handlers: {
      Relay: (_, state) => Effect.map(Effect.orDie(Actor.ask(back, new Get())), (value) => Actor.reply(value, state))
    }
  })

/** `forwarder` tells each `Forward` on to `back` as an `Add`. */
const forwarder = (back: Actor.ActorRef<Add>) =>
  Actor.behavior<Forward>()({
    initialState: 0,
    handlers: {
      Forward: (message, state) => Effect.as(Effect.orDie(Actor.tell(back, new Add({ n: message.n }))), state)
    }
  })

/** Answers with the name of the span its handler runs in ("none" outside any). */
class SpanName extends Schema.TaggedRequest<SpanName>()("SpanName", {
  failure: Schema.Never,
  success: Schema.String,
  payload: {}
}) {}

const spanReporter = Actor.behavior<SpanName>()({
  initialState: 0,
  handlers: {
    SpanName: (_, state) =>
      Effect.map(
        Effect.option(Effect.currentSpan),
        (span) => Actor.reply(Option.match(span, { onNone: () => "none", onSome: (span) => span.name }), state)
      )
  }
})

describe("Actor tracing", () => {
  it.effect("ask A → A's handler asks B: B's handler span descends from the caller's span", () =>
    run((spans) =>
      Effect.gen(function*() {
        const back = yield* Actor.spawn(counter(), { name: "back" })
        const relay = yield* Actor.spawn(front(back), { name: "front" })
        const value = yield* Actor.ask(relay, new Relay()).pipe(Effect.withSpan("request"))
        assert.strictEqual(value, 0)
        const request = named(spans, "request")
        const askFront = named(spans, "Actor.ask Relay")
        const handleFront = named(spans, "Actor.handle Relay")
        const askBack = named(spans, "Actor.ask Get")
        const handleBack = named(spans, "Actor.handle Get")
        assert.strictEqual(parentOf(askFront), request)
        assert.strictEqual(parentOf(handleFront), askFront)
        assert.strictEqual(parentOf(askBack), handleFront)
        assert.strictEqual(parentOf(handleBack), askBack)
        for (const span of [askFront, handleFront, askBack, handleBack]) {
          assert.strictEqual(span.traceId, request.traceId)
          assert.strictEqual(span.status._tag, "Ended")
        }
        assert.strictEqual(askFront.kind, "client")
        assert.strictEqual(handleFront.kind, "server")
        assert.strictEqual(handleBack.attributes.get("weft.actor"), "back")
        assert.strictEqual(handleBack.attributes.get("weft.message"), "Get")
      })
    ))

  it.effect("a tell, tellAll and a router's tellEach carry the sender's span to the handler", () =>
    run((spans) =>
      Effect.gen(function*() {
        const back = yield* Actor.spawn(counter())
        const middle = yield* Actor.spawn(forwarder(back))
        yield* Effect.gen(function*() {
          yield* Actor.tell(middle, new Forward({ n: 1 }))
          yield* Actor.tellAll(back, [new Add({ n: 2 })])
          yield* Router.tellEach([back], new Add({ n: 3 }))
        }).pipe(Effect.withSpan("sender"))
        yield* valueReaches(back, 6)
        const sender = named(spans, "sender")
        const forward = named(spans, "Actor.handle Forward")
        const adds = spans.filter((span) => span.name === "Actor.handle Add")
        assert.strictEqual(parentOf(forward), sender)
        assert.strictEqual(forward.kind, "consumer")
        // The Add the forwarder told from inside its handler is a child of that handler's span.
        assert.deepStrictEqual(adds.map(parentOf).sort((a, b) => (a === sender ? -1 : b === sender ? 1 : 0)), [
          sender,
          sender,
          forward
        ])
      })
    ))

  it.effect("outside a trace nothing is recorded: no span for a tell, an ask or a handler", () =>
    run((spans) =>
      Effect.gen(function*() {
        // Spawned inside a span: the actor does not inherit it, so its own tells stay untraced.
        const back = yield* Actor.spawn(counter())
        const middle = yield* Actor.spawn(forwarder(back)).pipe(Effect.withSpan("spawner"))
        yield* Actor.tell(middle, new Forward({ n: 1 }))
        yield* valueReaches(back, 1)
        assert.deepStrictEqual(spans.map((span) => span.name), ["spawner"])
      })
    ))

  it.effect("under Effect's built-in tracer (spans go nowhere), a span around an ask makes none for the actor", () =>
    Effect.gen(function*() {
      const ref = yield* Actor.spawn(spanReporter)
      // Effect makes a span for every HTTP request or cluster message even when nobody traces: an
      // actor asked from there handles it without spans of its own, as outside any span.
      assert.strictEqual(yield* Actor.ask(ref, new SpanName()).pipe(Effect.withSpan("request")), "none")
      // With a tracer of one's own, the same ask is traced.
      const traced = yield* run(() =>
        Effect.flatMap(
          Actor.spawn(spanReporter),
          (ref) => Actor.ask(ref, new SpanName()).pipe(Effect.withSpan("request"))
        )
      )
      assert.strictEqual(traced, "Actor.handle SpanName")
    }).pipe(Effect.scoped, Effect.provide(ActorSystem.layer())))

  it.effect("with tracing disabled, nothing is propagated", () =>
    run((spans) =>
      Effect.gen(function*() {
        const back = yield* Actor.spawn(counter())
        yield* Actor.tell(back, new Add({ n: 1 })).pipe(Effect.withSpan("off"), Effect.withTracerEnabled(false))
        assert.strictEqual(yield* Actor.ask(back, new Get()), 1)
        assert.deepStrictEqual(spans.map((span) => span.name), [])
      })
    ))

  it.effect("an interrupted traced ask ends its span interrupted; the request never runs", () =>
    run((spans) =>
      Effect.gen(function*() {
        const ref = yield* Actor.spawn(counter())
        const gate = yield* Deferred.make<void>()
        yield* Actor.tell(ref, new Block({ gate }))
        const fiber = yield* Effect.fork(Actor.ask(ref, new SlowGet({ gate })).pipe(Effect.withSpan("caller")))
        yield* Effect.yieldNow()
        yield* Fiber.interrupt(fiber)
        yield* Deferred.succeed(gate, undefined)
        assert.strictEqual(yield* Actor.ask(ref, new Get()), 0)
        const ask = named(spans, "Actor.ask SlowGet")
        assert.strictEqual(ask.status._tag, "Ended")
        if (ask.status._tag === "Ended") assert.isTrue(Exit.isInterrupted(ask.status.exit))
        assert.deepStrictEqual(spans.filter((span) => span.name === "Actor.handle SlowGet"), [])
      })
    ))

  it.effect("a killed actor ends the span of the message it was handling, interrupted", () =>
    run((spans) =>
      Effect.gen(function*() {
        const ref = yield* Actor.spawn(counter())
        const gate = yield* Deferred.make<void>()
        yield* Actor.tell(ref, new Block({ gate })).pipe(Effect.withSpan("sender"))
        yield* Effect.repeat(Effect.yieldNow(), {
          until: () => spans.some((s) => s.name === "Actor.handle Block"),
          times: 100
        })
        yield* Actor.stop(ref, { mode: "kill" })
        const handle = named(spans, "Actor.handle Block")
        assert.strictEqual(handle.status._tag, "Ended")
        if (handle.status._tag === "Ended") assert.isTrue(Exit.isInterrupted(handle.status.exit))
      })
    ))
})
