/**
 * The body of a `POST /rpc`, read and checked before any procedure runs: at most `limit` bytes
 * (a larger body is refused without being read), then one JSON request per line, each naming a
 * known procedure, with a numeric id and a payload its schema accepts. Anything else is a typed
 * error the HTTP layer answers with a 4xx, never a `200` with a `Defect` line.
 *
 * @since 0.1.0
 */
import type * as RpcMessage from "@effect/rpc/RpcMessage"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Http from "node:http"

/**
 * A request body over the limit (a 413): announced by its `Content-Length`, or counted as it came.
 *
 * @since 0.1.0
 * @category errors
 */
export class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{
  readonly limit: number
  /** The `Content-Length`, or the bytes received when the count passed the limit. */
  readonly bytes: number
  readonly declared: boolean
}> {
  override get message() {
    return this.declared
      ? `request body of ${this.bytes} bytes exceeds the limit of ${this.limit}`
      : `request body exceeds the limit of ${this.limit} bytes (${this.bytes} received)`
  }
}

/**
 * The client broke off (or the socket failed) before its body ended (a 400, if anyone is left to
 * read it).
 *
 * @since 0.1.0
 * @category errors
 */
export class BodyReadFailed extends Data.TaggedError("BodyReadFailed")<{ readonly cause: unknown }> {
  override get message() {
    return `reading the request body failed: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/**
 * A body that is not NDJSON requests: not UTF-8, a line that is not JSON, a request without a
 * numeric `id`, no request at all (a 400). `line` is 1-based (0: the body as a whole).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRpcRequest extends Data.TaggedError("InvalidRpcRequest")<{
  readonly line: number
  readonly reason: string
}> {
  override get message() {
    return this.line === 0
      ? `invalid RPC request: ${this.reason}`
      : `invalid RPC request on line ${this.line}: ${this.reason}`
  }
}

/**
 * A request for a procedure the server does not have (a 404).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownProcedure extends Data.TaggedError("UnknownProcedure")<{
  readonly line: number
  readonly procedure: string
  readonly known: ReadonlyArray<string>
}> {
  override get message() {
    return `unknown procedure ${JSON.stringify(this.procedure)} on line ${this.line} (known: ${this.known.join(", ")})`
  }
}

/**
 * A payload the procedure's schema rejects (a 400); `issue` is the schema's explanation.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPayload extends Data.TaggedError("InvalidPayload")<{
  readonly line: number
  readonly procedure: string
  readonly issue: string
}> {
  override get message() {
    return `invalid payload for ${this.procedure} on line ${this.line}: ${this.issue}`
  }
}

/**
 * @since 0.1.0
 * @category errors
 */
export type RequestError = BodyTooLarge | BodyReadFailed | InvalidRpcRequest | UnknownProcedure | InvalidPayload

/**
 * Reads a Node request body of at most `limit` bytes. A `Content-Length` over the limit fails at
 * once, before a byte is read; a body without one (chunked) is counted as it comes and fails as
 * soon as the count passes the limit, holding at most `limit` bytes. Either way the rest is
 * discarded as it comes, for at most `lingerMs`, then the connection is cut.
 *
 * Cancellation safety: interruption stops the reading (its listeners are removed); what was
 * read is dropped.
 *
 * @since 0.1.0
 * @category reading
 */
export const read = (
  source: Http.IncomingMessage,
  limit: number
): Effect.Effect<Uint8Array, BodyTooLarge | BodyReadFailed> =>
  Effect.suspend(() => {
    const declared = Number(source.headers["content-length"] ?? Number.NaN)
    if (declared > limit) {
      discard(source)
      return Effect.fail(new BodyTooLarge({ limit, bytes: declared, declared: true }))
    }
    return Effect.async<Uint8Array, BodyTooLarge | BodyReadFailed>((resume) => {
      const chunks: Array<Buffer> = []
      let bytes = 0
      const stop = () => {
        source.off("data", onData)
        source.off("end", onEnd)
        source.off("error", onError)
        source.off("close", onClose)
      }
      const onData = (chunk: Buffer) => {
        bytes += chunk.length
        if (bytes <= limit) return void chunks.push(chunk)
        stop()
        discard(source)
        resume(Effect.fail(new BodyTooLarge({ limit, bytes, declared: false })))
      }
      const onEnd = () => {
        stop()
        resume(Effect.succeed(Buffer.concat(chunks, bytes)))
      }
      const onError = (cause: unknown) => {
        stop()
        resume(Effect.fail(new BodyReadFailed({ cause })))
      }
      const onClose = () => onError(new Error("the connection closed before the body ended"))
      source.on("data", onData)
      source.on("end", onEnd)
      source.on("error", onError)
      source.on("close", onClose)
      return Effect.sync(stop)
    })
  })

/** How long the rest of a refused body may keep coming before the connection is cut. */
export const lingerMs = 2_000

/**
 * Lets the rest of a refused body flow into nothing (it costs bandwidth, never memory), so the
 * connection stays usable and the client reads its 413. Closing at once would not do: closing a
 * socket with unread data resets the connection (RST), and the client can lose the 413 it had
 * not read yet (1 in 5 of curl's 150 MiB POSTs did). A body still coming after `lingerMs` is cut
 * off with the connection.
 */
const discard = (source: Http.IncomingMessage) => {
  const cut = setTimeout(() => source.socket.destroy(), lingerMs)
  const done = () => clearTimeout(cut)
  source.once("end", done)
  source.once("close", done)
  source.resume()
}

/** The request line as the server needs it; the id becomes a `BigInt` there, so digits only. */
const RequestLine = Schema.Struct({
  _tag: Schema.Literal("Request"),
  id: Schema.String.pipe(Schema.pattern(/^\d{1,20}$/, { message: () => "a decimal number (as a string)" })),
  tag: Schema.String,
  payload: Schema.optional(Schema.Unknown),
  headers: Schema.optionalWith(Schema.Array(Schema.mutable(Schema.Tuple(Schema.String, Schema.String))), {
    default: () => []
  }),
  traceId: Schema.optional(Schema.String),
  spanId: Schema.optional(Schema.String),
  sampled: Schema.optional(Schema.Boolean)
})

const decodeLine = Schema.decodeUnknownEither(RequestLine)
const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * The procedures a body may call: each one's payload schema, by tag (an `RpcGroup`'s `requests`).
 *
 * @since 0.1.0
 * @category models
 */
export type Procedures = ReadonlyMap<string, { readonly payloadSchema: Schema.Schema.AnyNoContext }>

/**
 * The requests of an NDJSON body, each checked against `procedures`. The last line needs no
 * newline (the body's end ends it); blank lines are skipped; a body with no request is invalid.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (
  body: Uint8Array,
  procedures: Procedures
): Either.Either<ReadonlyArray<RpcMessage.RequestEncoded>, InvalidRpcRequest | UnknownProcedure | InvalidPayload> => {
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    return Either.left(new InvalidRpcRequest({ line: 0, reason: "the body is not UTF-8" }))
  }
  const requests: Array<RpcMessage.RequestEncoded> = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1
    const source = lines[i]!.trim()
    if (source === "") continue
    let json: unknown
    try {
      json = JSON.parse(source)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      return Either.left(new InvalidRpcRequest({ line, reason: `not JSON (${reason})` }))
    }
    const decoded = decodeLine(json)
    if (Either.isLeft(decoded)) {
      return Either.left(
        new InvalidRpcRequest({ line, reason: ParseResult.TreeFormatter.formatErrorSync(decoded.left) })
      )
    }
    const request = decoded.right
    const procedure = procedures.get(request.tag)
    if (procedure === undefined) {
      return Either.left(new UnknownProcedure({ line, procedure: request.tag, known: Array.from(procedures.keys()) }))
    }
    const payload = Schema.decodeUnknownEither(procedure.payloadSchema)(request.payload)
    if (Either.isLeft(payload)) {
      return Either.left(
        new InvalidPayload({
          line,
          procedure: request.tag,
          issue: ParseResult.TreeFormatter.formatErrorSync(payload.left)
        })
      )
    }
    requests.push({ ...request, payload: request.payload })
  }
  if (requests.length === 0) return Either.left(new InvalidRpcRequest({ line: 0, reason: "the body holds no request" }))
  return Either.right(requests)
}
