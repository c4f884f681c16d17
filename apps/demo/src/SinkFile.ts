/**
 * The sink's file: its record format, its recovery when the gateway opens it, and its
 * verification (`weft-demo verify-sink`).
 *
 * A sink file is a sequence of records, one per frame, with nothing before, between or after them:
 *
 * ```text
 * u32 length   (big-endian) the body's length in bytes
 * u32 crc32    (big-endian) CRC-32 (IEEE 802.3, as zlib) of the body
 * body         the frame as the client sent it: topic \0 payload
 * ```
 *
 * A crash (SIGKILL, power loss) during a write can leave a torn record at the end: a header or a
 * body cut short, or bytes the disk never got. The gateway never acks such a record (it acks
 * after the fsync), but appending after it would make every later record unreadable. So
 * {@link open} scans the file first and truncates it to the end of its last whole record (the
 * length fits in the file and the checksum matches); the bytes it cuts are saved next to the file
 * (`<file>.cut-<offset>`) and logged, so nothing is silently destroyed.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Bytes } from "@weft/bytes"
import type { Scope } from "effect"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Path from "node:path"
import * as Frame from "./Frame.js"

/** Bytes before each record's body: its length and its checksum. */
export const headerLength = 8

/** What is wrong with the first damaged record of a file. */
export interface Damage {
  /** Where the damaged record starts: the end of the last whole record. */
  readonly offset: number
  readonly reason: "truncated header" | "truncated body" | "checksum mismatch"
  /** The body length its header claims (absent when the header itself is cut short). */
  readonly length?: number
}

/** A scan of a sink file: its whole records up to the first damage, and the damage if any. */
export interface Scan {
  /** Whole records before the first damage. */
  readonly records: number
  /** Bytes of those records (headers included): the file's length if it is undamaged. */
  readonly validBytes: number
  /** The file's length. */
  readonly fileBytes: number
  readonly damage: Damage | undefined
}

/** Reading, truncating or syncing a sink file failed. */
export class SinkFileError extends Data.TaggedError("SinkFileError")<{
  readonly path: string
  readonly operation: "open" | "read" | "truncate" | "save the cut bytes"
  readonly cause: unknown
}> {
  override get message() {
    return `sink file ${this.path}: ${this.operation} failed: ${String(this.cause)}`
  }
}

/** `verify-sink` found a damaged record. */
export class SinkDamaged extends Data.TaggedError("SinkDamaged")<{
  readonly path: string
  readonly scan: Scan
  readonly damage: Damage
}> {
  override get message() {
    return `${this.path}: ${describe(this.scan)}`
  }
}

/** One line about a scan, for logs and `verify-sink`. */
export const describe = (scan: Scan): string => {
  const whole = `${scan.records} whole record(s), ${scan.validBytes} bytes`
  if (scan.damage === undefined) return `${whole}, no damage`
  const { length, offset, reason } = scan.damage
  return `${whole}, then a damaged record at byte ${offset}: ${reason}${
    length === undefined ? "" : ` (its header claims ${length} bytes)`
  }; ${scan.fileBytes - scan.validBytes} bytes from there to the end of the file`
}

/** The records of `frames`, in order, in one buffer ready to append. */
export const encodeRecords = (frames: ReadonlyArray<Bytes.Bytes>): Uint8Array => {
  let size = 0
  for (const frame of frames) size += headerLength + Bytes.size(frame)
  const buffer = Buffer.allocUnsafe(size)
  let offset = 0
  for (const frame of frames) {
    const body = Bytes.toUint8Array(frame)
    buffer.writeUInt32BE(body.length, offset)
    buffer.writeUInt32BE(Frame.crc32(body), offset + 4)
    buffer.set(body, offset + headerLength)
    offset += headerLength + body.length
  }
  return buffer
}

/** Bytes read from the file at once while scanning. */
const chunkBytes = 1 << 20

/** What a scan reads through: the platform's `File`, or an error that names the step. */
type Read<A> = Effect.Effect<A, SinkFileError>

/**
 * Scans an open file from the start, reading it in chunks of 1 MiB (a record longer than that is
 * read whole). Calls `onRecord` with each whole record's body (a view, valid during the call).
 */
