// Lint and format in one pass: typescript-eslint for correctness, @effect/eslint-plugin's dprint
// rule for formatting (the formatter Effect itself uses). `pnpm format` applies the fixes.
import js from "@eslint/js"
import * as effectPlugin from "@effect/eslint-plugin"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", ".docs-examples/**", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...effectPlugin.configs.dprint,
  {
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "nextLine",
          "arrowFunction.useParentheses": "force"
        }
      }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "@typescript-eslint/consistent-type-imports": "error",
      "no-constant-condition": ["error", { checkLoops: false }]
    }
  },
  {
    // What ships imports Effect's modules by path, as Effect's own packages do: a value import of
    // the "effect" barrel loads its every module (≈ 100 more than the gateway needs, +15 MiB RSS).
    files: ["packages/*/src/**/*.ts", "apps/demo/src/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        paths: [{
          name: "effect",
          allowTypeImports: true,
          message: "import the module by path (import * as Effect from \"effect/Effect\"); type imports may use the barrel"
        }]
      }]
    }
  },
  {
    files: ["**/test/**", "apps/bench/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" }
  }
)
