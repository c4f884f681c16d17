/**
 * The TCP side: the listener, each connection's read loop (decode, slow-client deadlines, ingest),
 * its final ack on a half-close, and at shutdown the connections that stop reading but stay open
 * until the sink's last acks reach them.
 */
import type { Bytes } from "@weft/bytes"
import { LengthDelimited } from "@weft/bytes"
import { NodeBridge } from "@weft/stream"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Net from "node:net"
import * as Acks from "../Acks.js"
import * as Frame from "../Frame.js"
import * as Timeouts from "../Timeouts.js"
import { type Config, ConnectionLimit, ListenFailed } from "./Config.js"
import {
  type ConnectionError,
  connectionErrorsMetric,
  connectionsMetric,
  type Counters,
  peerOf,
  recentFailures
} from "./Counters.js"
import type * as Ingest from "./Ingest.js"

/** A connection that stopped reading at shutdown and waits for the sink's last acks. */
interface Lingering {
  readonly connection: Acks.Connection
  /** Forgets the connection and destroys its socket. */
  readonly close: Effect.Effect<void>
}

/** How long a lingering connection may take to take its last ack before it is destroyed. */
const lingerGrace = "1 second"

/**
 * Ends every lingering connection gracefully (its last ack, already written by the sink's final
 * commit, is flushed before the FIN), waiting at most `lingerGrace` for a client that does not
 * read, then closes them all.
 */
const closeLingering = (lingering: Set<Lingering>) =>
  Effect.forEach(
    lingering,
    ({ close, connection }) =>
      // Finalizers run uninterruptibly, and a timeout cannot cut short an uninterruptible wait.
      Acks.endAfterLastAck(connection).pipe(
        Effect.interruptible,
        Effect.timeoutOption(lingerGrace),
        Effect.zipRight(close)
      ),
    { concurrency: "unbounded", discard: true }
  )

/**
 * The set of connections that linger at shutdown. Its finalizer ends them (graceful shutdown,
 * step 3): acquire it before the plugins start, so it runs after they have drained.
 */
export const lingering: Effect.Effect<Set<Lingering>, never, Scope.Scope> = Effect.suspend(() => {
  const connections = new Set<Lingering>()
  return Effect.as(Effect.addFinalizer(() => closeLingering(connections)), connections)
})

/** What the listener needs. */
export interface Deps {
  readonly config: Config
  readonly acks: Acks.Ledger
  readonly counters: Counters
  readonly ingestChunk: ReturnType<typeof Ingest.make>
  readonly lingering: Set<Lingering>
}

/**
 * Listens on `config.host:config.tcpPort` until the scope closes, serving each connection, and
 * returns the address. Closing the scope stops accepting, then stops every connection's reading
 * (graceful shutdown, step 1); a connection that asked for acks lingers until step 3.
 */