const scanFile = (
  path: string,
  file: FileSystem.File,
  onRecord?: (body: Uint8Array) => void
): Read<Scan> =>
  Effect.gen(function*() {
    const failed = (cause: unknown) => new SinkFileError({ path, operation: "read", cause })
    const size = Number((yield* Effect.mapError(file.stat, failed)).size)
    let chunk = Buffer.allocUnsafe(chunkBytes)
    let chunkStart = 0
    let chunkEnd = 0
    // Makes bytes [at, at + n) available in `chunk` (n fits in the file: checked by the caller).
    const load = (at: number, n: number): Read<void> =>
      Effect.gen(function*() {
        if (at >= chunkStart && at + n <= chunkEnd) return
        if (n > chunk.length) chunk = Buffer.allocUnsafe(n)
        const want = Math.min(chunk.length, size - at)
        yield* file.seek(at, "start")
        let got = 0
        while (got < want) {
          const bytesRead = Number(yield* Effect.mapError(file.read(chunk.subarray(got, want)), failed))
          if (bytesRead === 0) {
            return yield* failed(new Error(`the file ended at byte ${at + got} while reading it (${size} expected)`))
          }
          got += bytesRead
        }
        chunkStart = at
        chunkEnd = at + got
      })
    let offset = 0
    let records = 0
    const damaged = (damage: Omit<Damage, "offset">): Scan => ({
      records,
      validBytes: offset,
      fileBytes: size,
      damage: { offset, ...damage }
    })
    while (offset < size) {
      if (size - offset < headerLength) return damaged({ reason: "truncated header" })
      yield* load(offset, headerLength)
      const length = chunk.readUInt32BE(offset - chunkStart)
      const checksum = chunk.readUInt32BE(offset - chunkStart + 4)
      if (size - offset - headerLength < length) return damaged({ reason: "truncated body", length })
      yield* load(offset, headerLength + length)
      const start = offset - chunkStart + headerLength
      if (Frame.crc32(chunk, start, start + length) !== checksum) {
        return damaged({ reason: "checksum mismatch", length })
      }
      onRecord?.(chunk.subarray(start, start + length))
      offset += headerLength + length
      records++
    }
    return { records, validBytes: offset, fileBytes: size, damage: undefined }
  })

/** Scans the sink file at `path` (see {@link Scan}); a missing file is an error. */
export const scan = (
  path: string,
  onRecord?: (body: Uint8Array) => void
): Effect.Effect<Scan, SinkFileError, FileSystem.FileSystem> =>
  Effect.scoped(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const file = yield* Effect.mapError(
      fs.open(path, { flag: "r" }),
      (cause) => new SinkFileError({ path, operation: "open", cause })
    )
    return yield* scanFile(path, file, onRecord)
  }))

/** `weft-demo verify-sink`: the scan, or `SinkDamaged` when the file has a damaged record. */
export const verify = (path: string): Effect.Effect<Scan, SinkFileError | SinkDamaged, FileSystem.FileSystem> =>
  Effect.flatMap(scan(path), (result) =>
    result.damage === undefined
      ? Effect.succeed(result)
      : Effect.fail(new SinkDamaged({ path, scan: result, damage: result.damage })))

/** A sink file opened for appending, its length after recovery. */
export interface Opened {
  /** Open for the lifetime of the scope `open` ran in. */
  readonly file: FileSystem.File
  /** Where the next record goes: the end of the last whole record. */
  readonly size: number
}

/**
 * Opens (creating it and its directory if needed) the sink file for appending, for the lifetime
 * of the scope, after recovering it: a damaged tail is saved to `<path>.cut-<offset>`, cut off,
 * the cut is fsynced and logged (a warning with the facts). The file closes with the scope, also
 * when the recovery fails.
 */
export const open = (path: string): Effect.Effect<Opened, SinkFileError, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const attempt = (operation: SinkFileError["operation"]) => (cause: unknown) =>
      new SinkFileError({ path, operation, cause })
    yield* Effect.mapError(fs.makeDirectory(Path.dirname(path), { recursive: true }), attempt("open"))
    // "a+": reads anywhere (the scan), writes always append.
    const file = yield* Effect.mapError(fs.open(path, { flag: "a+" }), attempt("open"))
    const result = yield* scanFile(path, file)
    if (result.damage === undefined) return { file, size: result.validBytes }
    const savedTo = `${path}.cut-${result.validBytes}`
    yield* Stream.run(fs.stream(path, { offset: result.validBytes }), fs.sink(savedTo)).pipe(
      Effect.mapError(attempt("save the cut bytes"))
    )
    yield* Effect.zipRight(file.truncate(result.validBytes), file.sync).pipe(Effect.mapError(attempt("truncate")))
    yield* Effect.logWarning(`sink: recovered ${path}: ${describe(result)}; cut them (saved to ${savedTo})`).pipe(
      Effect.annotateLogs({ sink: path, cutAt: result.validBytes, cutBytes: result.fileBytes - result.validBytes })
    )
    return { file, size: result.validBytes }
  })

/** Every whole record's body in the sink file at `path` (copies), or the damage that stopped the scan. */
export const readAll = (
  path: string
): Effect.Effect<ReadonlyArray<Uint8Array>, SinkFileError | SinkDamaged, FileSystem.FileSystem> =>
  Effect.suspend(() => {
    const bodies: Array<Uint8Array> = []
    return Effect.flatMap(
      scan(path, (body) => bodies.push(new Uint8Array(body))),
      (result) =>
        result.damage === undefined
          ? Effect.succeed(bodies)
          : Effect.fail(new SinkDamaged({ path, scan: result, damage: result.damage }))
    )
  })
