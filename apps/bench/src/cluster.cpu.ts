/**
 * CPU accounting for the cluster bench: the CPU time the runner processes, this (the client)
 * process and the PostgreSQL server spent during a run, read from /proc (Linux only; elsewhere
 * the figures are absent), and how busy the whole machine was. It tells where an ask's cost goes
 * and whether a throughput was bound by the machine's cores.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import { ownCpuSeconds, statFields as statFieldsAt, ticksPerSecond } from "./procStat.js"

/** The fields of `/proc/<pid>/stat` after the command name. */
const statFields = (pid: number) => statFieldsAt(`/proc/${pid}/stat`)

/**
 * CPU seconds `pid` has used; with `reaped`, those of its children it has waited for too (a
 * PostgreSQL backend that exits leaves its time in the postmaster's).
 */
const cpuSeconds = (pid: number, reaped = false): number => {
  const fields = statFields(pid)
  if (fields === undefined) return 0
  // cutime, cstime: fields 16 and 17 of stat(5), 13 and 14 after the command name.
  const own = ownCpuSeconds(fields)
  return reaped ? own + (Number(fields[13]) + Number(fields[14])) / ticksPerSecond : own
}

/** The postmaster and every process it started (backends, writers, autovacuum). */
const postgresSeconds = (postmaster: number): number => {
  let total = cpuSeconds(postmaster, true)
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === postmaster) continue
    const fields = statFields(pid)
    if (fields !== undefined && Number(fields[1]) === postmaster) total += cpuSeconds(pid)
  }
  return total
}

/** The parent of `pid`: the postmaster, given the pid of one of its backends. */
export const parentOf = (pid: number): number | undefined => {
  const fields = statFields(pid)
  return fields === undefined ? undefined : Number(fields[1])
}

/** Busy and total CPU seconds of the whole machine, over every core (/proc/stat). */
const machineSeconds = (): { readonly busy: number; readonly total: number } => {
  try {
    const [, ...ticks] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/)
    const values = ticks.map(Number)
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0)
    const idle = values[3]! + values[4]!
    return { busy: (total - idle) / ticksPerSecond, total: total / ticksPerSecond }
  } catch {
    return { busy: 0, total: 0 }
  }
}

/** CPU seconds spent during a run, per party. */
export interface CpuSpent {
  readonly wallSeconds: number
  readonly runners: number
  readonly client: number
  /** Undefined when the server is not a local process (`WEFT_PG_URL` names another machine). */
  readonly postgres: number | undefined
  /** Every process on the machine, other work included. */
  readonly machineBusy: number
  /** What the machine could have given: cores × wall time. */
  readonly machineCapacity: number
}

export interface CpuParties {
  readonly runnerPids: () => ReadonlyArray<number>
  readonly postmaster: number | undefined
}

const snapshot = (parties: CpuParties) => ({
  at: performance.now(),
  runners: parties.runnerPids().map((pid) => [pid, cpuSeconds(pid)] as const),
  client: cpuSeconds(process.pid),
  postgres: parties.postmaster === undefined ? undefined : postgresSeconds(parties.postmaster),
  machine: machineSeconds()
})

/** Runs `run` and says how much CPU each party spent on it. */
export const measureCpu = async <A>(
  parties: CpuParties,
  run: () => Promise<A>
): Promise<{ readonly result: A; readonly cpu: CpuSpent }> => {
  const before = snapshot(parties)
  const result = await run()
  const after = snapshot(parties)
  const runnerBefore = new Map(before.runners)
  const wallSeconds = (after.at - before.at) / 1000
  return {
    result,
    cpu: {
      wallSeconds,
      // A runner started during the run (none are) would count from zero.
      runners: after.runners.reduce((sum, [pid, seconds]) => sum + seconds - (runnerBefore.get(pid) ?? 0), 0),
      client: after.client - before.client,
      postgres: after.postgres === undefined || before.postgres === undefined
        ? undefined
        : after.postgres - before.postgres,
      machineBusy: after.machine.busy - before.machine.busy,
      machineCapacity: os.cpus().length * wallSeconds
    }
  }
}

/**
 * "CPU/ask: runners 1.40 + client 1.32 + postgres 1.21 = 3.93 ms → ≤ 509 asks/s on 2 cores; used
 * 1.18 cores, machine 99 % busy": where an ask's CPU goes, the most asks/s the machine's cores
 * could give at that cost, how many cores the cluster used, and how busy the machine was (the
 * difference is other work on it).
 */
export const formatCpu = (cpu: CpuSpent, asks: number): string => {
  const perAsk = (seconds: number) => (seconds * 1000 / asks).toFixed(2)
  const total = cpu.runners + cpu.client + (cpu.postgres ?? 0)
  const cores = os.cpus().length
  return `CPU/ask: runners ${perAsk(cpu.runners)} + client ${perAsk(cpu.client)} + postgres ${
    cpu.postgres === undefined ? "n/a" : perAsk(cpu.postgres)
  } = ${perAsk(total)} ms → ≤ ${Math.round(cores * asks / total)} asks/s on ${cores} cores; used ${
    (total / cpu.wallSeconds).toFixed(2)
  } cores, machine ${Math.round(100 * cpu.machineBusy / cpu.machineCapacity)} % busy`
}
