/**
 * What the benchmarks read of a process from Linux's /proc: its `stat` fields
 * and its `status` memory lines. Linux only; callers say what they do
 * elsewhere.
 */
import { readFileSync } from 'node:fs'

/** A process's command name and the `stat` fields after it (fields[0] is its state). */
export function procStat(pid: number): { name: string; fields: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name sits in parentheses and may itself hold spaces and parentheses.
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    fields: stat.slice(stat.lastIndexOf(')') + 2).split(' '),
  }
}

/** A `status` line in KiB, e.g. `statusKb('self', 'VmHWM')` for this process's peak memory. */
export function statusKb(pid: number | 'self', field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1])
}
