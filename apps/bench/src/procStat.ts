/**
 * Linux's per-process and per-thread statistics (`/proc/<pid>/stat`, `/proc/self/task/<tid>/stat`),
 * read by the bench rows that report CPU time by process or by thread.
 * (Not a `*.bench.ts`: the bench runner does not load it.)
 */
import * as fs from "node:fs"

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux Node supports). */
export const ticksPerSecond = 100

/**
 * The fields of a `stat` file after the command name (which may contain spaces): field N of
 * stat(5) is at index N − 3. Undefined when the file is gone (the process or thread ended) or
 * there is no /proc.
 */
export const statFields = (path: string): ReadonlyArray<string> | undefined => {
  try {
    const stat = fs.readFileSync(path, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  } catch {
    return undefined
  }
}

/** User plus system CPU seconds in `stat` fields (utime and stime, fields 14 and 15). */
export const ownCpuSeconds = (fields: ReadonlyArray<string>): number =>
  (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
