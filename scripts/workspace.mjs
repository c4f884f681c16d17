// `npm run demo` and `npm test` on a machine with only Node and npm: installs the workspace
// through `npx --yes pnpm@<packageManager version>` when it is missing or older than the lockfile
// (no prompt, no global pnpm, no corepack), then runs the command. `pnpm demo` and `pnpm test`
// come through here as well, so there is one way each is run.
//
//   node scripts/workspace.mjs demo [demo options…]   the gateway demo (apps/demo, from sources)
//   node scripts/workspace.mjs test [vitest options…] every test, type tests included
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const [command, ...args] = process.argv.slice(2)

const pnpmSpec = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).packageManager

const modifiedAt = (file) => {
  try {
    return fs.statSync(path.join(root, file)).mtimeMs
  } catch {
    return undefined
  }
}

const ensureInstalled = () => {
  const installedAt = modifiedAt("node_modules/.modules.yaml")
  if (installedAt !== undefined && installedAt >= modifiedAt("pnpm-lock.yaml")) return
  console.error(`weft: installing the workspace (npx --yes ${pnpmSpec} install --frozen-lockfile)`)
  const install = spawnSync("npx", ["--yes", pnpmSpec, "install", "--frozen-lockfile"], {
    cwd: root,
    stdio: "inherit"
  })
  if (install.status !== 0) process.exit(install.status ?? 1)
}

const commands = {
  demo: {
    cwd: path.join(root, "apps/demo"),
    argv: [process.execPath, "--conditions=source", "--import", "tsx", "src/main.ts", ...args]
  },
  test: {
    cwd: root,
    argv: [process.execPath, path.join(root, "node_modules/vitest/vitest.mjs"), "run", ...args]
  }
}

const chosen = commands[command]
if (chosen === undefined) {
  console.error(`usage: node scripts/workspace.mjs <${Object.keys(commands).join("|")}> [options…]`)
  process.exit(2)
}
ensureInstalled()

const [program, ...programArgs] = chosen.argv
const child = spawn(program, programArgs, { cwd: chosen.cwd, stdio: "inherit" })
// A terminal's Ctrl-C reaches the whole process group, the child included: the child decides
// what it means (the demo drains and prints its summary), and this process waits for its exit
// status. A SIGTERM aimed at this process alone is passed on.
process.on("SIGINT", () => {})
process.on("SIGTERM", () => child.kill("SIGTERM"))
child.on("exit", (code, signal) => {
  process.exit(code ?? 128 + os.constants.signals[signal])
})
