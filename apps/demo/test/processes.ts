/** Test helpers: `weft-demo` as a real child process. */
import { Context, Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { waitUntil } from "./helpers.js"

export const srcDir = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "..", "src")

/** A child process with its output collected. */
export interface Child {
  readonly process: ChildProcess.ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
}

/** The environment of spawned processes (this process's unless provided). */
export class Env extends Context.Reference<Env>()("test/Env", {
  defaultValue: (): NodeJS.ProcessEnv => globalThis.process.env
}) {}

/** A child process with its output collected; killed (SIGKILL) when the scope closes. */
export const spawnProcess = (file: string, args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.map(Env, (env): Child => {
      const process = ChildProcess.spawn(file, args, {
        cwd: Path.join(srcDir, ".."),
        env,
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      process.stdout.on("data", (chunk) => (stdout += chunk))
      process.stderr.on("data", (chunk) => (stderr += chunk))
      return { process, stdout: () => stdout, stderr: () => stderr }
    }),
    ({ process }) => Effect.sync(() => process.exitCode === null && process.kill("SIGKILL"))
  )

/** `weft-demo <args>` as a child process (tsx, sources); killed when the scope closes. */
export const spawnDemo = (...args: Array<string>) =>
  spawnProcess(
    globalThis.process.execPath,
    ["--conditions=source", "--import", "tsx", Path.join(srcDir, "main.ts"), ...args]
  )

/** Whether the child has exited (by itself or by a signal). */
export const exited = (child: Child) => child.process.exitCode !== null || child.process.signalCode !== null

/** Waits (at most `timeoutMs`) until the child has exited. */
export const awaitExit = (child: Child, timeoutMs = 120_000) =>
  waitUntil(`${child.process.spawnargs.slice(4).join(" ")} exited`, Effect.sync(() => exited(child)), timeoutMs)

/** The TCP ingest port `serve` printed (NaN until it did). */
export const tcpPortIn = (text: string) => Number(/TCP ingest [\d.]+:(\d+)/.exec(text)?.[1])

/** The HTTP base URL `serve` printed ("" until it did). */
export const urlIn = (text: string) => /dashboard {2}(http:\/\/\S+)\//.exec(text)?.[1] ?? ""

/**
 * `weft-demo serve` on ephemeral ports, writing its sink to `sinkPath`, once it has printed its
 * addresses (at most `timeoutMs`); killed when the scope closes.
 */
export const spawnServe = (sinkPath: string, options: { plugins?: string; timeoutMs?: number } = {}) =>
  Effect.gen(function*() {
    const plugins = options.plugins === undefined ? [] : ["--plugins", options.plugins]
    const child = yield* spawnDemo("serve", "--tcp-port", "0", "--http-port", "0", ...plugins, "--sink", sinkPath)
    yield* waitUntil(
      "serve printed its addresses",
      Effect.sync(() => tcpPortIn(child.stdout()) > 0),
      options.timeoutMs ?? 60_000
    )
    return child
  })
