/**
 * `MessageArena`: the arena of `Bytes` messages, as a service.
 *
 * An ingest loop stores each decoded frame once (`alloc`) and fans the small `MessageRef` out to
 * every consumer; each consumer reads it (`get` / `use`) and releases its count. The arena weighs
 * messages by their byte size, so `maxBytes` bounds the memory held, and `stats.bytes` reports it.
 *
 * **copyIn.** A zero-copy frame is a view into the chunk it was decoded from — often a whole 64 KiB
 * socket read — and keeps that entire chunk alive while it is stored. With `copyIn`, the arena
 * copies small frames into memory of their own as it stores them, so the chunk can be collected:
 * one copy per message in exchange for not pinning the chunk. `"never"` (the default) stores frames
 * as they are; `"always"` copies every frame; `{ belowBytes: n }` copies frames under `n` bytes.
 * Frames that already span their whole buffer pin nothing extra and are never copied.
 *
 * `{ belowBytes: n, batched: true }` copies the frames one `allocUpTo` stores into one buffer they
 * share, with one allocation instead of one per frame (the cost that dominates for small frames).
 * The shared buffer lives until the last of its frames is released, so `maxBytes` stays exact
 * when a batch is released together — as a `Dispatcher.dispatchBatch` batch is, each plugin
 * settling it as a whole — while a frame that outlives its batch keeps the batch's copied bytes
 * alive (at most the batch's frames under `n` bytes each).
 *
 * The service is an `Arena<Bytes>`: use its methods, or the `Arena` module's functions on it. The
 * layer is scoped: closing it frees every message, reports leaks and fails later calls with
 * `ArenaClosed`.
 *
 * Cancellation safety: as for `Arena`: only a waiting allocation and the body of `use` can be
 * interrupted, and neither leaks a slot, bytes or a count.
 *
 * @since 0.1.0
 */
import type { Bytes } from "@weft/bytes"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Arena from "./Arena.js"
import type { InvalidArenaConfig } from "./internal/errors.js"
import * as internal from "./internal/messageArena.js"

/**
 * The message arena service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Bytes } from "@weft/bytes"
 * import { MessageArena } from "@weft/arena"
 *
 * const program = Effect.gen(function*() {
 *   const arena = yield* MessageArena.MessageArena
 *   const ref = yield* arena.alloc(Bytes.fromString("hello"))
 *   const frame = yield* arena.get(ref)
 *   yield* arena.release(ref)
 *   return Bytes.decodeUtf8(frame)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(MessageArena.layer({ capacity: 1024 }))))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class MessageArena extends Context.Tag("@weft/arena/MessageArena")<
  MessageArena,
  MessageArena.Service
>() {
  /**
   * A scoped layer holding one arena; see the module's {@link layer}.
   *
   * @since 0.1.0
   */
  static readonly layer = (options: Options): Layer.Layer<MessageArena, InvalidArenaConfig> =>
    Layer.scoped(MessageArena, internal.make(options))
}

/**
 * @since 0.1.0
 */
export declare namespace MessageArena {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service extends Arena.Arena<Bytes.Bytes> {}
}

/**
 * When the arena copies a frame into memory of its own as it stores it.
 *
 * @since 0.1.0
 * @category models
 */
export type CopyIn = "never" | "always" | { readonly belowBytes: number; readonly batched?: boolean | undefined }

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How many messages the arena holds at once: an integer from 1 to 2^24. */
  readonly capacity: number
  /** The most bytes the live messages may hold together; unbounded when absent. */
  readonly maxBytes?: number | undefined
  /** What `alloc` does when the arena is full: wait for room (the default) or fail with `ArenaFull`. */
  readonly onFull?: "suspend" | "fail" | undefined
  /** Which frames to copy as they are stored; `"never"` by default. See the module docs. */
  readonly copyIn?: CopyIn | undefined
  /** Names the arena in metrics (tag `arena`), its close report and `ArenaClosed`. Default "message-arena". */
  readonly name?: string | undefined
}

/**
 * A message arena that lives until the scope closes. Fails with `InvalidArenaConfig` for a capacity
 * outside 1…2^24, a `maxBytes` that is not a positive integer, or a negative `copyIn.belowBytes`.
 *
 * Cancellation safety: creation is one synchronous step; the arena's close is registered with the
 * scope in the same step.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: Options) => Effect.Effect<MessageArena.Service, InvalidArenaConfig, Scope.Scope> = (
  options
) => internal.make(options)

/**
 * A layer holding one message arena for the layer's lifetime (`Layer.scoped`).
 *
 * Cancellation safety: building the layer is one synchronous step; tearing it down closes the
 * arena (frees every message, fails waiting allocations with `ArenaClosed`, logs leaked refs).
 *
 * @example
 * ```ts
 * import { MessageArena } from "@weft/arena"
 *
 * const ArenaLive = MessageArena.layer({
 *   capacity: 4096,
 *   maxBytes: 64 * 1024 * 1024,
 *   onFull: "suspend",
 *   copyIn: { belowBytes: 1024 },
 *   name: "ingest"
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options: Options) => Layer.Layer<MessageArena, InvalidArenaConfig> = MessageArena.layer
