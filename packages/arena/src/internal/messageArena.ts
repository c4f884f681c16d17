import { Bytes } from "@weft/bytes"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as MessageArena from "../MessageArena.js"
import * as arena from "./arena.js"
import { InvalidArenaConfig } from "./errors.js"

/**
 * Whether the frame views only part of its buffer, i.e. storing it as is would keep more memory
 * alive than the frame itself. A frame that spans its whole buffer pins nothing extra.
 */
const pinsMore = (frame: Bytes.Bytes): boolean => {
  const array = Bytes.toUint8Array(frame)
  return array.byteLength < array.buffer.byteLength
}

const copyAlways = (frame: Bytes.Bytes): Bytes.Bytes => pinsMore(frame) ? Bytes.copy(frame) : frame

const copyPolicy = (copyIn: MessageArena.CopyIn): ((frame: Bytes.Bytes) => Bytes.Bytes) | undefined => {
  if (copyIn === "never") return undefined
  if (copyIn === "always") return copyAlways
  const below = copyIn.belowBytes
  return (frame) => Bytes.size(frame) < below ? copyAlways(frame) : frame
}

const validateCopyIn = (copyIn: unknown): InvalidArenaConfig | undefined => {
  if (copyIn === "never" || copyIn === "always") return undefined
  const below = typeof copyIn === "object" && copyIn !== null && "belowBytes" in copyIn ? copyIn.belowBytes : undefined
  return typeof below === "number" && Number.isSafeInteger(below) && below >= 0
    ? undefined
    : new InvalidArenaConfig({
      option: "copyIn",
      value: copyIn,
      expected: `"never", "always" or { belowBytes: n } with n a non-negative integer`
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
    return arena.make<Bytes.Bytes>({
      capacity: options.capacity,
      maxBytes: options.maxBytes,
      bytesOf: Bytes.size,
      onFull: options.onFull,
      adopt: copyPolicy(copyIn),
      name: options.name ?? "message-arena"
    }, generationBits)
  })
