import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as EffectCompat from "../src/internal/effectCompat.js"

describe("effect's run-loop behaviour that channel relies on (internal/effectCompat.ts)", () => {
  it("the installed effect behaves as the claim step needs (the package loaded, so the probe passed)", () => {
    expect(EffectCompat.probe()).toBeUndefined()
    expect(() => EffectCompat.assertCompatible()).not.toThrow()
  })

  it("a run loop that lets an interrupt land between a step and its continuation is detected", () => {
    // What such an effect amounts to: the value comes back one step later, as an Exit.
    const valueOneStepLater: EffectCompat.Claim = (take, onNotReady) =>
      Effect.catchAllCause(
        Effect.suspend(() => Exit.succeed(take())),
        () => onNotReady()
      )
    expect(EffectCompat.probe(valueOneStepLater)).toMatch(
      /effect's fiber run loop changed: an interrupt now lands between a synchronous step and the continuation/
    )
  })

  it("an effect that no longer hands a thrown symbol over as itself is detected", () => {
    const rewrapping: EffectCompat.Claim = (take, onNotReady) =>
      EffectCompat.claimOr(() => {
        try {
          return take()
        } catch (signal) {
          throw new Error(String(signal))
        }
      }, onNotReady)
    expect(EffectCompat.probe(rewrapping)).toMatch(/a symbol thrown in Effect.sync no longer reaches catchAllCause/)
  })

  it("a finding fails loudly, with the message that says what changed", () => {
    expect(() => EffectCompat.assertCompatible("@weft/channel: effect's fiber run loop changed: x")).toThrow(
      /@weft\/channel: effect's fiber run loop changed: x/
    )
  })
})
