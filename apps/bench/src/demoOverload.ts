/**
 * The child process of the demo's overload benchmark: a gateway (the demo's default limits) whose
 * `slow` plugin spends `slowDelay` per frame, so the frames acked per second are bounded by it.
 * The parent (`demo.bench.ts`) produces over TCP ten times faster than that; this process reports
 * its RSS and progress to the parent every `sampleMs` over IPC, so the parent can see whether
 * memory plateaus. Started with `child_process.fork` (IPC required); stops on a "stop" message.
 */
import { Context, Effect, Exit, Layer, Logger, LogLevel, Scope } from "effect"
import * as FileSystem from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Gateway from "../../demo/src/Gateway.js"

/** What the child sends to its parent. */
export type ChildMessage =
  | { readonly _tag: "Ready"; readonly port: number; readonly rssBytes: number }
  | {
    readonly _tag: "Sample"
    readonly rssBytes: number
    readonly framesIn: number
    readonly acked: number
    readonly arenaLive: number
  }

const slowDelayMs = Number(process.env["WEFT_OVERLOAD_SLOW_MS"] ?? "1")
const sampleMs = Number(process.env["WEFT_OVERLOAD_SAMPLE_MS"] ?? "100")

const send = (message: ChildMessage) => process.send?.(message)

const main = async () => {
  const dir = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "weft-bench-overload-"))
  const scope = Effect.runSync(Scope.make())
  const config: Gateway.Config = {
    ...Gateway.defaults(Path.join(dir, "sink.log")),
    tcpPort: 0,
    httpPort: 0,
    plugins: ["stats", "checksum", "sink", "slow"],
    slowDelay: `${slowDelayMs} millis`,
    chaosEvery: 0,
    drainTimeout: "5 seconds"
  }
  const context = await Effect.runPromise(
    Layer.buildWithScope(Gateway.layer(config), scope).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
  )
  const gateway = Context.get(context, Gateway.Gateway)
  const sample = setInterval(() => {
    void Effect.runPromise(gateway.snapshot()).then((snapshot) =>
      send({
        _tag: "Sample",
        rssBytes: process.memoryUsage.rss(),
        framesIn: snapshot.framesIn,
        acked: snapshot.acked,
        arenaLive: snapshot.arena.live
      })
    )
  }, sampleMs)
  process.on("message", (message) => {
    if (message !== "stop") return
    clearInterval(sample)
    void Effect.runPromise(Scope.close(scope, Exit.void).pipe(Logger.withMinimumLogLevel(LogLevel.Warning)))
      .finally(() => {
        FileSystem.rmSync(dir, { recursive: true, force: true })
        process.exit(0)
      })
  })
  send({ _tag: "Ready", port: gateway.tcpAddress.port, rssBytes: process.memoryUsage.rss() })
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
