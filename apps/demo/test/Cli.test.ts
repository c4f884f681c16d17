import { ValidationError } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Console, Duration, Effect, Exit, Fiber, Option } from "effect"
import * as ChildProcess from "node:child_process"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Cli from "../src/Cli.js"
import * as Commands from "../src/Commands.js"
import * as Help from "../src/Help.js"
import * as Load from "../src/Load.js"
import { get, readSink, start, tempDir, waitUntil } from "./helpers.js"
import { Env, spawnDemo as spawn, spawnProcess, spawnServe, srcDir, tcpPortIn } from "./processes.js"

/** Console output of one run, captured (ANSI colours removed). */
const capture = Effect.map(Console.consoleWith(Effect.succeed), (console) => {
  const out: Array<string> = []
  const err: Array<string> = []
  // eslint-disable-next-line no-control-regex
  const plain = (args: ReadonlyArray<unknown>) => args.map(String).join(" ").replace(/\u001b\[[0-9;]*m/g, "")
  const captured: Console.Console = {
    ...console,
    log: (...args) => Effect.sync(() => void out.push(plain(args))),
    error: (...args) => Effect.sync(() => void err.push(plain(args)))
  }
  return { out, err, console: captured, text: () => out.join("\n") }
})

type Parsed =
  | { readonly command: "demo"; readonly options: Commands.DemoOptions }
  | { readonly command: "serve"; readonly options: Commands.ServeOptions }
  | { readonly command: "load"; readonly options: Commands.LoadOptions }
  | { readonly command: "watch"; readonly options: Commands.WatchOptions }

/** Parses `args` with the real command tree over handlers that only record what they got. */
const parse = (...args: Array<string>) =>
  Effect.gen(function*() {
    const parsed: Array<Parsed> = []
    const record = (entry: Parsed) => Effect.sync(() => void parsed.push(entry))
    const output = yield* capture
    const exit = yield* Commands.runWith({
      demo: (options) => record({ command: "demo", options }),
      serve: (options) => record({ command: "serve", options }),
      load: (options) => record({ command: "load", options }),
      watch: (options) => record({ command: "watch", options })
    })(["node", "weft-demo", ...args]).pipe(
      Console.withConsole(output.console),
      Effect.provide(NodeContext.layer),
      Effect.exit
    )
    return { exit, parsed, output }
  })

/** Parses `args`, which must select exactly one command. */
const parseOk = (...args: Array<string>) =>
  Effect.gen(function*() {
    const { exit, parsed } = yield* parse(...args)
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(parsed).toHaveLength(1)
    return parsed[0]!
  })

/** Parses `args`, which must be rejected: no handler runs, the error is printed. */
const parseRejected = (...args: Array<string>) =>
  Effect.gen(function*() {
    const { exit, parsed, output } = yield* parse(...args)
    expect(parsed).toEqual([])
    if (Exit.isSuccess(exit)) throw new Error(`accepted: ${args.join(" ")}`)
    const error = Option.getOrThrow(Cause.failureOption(exit.cause))
    return { error, printed: output.err.join("\n") }
  })

/** Runs `weft-demo` in this process with captured output (the real handlers). */
const runInProcess = (output: Effect.Effect.Success<typeof capture>, ...args: Array<string>) =>
  Cli.run(["node", "weft-demo", ...args]).pipe(
    Console.withConsole(output.console),
    Effect.provide(NodeContext.layer)
  )

const urlIn = (text: string) => /dashboard {2}(http:\/\/\S+)\//.exec(text)?.[1] ?? ""

describe("weft-demo: parsing", () => {
  it.effect("no subcommand runs the demo with the documented defaults", () =>
    Effect.gen(function*() {
      const parsed = yield* parseOk()
      expect(parsed.command).toBe("demo")
      const options = parsed.options as Commands.DemoOptions
      expect(options).toMatchObject({
        host: "127.0.0.1",
        tcpPort: 7878,
        httpPort: 8787,
        arenaSlots: 8192,
        arenaBytes: 64 * 1024 * 1024,
        mailbox: 1024,
        plugins: ["stats", "topics", "checksum", "sink", "chaos"],
        workers: Math.max(0, Os.availableParallelism() - 1),
        chaosEvery: 1000,
        slowDelayMs: 10,
        maxFrame: 65536,
        maxConnections: 64,
        maxSseClients: 16,
        maxRequestBody: 1024 * 1024,
        runners: 0,
        connections: 4,
        rate: 20_000,
        payload: { _tag: "List", sizes: [64] }
      })
      expect(Duration.toMillis(options.drainTimeout)).toBe(10_000)
      expect(Duration.toMillis(options.idleTimeout)).toBe(60_000)
      expect(Duration.toMillis(options.frameDeadline)).toBe(10_000)
      expect(Option.isNone(options.duration)).toBe(true)
      expect(Option.isNone(options.sink)).toBe(true)
    }))

  it.effect("the flags pnpm demo always had keep working", () =>
    Effect.gen(function*() {
      const parsed = yield* parseOk(
        "--duration",
        "2.5",
        "--tcp-port",
        "0",
        "--http-port",
        "0",
        "--plugins",
        "stats,slow",
        "--chaos-every",
        "7",
        "--slow-delay",
        "3",
        "--max-frame",
        "4096",
        "--connections",
        "0",
        "--payload",
        "128",
        "--rate",
        "0",
        "--sink",
        "/tmp/x.log"
      )
      expect(parsed.command).toBe("demo")
      const options = parsed.options as Commands.DemoOptions
      expect(options).toMatchObject({
        tcpPort: 0,
        httpPort: 0,
        plugins: ["stats", "slow"],
        chaosEvery: 7,
        slowDelayMs: 3,
        maxFrame: 4096,
        connections: 0,
        rate: 0,
        payload: { _tag: "List", sizes: [128] },
        sink: Option.some("/tmp/x.log")
      })
      expect(Option.map(options.duration, Duration.toMillis)).toEqual(Option.some(2500))
    }))

  it.effect("serve takes every gateway option", () =>
    Effect.gen(function*() {
      const parsed = yield* parseOk(
        "serve",
        "--host",
        "0.0.0.0",
        "--tcp-port",
        "9000",
        "--http-port",
        "9001",
        "--arena-slots",
        "100",
        "--arena-bytes",
        "1000000",
        "--mailbox",
        "8",
        "--plugins",
        "sink",
        "--chaos-every",
        "0",
        "--max-frame",
        "1024",
        "--max-connections",
        "2",
        "--max-sse-clients",
        "0",
        "--drain-timeout",
        "0.5",
        "--idle-timeout",
        "20",
        "--frame-deadline",
        "1.5",
        "--max-request-body",
        "4096",
        "--duration",
        "3"
      )
      expect(parsed.command).toBe("serve")
      const options = parsed.options as Commands.ServeOptions
      expect(options).toMatchObject({
        host: "0.0.0.0",
        tcpPort: 9000,
        httpPort: 9001,
        arenaSlots: 100,
        arenaBytes: 1_000_000,
        mailbox: 8,
        plugins: ["sink"],
        chaosEvery: 0,
        maxFrame: 1024,
        maxConnections: 2,
        maxSseClients: 0,
        maxRequestBody: 4096
      })
      expect(Duration.toMillis(options.drainTimeout)).toBe(500)
      expect(Duration.toMillis(options.idleTimeout)).toBe(20_000)
      expect(Duration.toMillis(options.frameDeadline)).toBe(1500)
      expect(Option.map(options.duration, Duration.toMillis)).toEqual(Option.some(3000))
      // serve has no load generator options
      expect(options).not.toHaveProperty("connections")
    }))

  it.effect("load: target, connections, frames, payload lists and ranges; watch: topic and URL", () =>
    Effect.gen(function*() {
      const defaults = yield* parseOk("load")
      expect(defaults.command).toBe("load")
      expect(defaults.options).toMatchObject({
        host: "127.0.0.1",
        port: 7878,
        connections: 4,
        rate: 0,
        frames: Option.none(),
        payload: { _tag: "List", sizes: [64] },
        batch: 64,
        topics: 12
      })
      const range = yield* parseOk("load", "--port", "1234", "--frames", "500", "--payload", "16-1024", "--rate", "9")
      expect(range.options).toMatchObject({
        port: 1234,
        frames: Option.some(500),
        rate: 9,
        payload: { _tag: "Range", min: 16, max: 1024 }
      })
      const list = yield* parseOk("load", "--payload", "8,64,4096", "--connections", "2", "--duration", "1")
      expect(list.options).toMatchObject({ connections: 2, payload: { _tag: "List", sizes: [8, 64, 4096] } })
      const watch = yield* parseOk("watch", "--url", "http://127.0.0.1:1/", "--limit", "3", "sensor/1")
      expect(watch).toEqual({
        command: "watch",
        options: { topic: "sensor/1", url: "http://127.0.0.1:1/", limit: Option.some(3) }
      })
    }))

  it.effect("bad values are rejected with a clear message and run nothing", () =>
    Effect.gen(function*() {
      const cases: Array<[args: Array<string>, message: string]> = [
        [["--tcp-port", "70000"], "--tcp-port must be an integer from 0 to 65535, got 70000"],
        [["serve", "--plugins", "stats,nope"], "--plugins: unknown plugin(s) nope; known: stats, topics"],
        [["--plugins", "sink,stats,sink"], "--plugins: sink listed more than once"],
        [["load", "--payload", "100-10"], "--payload must be bytes"],
        [["load", "--payload", "1,x"], "--payload must be bytes"],
        [["--duration", "0"], "--duration must be a positive number of seconds, got 0"],
        [["serve", "--drain-timeout", "-1"], "--drain-timeout must be a positive number of seconds"],
        [["load", "--frames", "0"], "--frames must be a positive integer, got 0"],
        [["load", "--connections", "0"], "--connections must be an integer from 1 to 10000, got 0"],
        [["serve", "--mailbox", "many"], "'many' is not a integer"],
        [["serve", "--runners", "17"], "--runners must be an integer from 0 to 16, got 17"],
        [["serve", "--bogus", "1"], "Received unknown argument: '--bogus'"],
        [["frobnicate"], "Invalid subcommand for weft-demo - use one of 'serve', 'load', 'watch'"],
        [["watch"], "Missing argument <topic>"]
      ]
      for (const [args, message] of cases) {
        const { error, printed } = yield* parseRejected(...args)
        expect(ValidationError.isValidationError(error)).toBe(true)
        expect(printed).toContain(message)
      }
    }))

  it.effect("--wizard (built into @effect/cli, not hideable from its parser) is refused", () =>
    Effect.gen(function*() {
      const { printed } = yield* parseRejected("--wizard")
      expect(printed).toContain("weft-demo has no wizard mode: see weft-demo --help")
      expect((yield* parseRejected("load", "--wizard")).printed).toContain("no wizard mode")
    }))

  it.effect("--frames is shared out over the connections, the first ones sending one more", () =>
    Effect.sync(() => {
      expect(Cli.connectionFrames(10, 4)).toEqual([3, 3, 2, 2])
      expect(Cli.connectionFrames(8, 4)).toEqual([2, 2, 2, 2])
      expect(Cli.connectionFrames(2, 3)).toEqual([1, 1, 0])
    }))

  it.effect("payload sizes per connection: a list in turn, a range spread from min to max", () =>
    Effect.sync(() => {
      expect(Cli.connectionPayloadSizes({ _tag: "List", sizes: [8, 64] }, 5)).toEqual([8, 64, 8, 64, 8])
      expect(Cli.connectionPayloadSizes({ _tag: "Range", min: 16, max: 1024 }, 4)).toEqual([16, 352, 688, 1024])
      expect(Cli.connectionPayloadSizes({ _tag: "Range", min: 16, max: 1024 }, 1)).toEqual([16])
      expect(Commands.parsePayloadSizes("0")).toEqual(Option.some({ _tag: "List", sizes: [0] }))
      expect(Commands.parsePayloadSizes("7-7")).toEqual(Option.some({ _tag: "Range", min: 7, max: 7 }))
      for (const bad of ["", ",", "1,", "-1", "1-", "a", "3-2", "1.5", String(16 * 1024 * 1024 + 1)]) {
        expect(Commands.parsePayloadSizes(bad)).toEqual(Option.none())
      }
    }))

  it.effect("--help lists every subcommand, each subcommand has its own help, --version prints the version", () =>
    Effect.gen(function*() {
      const root = yield* parse("--help")
      expect(root.parsed).toEqual([])
      const help = root.output.text()
      for (const text of ["weft-demo", "serve", "load", "watch", "--duration", "--tcp-port", "--payload"]) {
        expect(help).toContain(text)
      }
      const serveHelp = (yield* parse("serve", "--help")).output.text()
      for (const text of ["--arena-slots", "--max-sse-clients", "--drain-timeout", "--sink"]) {
        expect(serveHelp).toContain(text)
      }
      expect(serveHelp).not.toContain("--frames")
      const loadHelp = (yield* parse("load", "--help")).output.text()
      for (const text of ["--port", "--frames", "--rate", "--payload", "--connections"]) {
        expect(loadHelp).toContain(text)
      }
      expect((yield* parse("watch", "--help")).output.text()).toContain("<topic>")
      for (const [sub, text] of [["", help], ["serve ", serveHelp], ["load ", loadHelp]] as const) {
        expect(text).toContain(`$ weft-demo ${sub}[--`)
        expect(text).not.toContain("--wizard")
        expect(text.split("\n").filter((line) => Help.isFiller(line.trim()))).toEqual([])
      }
      expect(help).toContain("weft-demo serve\n\n  run the gateway")
      const version = yield* parse("--version")
      expect(version.output.text().trim()).toBe(Commands.version)
      expect(version.parsed).toEqual([])
    }))
})

describe("weft-demo: end to end", () => {
  it.scopedLive("serve and load over real TCP: every frame arrives and is acked", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const sink = Path.join(dir, "sink.log")
      const serveOutput = yield* capture
      const server = yield* Effect.fork(runInProcess(
        serveOutput,
        "serve",
        "--tcp-port",
        "0",
        "--http-port",
        "0",
        "--plugins",
        "stats,checksum,sink",
        "--chaos-every",
        "0",
        "--sink",
        sink
      ))
      yield* waitUntil("serve printed its addresses", Effect.sync(() => tcpPortIn(serveOutput.text()) > 0))
      const port = tcpPortIn(serveOutput.text())
      const url = urlIn(serveOutput.text())

      const loadOutput = yield* capture
      yield* runInProcess(
        loadOutput,
        "load",
        "--port",
        String(port),
        "--frames",
        "600",
        "--connections",
        "3",
        "--payload",
        "16,32"
      )
      // --frames: load ends once every frame is acked (the gateway closes each connection after its last ack).
      expect(loadOutput.text()).toContain("frames sent       600")
      expect(loadOutput.text()).toContain("acked             600")
      expect(loadOutput.text()).toContain("unacked           0\n")
      expect(loadOutput.text()).toMatch(/latency {11}p50 [\d.]+ ms · p99 [\d.]+ ms · max [\d.]+ ms \(600 frames\)/)
      // Progress lines (stdout is not a terminal here): plain lines, none rewritten with \r.
      expect(loadOutput.out.some((line) => line.includes("\r"))).toBe(false)

      yield* waitUntil(
        "600 frames in and acked",
        Effect.map(get(`${url}/stats`), (r) => {
          const stats = JSON.parse(r.text)
          return stats.framesIn === 600 && stats.acked === 600
        })
      )
      const stats = JSON.parse((yield* get(`${url}/stats`)).text)
      expect(stats.checksum.duplicates).toBe(0)
      expect(stats.deadLetters).toBe(0)

      yield* Fiber.interrupt(server)
      const summary = serveOutput.text()
      // serve ran no load: nothing to stop but the gateway.
      expect(summary).toContain("\nshutting down: stop accepting, drain plugins, fsync sink…\n")
      expect(summary).toContain("frames in         600")
      expect(summary).toContain(`acked (fsynced)   600  → ${sink}`)
      expect(summary).toContain("dead letters      0")
      expect(summary).toMatch(/latency {11}p50 [\d.]+ ms · p99 [\d.]+ ms · max [\d.]+ ms \(600 frames\)/)
      expect(summary).not.toContain("frames sent")
      expect(yield* readSink(sink)).toHaveLength(600)
    }))

  it.scopedLive("watch streams one topic's frames from a running gateway over the typed RPC client", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const serveOutput = yield* capture
      yield* Effect.forkScoped(runInProcess(
        serveOutput,
        "serve",
        "--tcp-port",
        "0",
        "--http-port",
        "0",
        "--plugins",
        "stats",
        "--sink",
        Path.join(dir, "sink.log")
      ))
      yield* waitUntil("serve printed its addresses", Effect.sync(() => tcpPortIn(serveOutput.text()) > 0))
      const watchOutput = yield* capture
      const watcher = yield* Effect.fork(
        runInProcess(watchOutput, "watch", "--url", urlIn(serveOutput.text()), "--limit", "5", "sensor/0")
      )
      // The watcher sees frames ingested after it subscribed: load runs until it has seen five.
      const loadOutput = yield* capture
      const load = yield* Effect.fork(
        runInProcess(loadOutput, "load", "--port", String(tcpPortIn(serveOutput.text())), "--rate", "2000")
      )
      yield* waitUntil("the watcher got five frames", Effect.sync(() => watcher.unsafePoll() !== null))
      yield* Fiber.interrupt(load)
      expect(yield* Fiber.await(watcher)).toEqual(Exit.void)
      const lines = watchOutput.out.filter((line) => line.startsWith("#"))
      expect(lines).toHaveLength(5)
      for (const line of lines) expect(line).toMatch(/^#\d+ {2}sensor\/0 {2}64 B {2}[0-9a-f]{32}…$/)
      // Sequence numbers increase: frames arrive in ingest order.
      const seqs = lines.map((line) => Number(/^#(\d+)/.exec(line)![1]))
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
      expect(watchOutput.text()).toContain("watched 5 frame(s), lost 0")
    }))

  it.live("watch with no gateway at the URL fails with WatchFailed naming it and the reason, without totals", () =>
    Effect.gen(function*() {
      // A port that was just free: nothing listens there.
      const port = yield* Effect.async<number>((resume) => {
        const server = Net.createServer().listen(0, "127.0.0.1", () => {
          const { port } = server.address() as Net.AddressInfo
          server.close(() => resume(Effect.succeed(port)))
        })
      })
      const output = yield* capture
      const exit = yield* Effect.exit(runInProcess(output, "watch", "--url", `http://127.0.0.1:${port}`, "sensor/0"))
      if (Exit.isSuccess(exit)) throw new Error("watch succeeded without a gateway")
      const error = Option.getOrThrow(Cause.failureOption(exit.cause))
      if (!(error instanceof Cli.WatchFailed)) throw new Error(`not a WatchFailed: ${String(error)}`)
      expect(error.message).toContain(`cannot watch at http://127.0.0.1:${port}/rpc`)
      expect(error.message).toContain("ECONNREFUSED")
      expect(output.text()).not.toContain("watched")
    }))

  it.scopedLive("weft-demo --duration stops its built-in load first, then the gateway, and prints both", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const output = yield* capture
      yield* runInProcess(
        output,
        ...["--tcp-port", "0", "--http-port", "0", "--duration", "1", "--connections", "1", "--rate", "500"],
        ...["--plugins", "stats", "--sink", Path.join(dir, "sink.log")]
      )
      expect(output.text()).toContain("\nshutting down: stop load, stop accepting, drain plugins…\n")
      expect(output.text()).toMatch(/frames sent {7}\d+ {2}\(built-in load\)/)
    }))

  it.scopedLive("load --frames that does not divide by --connections sends exactly that many, no duplicates", () =>
    Effect.gen(function*() {
      const { gateway } = yield* start({ plugins: ["stats", "checksum", "sink"] })
      const output = yield* capture
      yield* runInProcess(
        output,
        "load",
        "--port",
        String(gateway.tcpAddress.port),
        "--frames",
        "1001",
        "--connections",
        "4",
        "--payload",
        "16,16,32,16"
      )
      expect(output.text()).toContain("frames sent       1001\n")
      expect(output.text()).toContain("acked             1001\n")
      const snapshot = yield* gateway.snapshot()
      expect(snapshot.framesIn).toBe(1001)
      expect(snapshot.checksum.duplicates).toBe(0)
    }))

  it.scopedLive("load against a gateway stopped mid-load prints its totals and fails with ServerClosed", () =>
    Effect.gen(function*() {
      const running = yield* start({ plugins: ["stats", "sink"] })
      const output = yield* capture
      const load = yield* Effect.fork(runInProcess(output, "load", "--port", String(running.gateway.tcpAddress.port)))
      yield* waitUntil("2000 frames in", Effect.sync(() => running.gateway.counters.framesIn >= 2000))
      yield* running.shutdown
      const exit = yield* Fiber.await(load)
      if (Exit.isSuccess(exit)) throw new Error("load succeeded although the gateway went away")
      const error = Option.getOrThrow(Cause.failureOption(exit.cause))
      if (!(error instanceof Load.ServerClosed)) throw new Error(`not a ServerClosed: ${String(error)}`)
      const text = output.text()
      expect(text).toContain(`  the gateway at 127.0.0.1:${running.gateway.tcpAddress.port} closed the connection`)
      const total = (label: string) => Number(new RegExp(`^  ${label} +(\\d+)`, "m").exec(text)?.[1])
      expect(total("frames sent")).toBeGreaterThanOrEqual(2000)
      expect(total("acked")).toBeLessThanOrEqual(total("frames sent"))
      expect(total("unacked")).toBe(total("frames sent") - total("acked"))
    }))

  it.scopedLive(
    "load against a server that resets: the summary, then exit 1 with the reason (child process)",
    () =>
      Effect.gen(function*() {
        // Reads a little, then resets the connection (RST), as a crashed peer would.
        const port = yield* Effect.acquireRelease(
          Effect.async<{ server: Net.Server; port: number }>((resume) => {
            const server = Net.createServer((socket) => {
              socket.once("data", () => setTimeout(() => socket.resetAndDestroy(), 50))
            }).listen(
              0,
              "127.0.0.1",
              () => resume(Effect.succeed({ server, port: (server.address() as Net.AddressInfo).port }))
            )
          }),
          ({ server }) => Effect.sync(() => server.close())
        ).pipe(Effect.map(({ port }) => port))
        const child = yield* spawn("load", "--port", String(port), "--connections", "1")
        yield* waitUntil("the process exited", Effect.sync(() => child.process.exitCode !== null), 60_000)
        expect(child.process.exitCode).toBe(1)
        expect(child.stdout()).toMatch(
          new RegExp(`the gateway at 127\\.0\\.0\\.1:${port} closed the connection \\((ECONNRESET|EPIPE)\\)`)
        )
        expect(child.stdout()).toMatch(/frames sent {7}\d+\n {2}acked {13}0\n {2}unacked {11}\d+/)
        expect(child.stderr()).toMatch(/^weft-demo: the gateway at .* closed the connection/m)
        expect(child.stderr()).not.toMatch(/\n\s+at /)
      }),
    120_000
  )

  it.scopedLive(
    "--help of every command, piped with NO_COLOR unset: plain text, no filler, weft-demo <sub> usage",
    () =>
      Effect.gen(function*() {
        const env = { ...globalThis.process.env }
        delete env["NO_COLOR"]
        delete env["FORCE_COLOR"]
        // One child process (stdout a pipe) prints the four helps in turn: one tsx start-up, not four.
        const script = [
          "import * as NodeContext from '@effect/platform-node/NodeContext'",
          "import { Effect } from 'effect'",
          "import * as Cli from './src/Cli.ts'",
          "for (const args of [[], ['serve'], ['load'], ['watch']]) {",
          "  process.stdout.write('\\f')",
          "  await Effect.runPromise(Cli.run(['node', 'weft-demo', ...args, '--help']).pipe(Effect.provide(NodeContext.layer)))",
          "}"
        ].join("\n")
        const child = yield* spawnProcess(
          globalThis.process.execPath,
          ["--conditions=source", "--import", "tsx", "--input-type=module", "-e", script]
        ).pipe(Effect.provideService(Env, env))
        yield* waitUntil("the process exited", Effect.sync(() => child.process.exitCode !== null), 100_000)
        expect(child.stderr()).toBe("")
        expect(child.process.exitCode).toBe(0)
        const helps = child.stdout().split("\f").slice(1)
        expect(helps).toHaveLength(4)
        helps.forEach((help, i) => {
          const sub = ["", " serve", " load", " watch"][i]!
          expect(help).not.toContain("\u001b")
          expect(help).toContain(`\n$ weft-demo${sub} [--`)
          for (
            const filler of ["A user-defined piece of text", "This setting is optional", "An integer.", "--wizard"]
          ) {
            expect(help).not.toContain(filler)
          }
        })
      }),
    120_000
  )

  it.scopedLive("a bad flag exits 2 with the message and no stack trace (child process)", () =>
    Effect.gen(function*() {
      const child = yield* spawn("serve", "--tcp-port", "-5")
      yield* waitUntil("the process exited", Effect.sync(() => child.process.exitCode !== null), 60_000)
      expect(child.process.exitCode).toBe(2)
      expect(child.stderr()).toContain("--tcp-port must be an integer from 0 to 65535, got -5")
      expect(child.stderr()).not.toContain("\u001b")
      expect(child.stderr()).not.toMatch(/\n\s+at /)
      expect(child.stdout()).not.toContain("weft gateway")
    }), 120_000)

  // The port is held by a plain listener here; serve must say which port, and why, and exit 1.
  for (const busy of ["--http-port", "--tcp-port"] as const) {
    it.scopedLive(
      `${busy} already in use: serve names the port and EADDRINUSE, exits 1 (child process)`,
      () =>
        Effect.gen(function*() {
          const server = yield* Effect.acquireRelease(
            Effect.async<Net.Server>((resume) => {
              const server = Net.createServer()
              server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
            }),
            (server) => Effect.sync(() => server.close())
          )
          const port = String((server.address() as Net.AddressInfo).port)
          const other = busy === "--http-port" ? "--tcp-port" : "--http-port"
          const child = yield* spawn("serve", busy, port, other, "0", "--plugins", "stats")
          yield* waitUntil("the process exited", Effect.sync(() => child.process.exitCode !== null), 60_000)
          expect(child.process.exitCode).toBe(1)
          const what = busy === "--http-port" ? "HTTP" : "TCP ingest"
          expect(child.stderr()).toContain(
            `weft-demo: cannot listen for ${what} on 127.0.0.1:${port}: the port is already in use (EADDRINUSE)`
          )
          expect(child.stderr()).not.toMatch(/\n\s+at /)
        }),
      120_000
    )
  }

  // A terminal's Ctrl-C under `pnpm demo` reaches the process more than once: from the terminal
  // and again from each runner that forwards it. The repeats must not cut the drain short.
  for (const signals of [["SIGTERM"], ["SIGINT", "SIGINT", "SIGTERM"]] as const) {
    it.scopedLive(
      `${signals.join(", ")}: serve drains, prints the summary and exits 0 (child process)`,
      () =>
        Effect.gen(function*() {
          const dir = yield* tempDir
          const sink = Path.join(dir, "sink.log")
          const child = yield* spawnServe(sink, { plugins: "stats,sink" })
          const loadOutput = yield* capture
          yield* runInProcess(loadOutput, "load", "--port", String(tcpPortIn(child.stdout())), "--frames", "500")
          yield* waitUntil(
            "500 frames in",
            Effect.map(get(`${urlIn(child.stdout())}/stats`), (r) => JSON.parse(r.text).framesIn === 500)
          )
          const [first, ...repeats] = signals
          child.process.kill(first)
          yield* waitUntil("the shutdown began", Effect.sync(() => child.stdout().includes("shutting down")), 60_000)
          for (const signal of repeats) child.process.kill(signal)
          yield* waitUntil(
            "the process exited",
            Effect.sync(() => child.process.exitCode !== null || child.process.signalCode !== null),
            60_000
          )
          expect(child.process.signalCode).toBe(null)
          expect(child.process.exitCode).toBe(0)
          expect(child.stdout()).toContain("frames in         500")
          expect(child.stdout()).toContain("acked (fsynced)   500")
          expect(yield* readSink(sink)).toHaveLength(500)
        }),
      120_000
    )
  }
})

