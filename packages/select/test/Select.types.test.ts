import type { ChannelError } from "@weft/channel"
import { Mpsc } from "@weft/channel"
import type { Select, SelectError } from "@weft/select"
import { Select as S, Wait } from "@weft/select"
import type { Cause, Exit, Mailbox } from "effect"
import { Effect } from "effect"
import { describe, expectTypeOf, it } from "vitest"

declare const numbers: Mpsc.Receiver<number>
declare const names: Mpsc.Receiver<string>
declare const mailbox: Mailbox.ReadonlyMailbox<boolean, "mailbox failed">
declare const signal: AbortSignal

describe("select types", () => {
  it("the result union narrows per branch", () => {
    const _selecting = S.select({ n: numbers, s: names, m: S.take(mailbox), t: S.sleep("1 second") })
    type Selected = Effect.Effect.Success<typeof _selecting>
    expectTypeOf<Selected["_tag"]>().toEqualTypeOf<"n" | "s" | "m" | "t">()
    const use = (selected: Selected) => {
      switch (selected._tag) {
        case "n":
          expectTypeOf(selected.value).toEqualTypeOf<number>()
          break
        case "s":
          expectTypeOf(selected.value).toEqualTypeOf<string>()
          break
        case "m":
          expectTypeOf(selected.value).toEqualTypeOf<boolean>()
          break
        case "t":
          expectTypeOf(selected.value).toEqualTypeOf<void>()
          break
      }
    }
    expectTypeOf(use).toBeFunction()
    expectTypeOf<Effect.Effect.Error<typeof _selecting>>().toEqualTypeOf<
      ChannelError.ChannelClosed | "mailbox failed" | Cause.NoSuchElementException
    >()
  })

  it("a guard adds AllBranchesDisabled; orElse removes it and adds its own branch", () => {
    const _guarded = S.select({ n: S.when(numbers, true) })
    expectTypeOf<Effect.Effect.Error<typeof _guarded>>().toEqualTypeOf<
      ChannelError.ChannelClosed | SelectError.AllBranchesDisabled
    >()
    const _withFallback = S.select({ n: S.when(numbers, true) }, { orElse: () => Effect.succeed("idle" as const) })
    expectTypeOf<Effect.Effect.Success<typeof _withFallback>>().toEqualTypeOf<
      Select.Selected<"n", number> | Select.Selected<"orElse", "idle">
    >()
    expectTypeOf<Effect.Effect.Error<typeof _withFallback>>().toEqualTypeOf<ChannelError.ChannelClosed>()
    const _empty = S.select({})
    expectTypeOf<Effect.Effect.Error<typeof _empty>>().toEqualTypeOf<SelectError.AllBranchesDisabled>()
  })

  it("branches must be sources", () => {
    // @ts-expect-error a plain value is not a branch
    S.select({ n: 1 })
    // @ts-expect-error an effect is not a branch: select waits on sources, race runs effects
    S.select({ e: Effect.succeed(1) })
  })

  it("join and tryJoin keep tuples and records typed", () => {
    const _joined = S.join([Effect.succeed(1), Effect.fail("e" as const), Effect.succeed("s")])
    expectTypeOf<Effect.Effect.Success<typeof _joined>>().toEqualTypeOf<
      [Exit.Exit<number>, Exit.Exit<never, "e">, Exit.Exit<string>]
    >()
    expectTypeOf<Effect.Effect.Error<typeof _joined>>().toEqualTypeOf<never>()
    const _tried = S.tryJoin({ a: Effect.succeed(1), b: Effect.fail("b" as const) })
    expectTypeOf<Effect.Effect.Success<typeof _tried>>().toEqualTypeOf<{ a: number; b: never }>()
    expectTypeOf<Effect.Effect.Error<typeof _tried>>().toEqualTypeOf<"b">()
    const _tuple = S.tryJoin([Effect.succeed(1), Effect.succeed(true)])
    expectTypeOf<Effect.Effect.Success<typeof _tuple>>().toEqualTypeOf<[number, boolean]>()
  })

  it("race tags its winner", () => {
    const _raced = S.race({ a: Effect.succeed(1), b: Effect.fail("x" as const) })
    expectTypeOf<Effect.Effect.Success<typeof _raced>>().toEqualTypeOf<
      Select.Selected<"a", number> | Select.Selected<"b", never>
    >()
    expectTypeOf<Effect.Effect.Error<typeof _raced>>().toEqualTypeOf<"x">()
  })

  it("timeout types a source and an effect, data-first and data-last", () => {
    expectTypeOf(Wait.timeout(numbers, "1 second")).toEqualTypeOf<
      Effect.Effect<number, ChannelError.ChannelClosed | SelectError.TimeoutError>
    >()
    const effect = Effect.succeed("x") as Effect.Effect<string, "e", "R">
    expectTypeOf(Wait.discardable(effect).pipe(Wait.timeout("1 second"))).toEqualTypeOf<
      Effect.Effect<string, "e" | SelectError.TimeoutError, "R">
    >()
    expectTypeOf(Wait.deadline(names, 1000)).toEqualTypeOf<
      Effect.Effect<string, ChannelError.ChannelClosed | SelectError.TimeoutError>
    >()
    expectTypeOf(Wait.abortable(numbers, signal)).toEqualTypeOf<
      Effect.Effect<number, ChannelError.ChannelClosed | SelectError.Aborted>
    >()
    expectTypeOf(Wait.discardable(effect).pipe(Wait.abortable(signal))).toEqualTypeOf<
      Effect.Effect<string, "e" | SelectError.Aborted, "R">
    >()
  })

  it("the wrappers refuse a plain effect: a receive run as an effect would lose its message", () => {
    // @ts-expect-error a consuming effect: interrupted just after it received, the message is gone
    Wait.timeout(Mpsc.recv(numbers), "1 hour")
    // @ts-expect-error the same, data-last
    Mpsc.recv(numbers).pipe(Wait.timeout("1 hour"))
    // @ts-expect-error deadline too
    Wait.deadline(Mpsc.recv(numbers), 1000)
    // @ts-expect-error abortable too
    Wait.abortable(Mpsc.recv(numbers), signal)
    // @ts-expect-error any plain effect: only `discardable` declares that dropping its value is fine
    Wait.timeout(Effect.succeed(1), "1 second")
  })

  it("selectLoop infers its state, handler values and errors", () => {
    const _loop = S.selectLoop({ state: { count: 0 }, branches: () => ({ n: numbers, s: names }) }, {
      n: (value, state) => {
        expectTypeOf(value).toEqualTypeOf<number>()
        return Effect.succeed({ count: state.count + value })
      },
      s: (value, state) => {
        expectTypeOf(value).toEqualTypeOf<string>()
        return value === "stop" ? Effect.succeed(S.stop(state)) : Effect.fail("bad name" as const)
      }
    })
    expectTypeOf<Effect.Effect.Success<typeof _loop>>().toEqualTypeOf<{ count: number }>()
    expectTypeOf<Effect.Effect.Error<typeof _loop>>().toEqualTypeOf<ChannelError.ChannelClosed | "bad name">()
    // @ts-expect-error every branch needs a handler
    S.selectLoop({ state: 0, branches: () => ({ n: numbers, s: names }) }, { n: (n: number) => Effect.succeed(n) })
    S.selectLoop({ state: 0, branches: (sum) => ({ n: S.when(numbers, sum < 6) }) }, {
      n: (n, sum) => {
        expectTypeOf(n).toEqualTypeOf<number>()
        return Effect.succeed(sum + n)
      }
    })
  })
})
