import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as EffectCompat from "../src/internal/effectCompat.js"

describe("effect's run-loop behaviour that arena relies on (internal/effectCompat.ts)", () => {
  it("the installed effect behaves as the allocation step needs (the package loaded, so the probe passed)", () => {
    expect(EffectCompat.probe()).toBeUndefined()
    expect(() => EffectCompat.assertCompatible()).not.toThrow()
  })

  it("a run loop that lets an interrupt land between a step and its continuation is detected", () => {
    // What such an effect amounts to: the value comes back one step later, as an Exit.
    const valueOneStepLater: EffectCompat.Claim = (step, onThrown) =>
      Effect.catchAllCause(
        Effect.suspend(() => Exit.succeed(step())),
        (cause) => (Cause.isDieType(cause) ? onThrown(cause.defect) : undefined) ?? Effect.failCause(cause)
      )
    expect(EffectCompat.probe(valueOneStepLater)).toMatch(
      /effect's fiber run loop changed: an interrupt now lands between a synchronous step and the continuation/
    )
  })

  it("an effect that no longer hands a thrown object over as an instance of its class is detected", () => {
    const rewrapping: EffectCompat.Claim = (step, onThrown) =>
      EffectCompat.claimOr(() => {
        try {
          return step()
        } catch (signal) {
          throw new Error(String(signal))
        }
      }, onThrown)
    expect(EffectCompat.probe(rewrapping)).toMatch(/an object thrown in Effect.sync no longer reaches catchAllCause/)
  })

  it("a finding fails loudly, with the message that says what changed", () => {
    expect(() => EffectCompat.assertCompatible("@weft/arena: effect's fiber run loop changed: x")).toThrow(
      /@weft\/arena: effect's fiber run loop changed: x/
    )
  })
})
