// The guides' examples, typechecked and run. Every ```ts block of docs/*.md, packages/*/README.md,
// README.md and the JSDoc of packages/*/src/*.ts becomes its own module. All are typechecked against
// the workspace packages, then run against the built packages (`pnpm build` first):
// - a block's top level runs on import; its top-level `program` and every Effect it exports run to
//   completion (with the TestContext when the block uses the TestClock, as `it.effect` runs a test),
//   and so does any `Effect.runPromise` the block calls itself;
// - an output a block claims in a comment `// => value` is asserted: on `return expr`,
//   `const x = expr` or a bare expression line, the expression's value must deep-equal `value` (text
//   after " — " explains it), and every such line must run;
// - a block that `declare`s what it uses, names a worker module file (`*.worker.ts`, the entry of a
//   worker thread, or `*.worker.js`, one it starts) or is a test file (imports vitest) is a
//   fragment: typechecked, not run.
// `--typecheck` stops after the typecheck (it needs no build).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const out = path.join(root, ".docs-examples")
const typecheckOnly = process.argv.includes("--typecheck")
fs.rmSync(out, { recursive: true, force: true })
fs.mkdirSync(out, { recursive: true })

const sources = [
  ...fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f)),
  ...fs.readdirSync(path.join(root, "packages"))
    .map((p) => path.join("packages", p, "README.md"))
    .filter((f) => fs.existsSync(path.join(root, f))),
  "README.md"
]

// `code // => expected — why`: the line's expression is wrapped in a check that returns its value, so the
// line keeps its meaning (a `yield*` inside stays in its generator). Line numbers are unchanged.
const claim = /^(.*?)\s*\/\/ => (.+)$/
const wrapClaim = (line, where) => {
  const match = claim.exec(line)
  if (match === null) return { line, claimed: false }
  const [, code, claimText] = match
  const expected = claimText.split(" — ")[0]
  const wrap = (expr) => `__docs.check(${expr.replace(/;\s*$/, "")}, ${expected}, ${JSON.stringify(where)})`
  // `return expr` (also after an `if (…)`), or `const x = expr`: the expression is what follows.
  const statement = /^(.*?\breturn )(.+)$/.exec(code) ?? /^(\s*(?:export )?(?:const|let) [^=]+= )(.+)$/.exec(code)
  if (statement !== null) {
    const [, head, expr] = statement
    return { line: `${head}${wrap(expr)}`, claimed: true }
  }
  const indent = /^\s*/.exec(code)[0]
  return { line: `${indent}${wrap(code.trim())}`, claimed: true }
}

// A guide's blocks, and the `@example` blocks of each package's public modules (JSDoc: ` * ` stripped).
const exampleSources = fs.readdirSync(path.join(root, "packages")).flatMap((p) => {
  const src = path.join("packages", p, "src")
  if (!fs.existsSync(path.join(root, src))) return []
  return fs.readdirSync(path.join(root, src)).filter((f) => f.endsWith(".ts")).map((f) => path.join(src, f))
})
const guideBlocks = (text) =>
  [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => ({ code: match[1], index: match.index }))
const jsdocBlocks = (text) =>
  [...text.matchAll(/^ \* ```ts\n([\s\S]*?)^ \* ```$/gm)].map((match) => ({
    code: match[1].replace(/^ \*( |$)/gm, ""),
    index: match.index
  }))

