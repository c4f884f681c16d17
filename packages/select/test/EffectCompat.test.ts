import { describe, expect, it } from "@effect/vitest"
import { Select } from "@weft/select"
import { Deferred, Effect, Exit, FiberId, Mailbox } from "effect"
import * as EffectCompat from "../src/internal/effectCompat.js"

describe("effect's internals that select relies on (internal/effectCompat.ts)", () => {
  it("the installed effect has the Deferred and Mailbox shapes the adapters use", () => {
    expect(EffectCompat.compatibility).toEqual({ deferred: undefined, mailbox: undefined })
  })

  it("a Deferred whose state changed shape is detected, with a message that says what changed", () => {
    const deferred = Deferred.unsafeMake<number>(FiberId.none)
    // What a future effect might do: keep its waiters somewhere else.
    Object.defineProperty(deferred, "state", { value: { current: { _tag: "Pending", waiters: [] } } })
    expect(EffectCompat.probeDeferred(deferred)).toMatch(/effect's internal Deferred state .* changed/)
  })

  it("a Mailbox without a synchronous take is detected", () => {
    const mailbox = Effect.runSync(Mailbox.make<number>())
    Object.defineProperty(mailbox, "unsafeTake", { value: undefined })
    expect(EffectCompat.probeMailbox(mailbox)).toMatch(/effect's internal Mailbox implementation .* changed/)
  })

  it("a Mailbox that is not effect's own is refused with a clear TypeError, not misread", () => {
    const foreign = { ...Effect.runSync(Mailbox.make<number>()), unsafeTake: undefined } as unknown as Mailbox.Mailbox<
      number
    >
    expect(() => Select.take(foreign)).toThrow(/Select.take: this Mailbox is not effect's own implementation/)
  })

  it.effect("on the installed effect the adapters work end to end", () =>
    Effect.gen(function*() {
      const deferred = yield* Deferred.make<string>()
      const mailbox = yield* Mailbox.make<number>()
      yield* Deferred.done(deferred, Exit.succeed("done"))
      const first = yield* Select.select({ done: Select.deferred(deferred), next: Select.take(mailbox) })
      expect(first).toEqual({ _tag: "done", value: "done" })
    }))
})