export const listen = ({ acks, config, counters, ingestChunk, lingering }: Deps) =>
  Effect.gen(function*() {
    // The client half-closed and all its frames are in. If it asked for acks, it gets the last
    // one before the socket closes: wait (at most drainTimeout) until every frame sent to the
    // sink is durable, then end the socket gracefully so the ack is flushed.
    // A socket the client closed or reset meanwhile ends at once, with the ack write that failed.
    const finish = (connection: Acks.Connection) =>
      Effect.suspend(() =>
        connection.wantsAcks
          ? Acks.awaitSettled(acks, connection).pipe(
            Effect.zipRight(Acks.endAfterLastAck(connection)),
            Effect.timeoutOption(config.drainTimeout),
            Effect.zipRight(Acks.ackFailure(connection))
          )
          : Effect.void
      )

    const fail = (peer: string, error: ConnectionError) => {
      counters.connectionsFailed++
      counters.failures.push({ peer, error: error._tag, message: error.message })
      if (counters.failures.length > recentFailures) counters.failures.shift()
      return Effect.zipRight(
        Metric.increment(Metric.tagged(connectionErrorsMetric, "error", error._tag)),
        Effect.logWarning(`connection ${peer} closed: ${error.message}`).pipe(
          Effect.annotateLogs({ peer, error: error._tag })
        )
      )
    }

    // Slow clients: the read path stamps each connection's clocks, one sweeper closes the late ones
    // (destroying the socket, so the read fails and `watched.expired` says why).
    const deadlines = yield* Timeouts.make({
      idleTimeout: config.idleTimeout,
      frameDeadline: config.frameDeadline,
      headerBytes: Frame.framing.lengthFieldLength
    }, counters)

    // Reads and ingests until the client half-closes. The reader's scope is closed with success
    // whatever ended the loop: an interrupted reader would destroy the socket, and at shutdown the
    // socket must stay open for its last ack (`serve` destroys it when the connection closes).
    const readFrames = (socket: Net.Socket, peer: string, connection: Acks.Connection) =>
      Effect.suspend(() => {
        const watched = deadlines.watch(peer, () => socket.destroy())
        const ingest = (frames: Chunk.Chunk<Bytes.Bytes>) =>
          Effect.suspend(() => {
            deadlines.ingesting(watched, Chunk.toReadonlyArray(frames))
            return Effect.zipLeft(ingestChunk(connection, frames), Effect.sync(() => deadlines.ingested(watched)))
          })
        return Effect.acquireUseRelease(
          Scope.make(),
          (scope) =>
            NodeBridge.fromSocket(socket).pipe(
              Stream.mapChunks((chunk) => {
                deadlines.received(watched, Chunk.reduce(chunk, 0, (n, bytes) => n + bytes.length))
                return chunk
              }),
              LengthDelimited.decode({ ...Frame.framing, maxFrameLength: config.maxFrameLength }),
              Stream.toPull,
              Scope.extend(scope),
              Effect.flatMap((pull) => {
                let ended = false
                return Effect.whileLoop({
                  while: () => !ended,
                  // None: the client half-closed.
                  body: () =>
                    Effect.matchEffect(pull, {
                      onFailure: Option.match({
                        onNone: () =>
                          Effect.sync(() => {
                            ended = true
                          }),
                        onSome: Effect.fail
                      }),
                      onSuccess: ingest
                    }),
                  step: () => {}
                })
              })
            ),
          (scope) => Scope.close(scope, Exit.void)
        ).pipe(
          Effect.mapError((error) => error._tag === "ReadError" ? watched.expired ?? error : error),
          Effect.ensuring(Effect.sync(() => deadlines.unwatch(watched)))
        )
      })

    const serve = (socket: Net.Socket, peer: string, connection: Acks.Connection) =>
      readFrames(socket, peer, connection).pipe(
        Effect.zipRight(finish(connection)),
        Effect.catchTags({
          FrameTooLarge: (error) => fail(peer, error),
          TruncatedFrame: (error) => fail(peer, error),
          InvalidFrameLength: (error) => fail(peer, error),
          VarintTooLong: (error) => fail(peer, error),
          InvalidOptions: (error) => fail(peer, error),
          MalformedFrame: (error) => fail(peer, error),
          // A socket broken by a failed ack write fails the read too: report the write.
          ReadError: (error) => fail(peer, connection.ackFailure ?? error),
          AckWriteFailed: (error) => fail(peer, error),
          IdleTimeout: (error) => fail(peer, error),
          FrameDeadline: (error) => fail(peer, error)
        }),
        // Only possible while shutting down: the plugins are stopping or the arena closed.
        Effect.catchAll((error) => Effect.logDebug(`connection ${peer} stopped: ${error._tag}`)),
        Effect.ensuring(Effect.suspend(() => {
          const close = Effect.suspend(() => {
            Acks.close(acks, connection)
            socket.destroy()
            counters.connectionsActive--
            return Metric.set(connectionsMetric, counters.connectionsActive)
          })
          if (!shuttingDown || !connection.wantsAcks || connection.broken) return close
          // Shutdown: reads nothing more, but stays open until the sink has drained, so that its
          // last ack covers every frame of it the sink made durable (a client resending unacked
          // frames would otherwise duplicate them).
          socket.pause()
          lingering.add({ connection, close })
          return Effect.void
        }))
      )

    // Graceful shutdown, step 1: stop accepting (the listener closes first), then interrupt the
    // connections (their frames already dispatched are drained in step 2).
    const runConnection = yield* FiberSet.makeRuntime<never>()
    // Set before the connections are interrupted: an interrupted connection that wants acks lingers.
    let shuttingDown = false
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        shuttingDown = true
      })
    )
    // allowHalfOpen: a client's half-close ends its stream, but the gateway closes the socket only
    // after every frame of it was ingested, so a client that sees "close" knows it is all in.
    const server = Net.createServer({ allowHalfOpen: true }, (socket) => {
      const peer = peerOf(socket)
      if (counters.connectionsActive >= config.maxConnections) {
        counters.connectionsRefused++
        socket.destroy()
        runConnection(fail(peer, new ConnectionLimit({ peer, max: config.maxConnections })))
        return
      }
      counters.connectionsAccepted++
      counters.connectionsActive++
      const connection = Acks.open(acks, socket)
      runConnection(
        Effect.zipRight(Metric.set(connectionsMetric, counters.connectionsActive), serve(socket, peer, connection))
      )
    })
    yield* Effect.acquireRelease(
      Effect.async<void, ListenFailed>((resume) => {
        const onError = (cause: Error) =>
          resume(Effect.fail(new ListenFailed({ host: config.host, port: config.tcpPort, cause })))
        server.once("error", onError)
        server.listen(config.tcpPort, config.host, () => {
          server.off("error", onError)
          resume(Effect.void)
        })
      }),
      () => Effect.sync(() => server.close())
    )
    const address = server.address() as Net.AddressInfo
    return address
  })
