// A private PostgreSQL 15 for the cluster tests and for development: `initdb` in a temporary
// directory, `pg_ctl` on a free loopback port, no system service touched. As root it runs as the
// `postgres` user (PostgreSQL refuses to run as root); otherwise as the current user.
//
//   node scripts/pg.mjs start [--env]   start it; print the URL (with --env: `export WEFT_PG_URL=…`)
//   node scripts/pg.mjs stop            stop it and delete its directory
//   node scripts/pg.mjs url             print the URL of the running one
//
// Tests that need PostgreSQL read WEFT_PG_URL and create their own database in it.
import { execFileSync, spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
// One server per checkout: the state file is named after the checkout's path.
const stateFile = path.join(
  os.tmpdir(),
  `weft-pg-${crypto.createHash("sha256").update(root).digest("hex").slice(0, 12)}.json`
)

const binDir = () => {
  const fromConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" })
  const candidates = [
    process.env.PG_BIN,
    fromConfig.status === 0 ? fromConfig.stdout.trim() : undefined,
    ...fs.existsSync("/usr/lib/postgresql")
      ? fs.readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a)).map((v) =>
        `/usr/lib/postgresql/${v}/bin`
      )
      : []
  ]
  const found = candidates.find((dir) => dir !== undefined && fs.existsSync(path.join(dir, "initdb")))
  if (found === undefined) fail("no PostgreSQL found (install postgresql, or set PG_BIN to its bin directory)")
  return found
}

function fail(message) {
  console.error(`pg: ${message}`)
  process.exit(1)
}

const isRoot = process.getuid?.() === 0

/** Runs a PostgreSQL program, as `postgres` when this process is root. */
const run = (program, args) => {
  const [command, argv] = isRoot ? ["runuser", ["-u", "postgres", "--", program, ...args]] : [program, args]
  const result = spawnSync(command, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
  if (result.status !== 0) fail(`${path.basename(program)} failed:\n${result.stdout}${result.stderr}`)
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

const readState = () => {
  try {
    return JSON.parse(fs.readFileSync(stateFile, "utf8"))
  } catch {
    return undefined
  }
}

const urlOf = (state) => `postgres://postgres@127.0.0.1:${state.port}/postgres`

const start = async (asEnv) => {
  const running = readState()
  if (running !== undefined && fs.existsSync(path.join(running.dataDir, "postmaster.pid"))) {
    console.log(asEnv ? `export WEFT_PG_URL=${urlOf(running)}` : urlOf(running))
    return
  }
  const bin = binDir()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "weft-pg-"))
  if (isRoot) execFileSync("chown", ["postgres:", dataDir])
  run(path.join(bin, "initdb"), ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
  const port = await freePort()
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dataDir}`,
    "-c fsync=off",
    "-c max_connections=200"
  ].join(" ")
  run(path.join(bin, "pg_ctl"), ["-D", dataDir, "-o", options, "-l", path.join(dataDir, "server.log"), "-w", "start"])
  const state = { dataDir, port, bin }
  fs.writeFileSync(stateFile, JSON.stringify(state))
  console.log(asEnv ? `export WEFT_PG_URL=${urlOf(state)}` : urlOf(state))
}

const stop = () => {
  const state = readState()
  if (state === undefined) return console.error("pg: not running")
  if (fs.existsSync(path.join(state.dataDir, "postmaster.pid"))) {
    run(path.join(state.bin, "pg_ctl"), ["-D", state.dataDir, "-m", "fast", "-w", "stop"])
  }
  fs.rmSync(state.dataDir, { recursive: true, force: true })
  fs.rmSync(stateFile, { force: true })
  console.error("pg: stopped")
}

const [command, ...flags] = process.argv.slice(2)
if (command === "start") await start(flags.includes("--env"))
else if (command === "stop") stop()
else if (command === "url") {
  const state = readState()
  if (state === undefined) fail("not running (pnpm pg:start)")
  console.log(urlOf(state))
} else fail("usage: node scripts/pg.mjs <start [--env]|stop|url>")
