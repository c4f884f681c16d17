import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const root = path.dirname(fileURLToPath(import.meta.url))

/**
 * Test config shared by every package and app: workspace imports resolve to sources (no build
 * needed), `*.types.test.ts` files run through vitest's typecheck mode (tsc), everything else
 * runs as ordinary tests.
 */
export const shared = defineConfig({
  resolve: {
    alias: [{ find: /^@weft\/([a-z-]+)$/, replacement: path.join(root, "packages/$1/src/index.ts") }]
  },
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.types.test.ts", "**/node_modules/**"],
    typecheck: {
      enabled: true,
      include: ["test/**/*.types.test.ts"],
      tsconfig: "./tsconfig.json"
    },
    testTimeout: 30_000,
    sequence: { concurrent: false }
  }
})
