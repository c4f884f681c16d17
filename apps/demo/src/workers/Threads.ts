/**
 * Where the worker threads' module is: next to this file, as `.ts` when the demo runs from its
 * sources (through tsx) and `.js` when it runs compiled. From sources, the thread registers tsx
 * itself (a `--import tsx` does not reach a worker's entry on Node 20) and resolves workspace
 * packages to their sources, as the process does.
 */
import { Worker, type WorkerOptions } from "node:worker_threads"

const fromSources = import.meta.url.endsWith(".ts")

export const compressEntry = new URL(`./compress.worker.${fromSources ? "ts" : "js"}`, import.meta.url)

export const spawnThread = (entry: URL | string, options: WorkerOptions): Worker =>
  fromSources
    ? new Worker(
      `import { tsImport } from "tsx/esm/api"\nawait tsImport(${JSON.stringify(String(entry))}, import.meta.url)`,
      { ...options, eval: true, execArgv: [...(options.execArgv ?? []), "--conditions=source"] }
    )
    : new Worker(entry, options)
