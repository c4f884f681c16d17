import { Bytes } from "@weft/bytes"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as MessageArena from "../MessageArena.js"
import * as arena from "./arena.js"
import { InvalidArenaConfig } from "./errors.js"

/** Whether storing the frame as is would keep more memory alive than the frame itself. */
const pinsMore = (frame: Bytes.Bytes): boolean => !Bytes.spansBuffer(frame)

interface CopyPolicy {
  readonly adopt: (frame: Bytes.Bytes) => Bytes.Bytes
  readonly adoptMany: ((frames: ReadonlyArray<Bytes.Bytes>) => ReadonlyArray<Bytes.Bytes>) | undefined
}

const copyPolicy = (copyIn: MessageArena.CopyIn): CopyPolicy | undefined => {
  if (copyIn === "never") return undefined
  const below = copyIn === "always" ? Infinity : copyIn.belowBytes
  const copies = (frame: Bytes.Bytes) => Bytes.size(frame) < below && pinsMore(frame)
  const adopt = (frame: Bytes.Bytes) => copies(frame) ? Bytes.copy(frame) : frame
  if (copyIn === "always" || copyIn.batched !== true) return { adopt, adoptMany: undefined }
  return {
    adopt,
    // The frames to copy, copied into one buffer they share; the others stored as they are.
    adoptMany: (frames) => {
      const toCopy = frames.filter(copies)
      if (toCopy.length === 0) return frames
      const copied = Bytes.copyShared(toCopy)
      let next = 0
      return frames.map((frame) => copies(frame) ? copied[next++]! : frame)
    }
  }
}

const validateCopyIn = (copyIn: unknown): InvalidArenaConfig | undefined => {
  if (copyIn === "never" || copyIn === "always") return undefined
  const { batched, belowBytes } = typeof copyIn === "object" && copyIn !== null
    ? copyIn as { readonly belowBytes?: unknown; readonly batched?: unknown }
    : {}
  return typeof belowBytes === "number" && Number.isSafeInteger(belowBytes) && belowBytes >= 0
      && (batched === undefined || typeof batched === "boolean")
    ? undefined
    : new InvalidArenaConfig({
      option: "copyIn",
      value: copyIn,
      expected: `"never", "always" or { belowBytes: n, batched?: boolean } with n a non-negative integer`
    })
}

/** @internal */
export const make = (
  options: MessageArena.Options,
  generationBits?: number
): Effect.Effect<MessageArena.MessageArena.Service, InvalidArenaConfig, Scope.Scope> =>
  Effect.suspend(() => {
    const copyIn = options.copyIn ?? "never"
    const invalid = validateCopyIn(copyIn)
    if (invalid !== undefined) return Effect.fail(invalid)
    const policy = copyPolicy(copyIn)
    return arena.make<Bytes.Bytes>({
      capacity: options.capacity,
      maxBytes: options.maxBytes,
      bytesOf: Bytes.size,
      onFull: options.onFull,
      adopt: policy?.adopt,
      adoptMany: policy?.adoptMany,
      name: options.name ?? "message-arena"
    }, generationBits)
  })
