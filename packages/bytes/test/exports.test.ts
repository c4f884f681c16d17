import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
/** The TypeScript compiler the workspace pins, run with this Node. */
const tsc = path.join(fs.realpathSync(path.join(packageDir, "node_modules", "typescript")), "bin", "tsc")

const consumer = `
import { Bytes, LengthDelimited } from "@weft/bytes"
import * as BytesModule from "@weft/bytes/Bytes"
import { Chunk, Effect, Stream } from "effect"

const frames = await Effect.runPromise(
  Stream.make(new Uint8Array([0, 0, 0, 2, 104, 105, 0, 0, 0, 1, 33])).pipe(
    LengthDelimited.decode(),
    Stream.map(Bytes.decodeUtf8),
    Stream.runCollect
  )
)
let blocked = false
try {
  await import("@weft/bytes/internal/bytes")
} catch (error) {
  blocked = error.code === "ERR_PACKAGE_PATH_NOT_EXPORTED"
}
console.log(JSON.stringify({
  frames: Chunk.toArray(frames),
  subpath: BytesModule.toHex(BytesModule.make(1, 255)),
  sameModule: BytesModule.fromString === Bytes.fromString,
  internalBlocked: blocked
}))
`

describe("package exports", () => {
  it("a plain Node ESM file outside the workspace imports the built package", () => {
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: packageDir, stdio: "pipe" })
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "weft-bytes-consumer-"))
    try {
      fs.mkdirSync(path.join(dir, "node_modules", "@weft"), { recursive: true })
      fs.symlinkSync(packageDir, path.join(dir, "node_modules", "@weft", "bytes"), "dir")
      fs.symlinkSync(
        fs.realpathSync(path.join(packageDir, "node_modules", "effect")),
        path.join(dir, "node_modules", "effect"),
        "dir"
      )
      fs.writeFileSync(path.join(dir, "main.mjs"), consumer)
      const output = execFileSync(process.execPath, ["main.mjs"], { cwd: dir, encoding: "utf8" })
      assert.deepStrictEqual(JSON.parse(output), {
        frames: ["hi", "!"],
        subpath: "01ff",
        sameModule: true,
        internalBlocked: true
      })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
