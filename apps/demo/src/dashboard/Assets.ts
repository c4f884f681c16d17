/**
 * The files the dashboard page loads besides itself: uPlot's script and stylesheet, read from the
 * installed `uplot` package when the gateway starts and served by the gateway — never fetched from
 * the internet. Resolved from this module (`createRequire(import.meta.url)`), so the same code
 * works from the sources, from the built `dist` and from an installed package.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as FileSystem from "node:fs/promises"
import { createRequire } from "node:module"

/** An asset the page needs, as served: its URL path, its type and its bytes. */
export interface Asset {
  readonly path: string
  readonly contentType: string
  readonly body: Uint8Array
}

/** A dashboard asset that could not be found or read (the `uplot` dependency is missing). */
export class AssetMissing extends Data.TaggedError("AssetMissing")<{
  readonly asset: string
  readonly cause: unknown
}> {
  override get message() {
    return `cannot load the dashboard asset ${this.asset} (is the uplot package installed?): ${String(this.cause)}`
  }
}

/** The assets: module specifier → URL path and type. */
const sources = [
  {
    module: "uplot/dist/uPlot.iife.min.js",
    path: "/assets/uplot.min.js",
    contentType: "text/javascript; charset=utf-8"
  },
  { module: "uplot/dist/uPlot.min.css", path: "/assets/uplot.min.css", contentType: "text/css; charset=utf-8" }
] as const

/** The URL paths the page refers to. */
export const paths = { script: sources[0].path, stylesheet: sources[1].path } as const

/** Reads every asset once. */
export const load: Effect.Effect<ReadonlyArray<Asset>, AssetMissing> = Effect.suspend(() => {
  const require = createRequire(import.meta.url)
  return Effect.forEach(sources, (source) =>
    Effect.tryPromise({
      try: () => FileSystem.readFile(require.resolve(source.module)),
      catch: (cause) => new AssetMissing({ asset: source.module, cause })
    }).pipe(
      Effect.map((body): Asset => ({ path: source.path, contentType: source.contentType, body }))
    ))
})
