import { describe, expect, it } from "@effect/vitest"
import { DeadLetter } from "@weft/actor"
import { Data } from "effect"
import * as DeadLetterTail from "../../src/dashboard/DeadLetterTail.js"

class Deliveries extends Data.TaggedClass("Deliveries")<{}> {}

describe("DeadLetterTail", () => {
  it("keeps the newest `capacity`, newest first, with the message's tag", () => {
    const tail = DeadLetterTail.make(3)
    const reasons: ReadonlyArray<DeadLetter.Reason> = ["Crashed", "MailboxFull", "ActorStopped", "Crashed", "Killed"]
    reasons.forEach((reason, i) =>
      DeadLetterTail.record(
        tail,
        new DeadLetter.DeadLetter({ actor: `plugin-${i}`, message: i === 4 ? "text" : new Deliveries(), reason }),
        1_000 + i
      )
    )
    expect(tail.entries).toHaveLength(3)
    expect(DeadLetterTail.latest(tail, 2)).toEqual([
      { at: 1_004, actor: "plugin-4", tag: "string", reason: "Killed" },
      { at: 1_003, actor: "plugin-3", tag: "Deliveries", reason: "Crashed" }
    ])
    expect(DeadLetterTail.latest(tail, 10).map((entry) => entry.actor)).toEqual(["plugin-4", "plugin-3", "plugin-2"])
  })
})
