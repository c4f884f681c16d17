// Extracts every ```ts block from docs/*.md and packages/*/README.md and typechecks them against the
// workspace packages, so the guides cannot drift from the code. Each block is its own module.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const out = path.join(root, ".docs-examples")
fs.rmSync(out, { recursive: true, force: true })
fs.mkdirSync(out, { recursive: true })

const sources = [
  ...fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f)),
  ...fs.readdirSync(path.join(root, "packages"))
    .map((p) => path.join("packages", p, "README.md"))
    .filter((f) => fs.existsSync(path.join(root, f))),
  "README.md"
]

let count = 0
const origins = new Map()
for (const source of sources) {
  const text = fs.readFileSync(path.join(root, source), "utf8")
  const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
  blocks.forEach((match, i) => {
    const line = text.slice(0, match.index).split("\n").length + 1
    const name = `${source.replace(/[\\/.]/g, "_")}_${i + 1}.ts`
    origins.set(name, `${source}:${line}`)
    fs.writeFileSync(path.join(out, name), `${match[1]}\nexport {}\n`)
    count++
  })
}

if (count === 0) {
  console.log("docs examples: no ts blocks found")
  process.exit(0)
}

fs.writeFileSync(
  path.join(out, "tsconfig.json"),
  JSON.stringify({
    extends: "../tsconfig.base.json",
    compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false },
    include: ["*.ts"]
  })
)

try {
  execFileSync(path.join(root, "node_modules/.bin/tsc"), ["-p", out], { stdio: "pipe" })
  console.log(`docs examples: ${count} blocks from ${sources.length} files typecheck`)
} catch (error) {
  const report = String(error.stdout).replace(/^(\S+\.ts)\((\d+),/gm, (_, file, l) => `${origins.get(file) ?? file} (block line ${l}),`)
  console.error(report)
  console.error(`docs examples: type errors in the blocks above`)
  process.exit(1)
}
