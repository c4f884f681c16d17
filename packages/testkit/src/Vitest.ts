/**
 * `@effect/vitest` integration: an interleaving check as a test.
 *
 * Import it from `@weft/testkit/Vitest`; the package root does not load vitest.
 *
 * @since 0.1.0
 */
import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as TestServices from "effect/TestServices"
import * as Interleavings from "./Interleavings.js"

/**
 * Declares a test that checks `program` under `runs` interleavings (`Interleavings.check`); a
 * failing interleaving fails the test with its `InterleavingFailure`, whose message lists the
 * seed and the shrunk decisions. `timeout` is the test's timeout in milliseconds.
 *
 * @example
 * ```ts
 * import { Effect, Fiber, Ref } from "effect"
 * import { interleavings } from "@weft/testkit/Vitest"
 *
 * interleavings("two atomic increments make 2", Effect.gen(function*() {
 *   const count = yield* Ref.make(0)
 *   const fibers = yield* Effect.all([Effect.fork(Ref.update(count, (n) => n + 1)), Effect.fork(Ref.update(count, (n) => n + 1))])
 *   yield* Fiber.joinAll(fibers)
 *   if ((yield* Ref.get(count)) !== 2) return yield* Effect.dieMessage("an update was lost")
 * }), { runs: 100 })
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const interleavings = <A, E>(
  name: string,
  program: Effect.Effect<A, E, TestServices.TestServices>,
  options?: Interleavings.CheckOptions & { readonly timeout?: number | undefined }
): void => it.effect(name, () => Effect.asVoid(Interleavings.check(program, options)), options?.timeout)
