#!/usr/bin/env -S tsx --conditions=source
/**
 * `weft-demo` (and `pnpm demo`): see `Cli.ts` for the commands.
 *
 * Ctrl-C / SIGTERM interrupt the command (NodeRuntime.runMain), which shuts the gateway down
 * gracefully, prints the summary and exits 0. Further signals during that shutdown are absorbed:
 * a terminal's Ctrl-C reaches every process of `npx pnpm@10 demo` (npm exec, two pnpm, node),
 * and each pnpm forwards it once more, so one key press arrives up to three times, while
 * runMain's handler is gone after the first (the default action would kill the process
 * mid-drain). The shutdown is bounded by `--drain-timeout`, so absorbing them cannot hang it.
 *
 * Bad arguments print what is wrong and exit 2 (`--help` shows the usage); a gateway, load or
 * RPC error prints its message and exits 1. Never a stack trace for either.
 */
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Cli from "./Cli.js"
import * as Help from "./Help.js"

const exitWith = (code: number) =>
  Effect.sync(() => {
    process.exitCode = code
  })

const absorbRepeatedSignal = () => {}
process.on("SIGINT", absorbRepeatedSignal)
process.on("SIGTERM", absorbRepeatedSignal)

// Effect's pretty logger colours whenever stdout is a terminal; NO_COLOR turns that off too.
const logger = Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ colors: Help.colourFor(process.stdout) }))

NodeRuntime.runMain(
  Cli.run(process.argv).pipe(
    Effect.provide(logger),
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        // Help.run has already printed what is wrong.
        ? exitWith(2)
        : Effect.zipRight(Console.error(`weft-demo: ${error.message}`), exitWith(1))
    ),
    Effect.provide(NodeContext.layer)
  ),
  { disablePrettyLogger: true }
)
