import { Effect } from "effect"
import * as Net from "node:net"

// One turn of Node's event loop: lets real I/O callbacks run. Not a timer.
export const nextTurn = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

export const turns = (n: number) => Effect.repeatN(nextTurn, n - 1)

// A connected TCP pair on 127.0.0.1 (ephemeral port); closed by the scope.
export const socketPair = Effect.acquireRelease(
  Effect.async<{ server: Net.Server; client: Net.Socket; accepted: Net.Socket }, Error>((resume) => {
    const server = Net.createServer()
    server.once("error", (error) => resume(Effect.fail(error)))
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.once("connection", (accepted) => resume(Effect.succeed({ server, client, accepted })))
      const client = Net.createConnection({ port, host: "127.0.0.1" })
    })
  }),
  ({ accepted, client, server }) =>
    Effect.async<void>((resume) => {
      client.destroy()
      accepted.destroy()
      server.close(() => resume(Effect.void))
    })
)