const hasScript = ChildProcess.spawnSync("script", ["--version"]).status === 0

describe("weft-demo: on a terminal", () => {
  // util-linux `script` runs the command on a real pseudo-terminal (stdout.isTTY), as a user's shell would.
  it.scopedLive.skipIf(!hasScript)(
    "the progress line is one line rewritten in place; --duration then shuts down and exits 0",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const command = [
          globalThis.process.execPath,
          "--conditions=source",
          "--import",
          "tsx",
          Path.join(srcDir, "main.ts"),
          "serve",
          "--tcp-port",
          "0",
          "--http-port",
          "0",
          "--duration",
          "1",
          "--sink",
          Path.join(dir, "sink.log")
        ].map((arg) => `'${arg}'`).join(" ")
        const child = yield* spawnProcess("script", ["-qec", command, "/dev/null"])
        yield* waitUntil("the process exited", Effect.sync(() => child.process.exitCode !== null), 60_000)
        expect(child.process.exitCode).toBe(0)
        const out = child.stdout()
        // Every refresh starts with \r and clears the rest of the line; no newline between them.
        const line = out.slice(out.indexOf("\r  0 frames/s"))
        const refreshes = line.slice(0, line.search(/\r?\n/)).split("\r").filter((part) => part !== "")
        expect(refreshes.length).toBeGreaterThanOrEqual(2)
        for (const refresh of refreshes) {
          expect(refresh).toMatch(/^ {2}\d+ frames\/s · \d+ in · /)
          expect(refresh.endsWith("\u001b[K")).toBe(true)
        }
        expect(out).toContain("shutting down")
        expect(out).toContain("frames in         0")
      }),
    120_000
  )
})

