// What the dashboard's SSE stream costs the gateway: CPU time of a `weft-demo serve` process
// (utime + stime from /proc, every thread) over windows of WINDOW seconds with 0 and then 16
// `/events` subscribers (the default limit), alternated ROUNDS times so drift shows. With
// `--load`, a separate `weft-demo load` process sends the demo's default load (4 connections,
// 20,000 frames/s, 64 B payloads; chaos every 1000th frame) meanwhile. Linux only.
//
//   node apps/demo/scripts/sse-cpu.mjs [--load] [--window 30] [--rounds 2] [--clients 16]
//
// Prints one line per window and the per-client cost: (CPU with clients − CPU without) / window.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"

const { values: args } = parseArgs({
  options: {
    load: { type: "boolean", default: false },
    window: { type: "string", default: "30" },
    rounds: { type: "string", default: "2" },
    clients: { type: "string", default: "16" },
    built: { type: "boolean", default: false }
  }
})
const windowSeconds = Number(args.window)
const demo = path.resolve(import.meta.dirname, "..")
// The sources under tsx (as `pnpm demo` runs them), or `--built`: dist/main.js (run `pnpm build` first).
const command = args.built
  ? ["dist/main.js"]
  : ["--conditions=source", "--import", "tsx", "src/main.ts"]
const httpPort = 18_000 + Math.floor(Math.random() * 1000)
const tcpPort = httpPort + 1000
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "weft-sse-cpu-"))
const children = []
const run = (argv) => {
  const child = spawn(process.execPath, [...command, ...argv], { cwd: demo, stdio: ["ignore", "ignore", "inherit"] })
  children.push(child)
  return child
}
const stopAll = () => children.forEach((child) => child.kill("SIGKILL"))
process.on("exit", () => {
  stopAll()
  fs.rmSync(dir, { recursive: true, force: true })
})

const ticksPerSecond = 100 // USER_HZ on Linux
const cpuSeconds = (pid) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const gateway = run([
  "serve", "--http-port", String(httpPort), "--tcp-port", String(tcpPort), "--sink", path.join(dir, "sink.log")
])
for (let tries = 0;; tries++) {
  const up = await fetch(`http://127.0.0.1:${httpPort}/health`).then((r) => r.ok, () => false)
  if (up) break
  if (tries > 300) throw new Error("the gateway did not start")
  await sleep(100)
}
if (args.load) run(["load", "--port", String(tcpPort), "--rate", "20000"])
await sleep(5_000) // warm-up

/** `count` subscribers reading `/events` (the page's default interval, 500 ms) until aborted. */
const subscribe = (count) => {
  const controller = new AbortController()
  let events = 0
  let bytes = 0
  for (let i = 0; i < count; i++) {
    fetch(`http://127.0.0.1:${httpPort}/events`, { signal: controller.signal }).then(async (response) => {
      if (response.status !== 200) throw new Error(`/events answered ${response.status}`)
      const decoder = new TextDecoder()
      for await (const chunk of response.body) {
        bytes += chunk.length
        events += decoder.decode(chunk, { stream: true }).split("\n\n").length - 1
      }
    }).catch((error) => {
      if (error.name !== "AbortError") throw error
    })
  }
  return { stop: () => controller.abort(), stats: () => ({ events, bytes }) }
}

const measure = async (clients) => {
  const subscribers = subscribe(clients)
  await sleep(1_000)
  const before = cpuSeconds(gateway.pid)
  await sleep(windowSeconds * 1000)
  const used = cpuSeconds(gateway.pid) - before
  const { bytes, events } = subscribers.stats()
  subscribers.stop()
  await sleep(1_000)
  const percent = (100 * used) / windowSeconds
  console.log(
    `${String(clients).padStart(2)} subscribers: ${used.toFixed(2)} s CPU in ${windowSeconds} s = ${
      percent.toFixed(2)
    }% of a core` + (clients > 0 ? ` (${events} events, ${(bytes / 1e6).toFixed(1)} MB sent)` : "")
  )
  return percent
}

console.log(`gateway pid ${gateway.pid}, ${args.load ? "under the demo's default load" : "idle"}, ${os.loadavg()[0].toFixed(1)} load average`)
const without = []
const withClients = []
for (let round = 0; round < Number(args.rounds); round++) {
  without.push(await measure(0))
  withClients.push(await measure(Number(args.clients)))
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
console.log(
  `the stream for ${args.clients} subscribers: ${(mean(withClients) - mean(without)).toFixed(2)}% of a core ` +
    `(mean of ${args.rounds} windows each; load average now ${os.loadavg()[0].toFixed(1)})`
)
process.exit(0)
