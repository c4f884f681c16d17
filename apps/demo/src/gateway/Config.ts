/**
 * What the gateway can be told (`Config`, `defaults`), how a configuration is checked, and the
 * typed errors of starting and managing a gateway.
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Os from "node:os"
import * as Frame from "../Frame.js"
import * as Plugins from "../Plugins.js"

/** Everything the gateway can be told. */
export interface Config {
  /** Address to listen on (TCP and HTTP). Default 127.0.0.1. */
  readonly host: string
  /** TCP ingest port; 0 picks a free one. */
  readonly tcpPort: number
  /** HTTP API port; 0 picks a free one. */
  readonly httpPort: number
  /** The longest frame a client may send; a longer header closes the connection. */
  readonly maxFrameLength: number
  /** Slots of the message arena: frames in flight at once. */
  readonly arenaCapacity: number
  /** Bytes the arena may hold at once. */
  readonly arenaMaxBytes: number
  /** Capacity of each plugin's mailbox, in batches (the arena bounds the frames). */
  readonly mailboxCapacity: number
  /** Which plugins run. */
  readonly plugins: ReadonlyArray<Plugins.PluginName>
  /**
   * Worker threads for the `compress` plugin's deflating (one compressor actor each); 0 deflates on
   * the main thread. Started with the plugin.
   */
  readonly workers: number
  /** The sink's log file (created, appended to). */
  readonly sinkPath: string
  /**
   * The sink writes and fsyncs once it holds this many frames, or when its mailbox is empty. It
   * writes whole batches, so one write can hold more.
   */
  readonly sinkBatch: number
  /** The sink also writes once the frames it holds weigh this many bytes. */
  readonly sinkBatchBytes: number
  /** The chaos plugin crashes on the batch holding every this-many-th frame (0: never). */
  readonly chaosEvery: number
  /** Time the `slow` plugin spends per frame. */
  readonly slowDelay: Duration.DurationInput
  /** Most TCP connections at once; more are refused and logged. */
  readonly maxConnections: number
  /** Most `/events` subscribers at once; more get a 503. */
  readonly maxSseClients: number
  /** How long a graceful stop of each plugin may take before it is killed. */
  readonly drainTimeout: Duration.DurationInput
  /** A connection that sends nothing for this long (while the gateway waits for it) is closed. */
  readonly idleTimeout: Duration.DurationInput
  /** A frame must arrive whole within this long of its first byte, or its connection is closed. */
  readonly frameDeadline: Duration.DurationInput
  /** The largest `/rpc` request body; a larger one is answered 413 without being read. */
  readonly maxRequestBodyBytes: number
}

export const defaults = (sinkPath: string): Config => ({
  host: "127.0.0.1",
  tcpPort: 7878,
  httpPort: 8787,
  maxFrameLength: Frame.defaultMaxFrameLength,
  arenaCapacity: 8192,
  arenaMaxBytes: 64 * 1024 * 1024,
  mailboxCapacity: 1024,
  plugins: Plugins.defaultPlugins,
  workers: Math.max(0, Os.availableParallelism() - 1),
  sinkPath,
  sinkBatch: 4096,
  sinkBatchBytes: 4 * 1024 * 1024,
  chaosEvery: 1000,
  slowDelay: "10 millis",
  maxConnections: 64,
  maxSseClients: 16,
  drainTimeout: "10 seconds",
  idleTimeout: "60 seconds",
  frameDeadline: "10 seconds",
  maxRequestBodyBytes: 1024 * 1024
})

/** A configuration value out of range. */
export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{
  readonly option: string
  readonly value: unknown
  readonly expected: string
}> {
  override get message() {
    return `invalid ${this.option}: ${String(this.value)} (expected ${this.expected})`
  }
}

/** The TCP listener could not start (port in use, bad address, …). */
export class ListenFailed extends Data.TaggedError("ListenFailed")<{
  readonly host: string
  readonly port: number
  readonly cause: unknown
}> {
  override get message() {
    return `cannot listen for TCP ingest on ${this.host}:${this.port}: ${describeListenError(this.cause)}`
  }
}

/** A listen error as a person reads it: the reason, then Node's code (`EADDRINUSE`, `EACCES`, …). */
export const describeListenError = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
  const reason = code === "EADDRINUSE"
    ? "the port is already in use"
    : code === "EACCES"
    ? "permission denied"
    : code === "EADDRNOTAVAIL"
    ? "the address is not available on this machine"
    : cause instanceof Error
    ? cause.message
    : String(cause)
  return code === undefined ? reason : `${reason} (${code})`
}

/** The sink file could not be opened. */
export class SinkOpenFailed extends Data.TaggedError("SinkOpenFailed")<{
  readonly path: string
  readonly cause: unknown
}> {
  override get message() {
    return `cannot open sink file ${this.path}: ${String(this.cause)}`
  }
}

/** `addPlugin` for a plugin that is already running. */
export class PluginAlreadyRunning extends Data.TaggedError("PluginAlreadyRunning")<{ readonly plugin: string }> {
  override get message() {
    return `plugin ${this.plugin} is already running`
  }
}

/** `removePlugin` for a plugin that is not running. */
export class PluginNotRunning extends Data.TaggedError("PluginNotRunning")<{ readonly plugin: string }> {
  override get message() {
    return `plugin ${this.plugin} is not running`
  }
}

/** A connection refused because `maxConnections` were open. */
export class ConnectionLimit extends Data.TaggedError("ConnectionLimit")<{
  readonly peer: string
  readonly max: number
}> {
  override get message() {
    return `connection from ${this.peer} refused: ${this.max} connections already open`
  }
}

const checkInt = (option: keyof Config, value: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  Number.isInteger(value) && value >= min && value <= max
    ? Effect.void
    : Effect.fail(new InvalidConfig({ option, value, expected: `an integer from ${min} to ${max}` }))

const checkDuration = (option: keyof Config, value: Duration.DurationInput) => {
  const duration = Duration.decodeUnknown(value)
  return Option.isSome(duration) && Duration.isFinite(duration.value) && Duration.toMillis(duration.value) > 0
    ? Effect.void
    : Effect.fail(new InvalidConfig({ option, value, expected: "a positive, finite duration" }))
}

export const validate = (config: Config): Effect.Effect<void, InvalidConfig> =>
  Effect.all([
    checkInt("tcpPort", config.tcpPort, 0, 65535),
    checkInt("httpPort", config.httpPort, 0, 65535),
    checkInt("maxFrameLength", config.maxFrameLength, 2, 2 ** 32 - 1),
    checkInt("arenaCapacity", config.arenaCapacity, 1, 2 ** 24),
    checkInt("arenaMaxBytes", config.arenaMaxBytes, config.maxFrameLength),
    checkInt("mailboxCapacity", config.mailboxCapacity, 1),
    checkInt("workers", config.workers, 0, 256),
    checkInt("sinkBatch", config.sinkBatch, 1),
    checkInt("sinkBatchBytes", config.sinkBatchBytes, 1),
    checkInt("chaosEvery", config.chaosEvery, 0),
    checkInt("maxConnections", config.maxConnections, 1),
    checkInt("maxSseClients", config.maxSseClients, 0),
    checkDuration("idleTimeout", config.idleTimeout),
    checkDuration("frameDeadline", config.frameDeadline),
    checkDuration("drainTimeout", config.drainTimeout),
    checkInt("maxRequestBodyBytes", config.maxRequestBodyBytes, 1)
  ], { discard: true })