describe("weft-demo: colour", () => {
  it.scopedLive.skipIf(!hasScript)(
    "help is coloured on a terminal, and not with NO_COLOR set",
    () =>
      Effect.gen(function*() {
        const command = [
          globalThis.process.execPath,
          "--conditions=source",
          "--import",
          "tsx",
          Path.join(srcDir, "main.ts"),
          "load",
          "--help"
        ]
          .map((arg) => `'${arg}'`).join(" ")
        const env = { ...globalThis.process.env }
        delete env["NO_COLOR"]
        const [coloured, plain] = yield* Effect.all([
          spawnProcess("script", ["-qec", command, "/dev/null"]).pipe(Effect.provideService(Env, env)),
          spawnProcess("script", ["-qec", command, "/dev/null"]).pipe(
            Effect.provideService(Env, { ...env, NO_COLOR: "1" })
          )
        ])
        yield* waitUntil(
          "both exited",
          Effect.sync(() => coloured.process.exitCode !== null && plain.process.exitCode !== null),
          60_000
        )
        expect(coloured.stdout()).toContain("\u001b[")
        expect(coloured.stdout()).toContain("weft-demo load")
        expect(plain.stdout()).not.toContain("\u001b")
        expect(plain.stdout()).toContain("$ weft-demo load [--")
      }),
    120_000
  )
})
