/**
 * `weft-demo verify-sink <file>`: reads a sink file and reports its whole records, their bytes and
 * the first damaged record (a torn tail after a crash, a flipped bit). Exits 0 when the file is
 * whole, 1 (with `SinkDamaged`) when it is not. See `SinkFile` for the format.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as SinkFile from "./SinkFile.js"

/** Scans the file and prints what it holds; fails with `SinkDamaged` on damage. */
export const verifySink = ({ file }: { readonly file: string }) =>
  Effect.flatMap(SinkFile.verify(file), (scan) => Console.log(`${file}: ${SinkFile.describe(scan)}`))

/** The `verify-sink` subcommand, with its handler. */
export const command = Command.make("verify-sink", {
  file: Args.text({ name: "file" }).pipe(Args.withDescription("the sink file to check"))
}).pipe(
  Command.withHandler(verifySink),
  Command.withDescription("check a sink file: records, bytes, and any damage (exit 1 when damaged)")
)