const blocks = []
const extract = (source, found) => {
  const text = fs.readFileSync(path.join(root, source), "utf8")
  found(text).forEach(({ code, index }, i) => {
    const firstLine = text.slice(0, index).split("\n").length + 1
    const name = `${source.replace(/[\\/.]/g, "_")}_${i + 1}`
    const claims = []
    const lines = code.split("\n").map((line, offset) => {
      const where = `${source}:${firstLine + offset}`
      const wrapped = wrapClaim(line, where)
      if (wrapped.claimed) claims.push(where)
      return wrapped.line
    })
    // A worker thread's entry module, or code that starts one from such a file, needs a worker
    // module on disk: the worker package's tests run those for real. A test file needs vitest's runner.
    const fragment = /^declare /m.test(code) || /\.worker\.(ts|js)\b/.test(code) ||
      /from "(@effect\/vitest|vitest|@weft\/testkit\/Vitest)"/.test(code)
    // The block's own runs are awaited by the runner (same call, same result for the reader).
    const runsItself = /\bEffect\.runPromise\(/.test(code)
    if (runsItself) lines.forEach((line, i) => lines[i] = line.replace(/\bEffect\.runPromise\(/g, "__docs.runPromise("))
    const hasProgram = !fragment && !runsItself && /^const program\b/m.test(code)
    // Appended, not prepended, so that type errors keep the block's own line numbers.
    const tail = [
      "export {}",
      ...(claims.length > 0 || runsItself ? [`import * as __docs from "./__docs.js"`] : []),
      ...(hasProgram ? ["export { program }"] : [])
    ]
    fs.writeFileSync(path.join(out, `${name}.ts`), `${lines.join("\n")}\n${tail.join("\n")}\n`)
    // As `it.effect` runs a test: with the TestClock.
    const testClock = /\bTestClock\b/.test(code)
    blocks.push({ name, origin: `${source}:${firstLine}`, claims, hasProgram, fragment, testClock })
  })
}
for (const source of sources) extract(source, guideBlocks)
for (const source of exampleSources) extract(source, jsdocBlocks)

if (blocks.length === 0) {
  console.log("docs examples: no ts blocks found")
  process.exit(0)
}

fs.writeFileSync(
  path.join(out, "__docs.ts"),
  `import { Chunk, Effect, Equal } from "effect"
import { isDeepStrictEqual, inspect } from "node:util"
/** Where each claim that ran was, what failed, and the runs a block started itself. */
export const ran = new Set<string>()
export const started: Array<Promise<unknown>> = []
export const runPromise = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const run = Effect.runPromise(effect)
  started.push(run)
  return run
}
export const failures: Array<string> = []
// A Chunk claims its elements: \`// => ["a", "b"]\`.
const plain = (value: unknown): unknown => Chunk.isChunk(value) ? Chunk.toReadonlyArray(value).map(plain) : value
const compare = (actual: unknown, expected: unknown, where: string) => {
  ran.add(where)
  if (!Equal.equals(actual, expected) && !isDeepStrictEqual(plain(actual), plain(expected))) {
    failures.push(\`\${where}: got \${inspect(actual, { depth: 4 })}, the comment says \${inspect(expected, { depth: 4 })}\`)
  }
}
/** Checks a claimed value; a promise's claim is on what it resolves to (the runner awaits it). */
export const check = <A>(actual: A, expected: unknown, where: string): A => {
  if (actual instanceof Promise) started.push(actual.then((value) => compare(value, expected, where)))
  else compare(actual, expected, where)
  return actual
}
`
)
fs.writeFileSync(
  path.join(out, "tsconfig.json"),
  JSON.stringify({
    extends: "../tsconfig.base.json",
    compilerOptions: {
      noUnusedLocals: false,
      noUnusedParameters: false,
      declaration: false,
      declarationMap: false,
      sourceMap: false,
      // The demo's guide imports apps/demo's sources: they compile along, under js/ too.
      rootDir: "..",
      outDir: "js",
      ...(typecheckOnly ? { noEmit: true } : {})
    },
    include: ["*.ts"]
  })
)

const origins = new Map(blocks.map((block) => [`${block.name}.ts`, block.origin]))
try {
  execFileSync(path.join(root, "node_modules/.bin/tsc"), ["-p", out], { stdio: "pipe" })
  console.log(`docs examples: ${blocks.length} blocks from ${sources.length} guides and ${exampleSources.length} modules typecheck`)
} catch (error) {
  const report = String(error.stdout).replace(
    /^(\S+\.ts)\((\d+),/gm,
    (_, file, l) => `${origins.get(path.basename(file)) ?? file} (block line ${l}),`
  )
  console.error(report)
  console.error(`docs examples: type errors in the blocks above`)
  process.exit(1)
}
if (typecheckOnly) process.exit(0)
// The demo's compiled sources resolve their dependencies from the demo's node_modules.
fs.symlinkSync(path.join(root, "apps/demo/node_modules"), path.join(out, "js/apps/demo/node_modules"), "dir")

// Run: each block in turn, in this process, against the built packages (no "source" condition).
const { Cause, Effect, Exit, Logger, LogLevel, TestContext } = await import(pathToFileURL(path.join(root, "node_modules/effect/dist/esm/index.js")).href)
const compiled = path.join(out, "js", ".docs-examples")
const docs = await import(pathToFileURL(path.join(compiled, "__docs.js")).href)
const timeoutMs = 10_000
const problems = []
let programs = 0
const run = (effect) =>
  Effect.runPromiseExit(
    effect.pipe(
      Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => "timed out" }),
      // Examples that show a log (a leak report, say) would only add noise here.
      Logger.withMinimumLogLevel(LogLevel.None)
    )
  )
let fragments = 0
for (const block of blocks) {
  if (block.fragment) {
    fragments++
    continue
  }
  try {
    docs.started.length = 0
    const mod = await import(pathToFileURL(path.join(compiled, `${block.name}.js`)).href)
    for (const [name, value] of Object.entries(mod)) {
      if (!Effect.isEffect(value)) continue
      programs++
      const exit = await run(
        block.testClock ? Effect.provide(Effect.scoped(value), TestContext.TestContext) : Effect.scoped(value)
      )
      if (Exit.isFailure(exit)) problems.push(`${block.origin}: \`${name}\` failed: ${Cause.pretty(exit.cause)}`)
    }
    const own = await run(Effect.promise(() => Promise.all(docs.started)))
    if (Exit.isFailure(own)) problems.push(`${block.origin}: its own run failed: ${Cause.pretty(own.cause)}`)
  } catch (error) {
    problems.push(`${block.origin}: ${error?.stack ?? error}`)
  }
  for (const where of block.claims) {
    if (!docs.ran.has(where)) problems.push(`${where}: the claimed output was never computed`)
  }
}
problems.push(...docs.failures)
if (problems.length > 0) {
  console.error(problems.join("\n\n"))
  console.error(`docs examples: ${problems.length} problems above`)
  process.exit(1)
}
const claimCount = blocks.reduce((n, block) => n + block.claims.length, 0)
console.log(
  `docs examples: ${blocks.length - fragments} blocks run (${programs} programs), ${claimCount} claimed outputs hold;`
    + ` ${fragments} fragments only typechecked`
)
