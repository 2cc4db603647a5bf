/**
 * Cores a cell used, on the server and in the load generator. On this benchmark's machines the
 * client, the server's HTTP and tokenizer threads and onnxruntime share the same few cores, so
 * a contender's tokens/s means little without how much CPU went where; the ceiling (d) has
 * every core to itself. Linux only (reads /proc); elsewhere the server's figure is null.
 */
import { procStat } from '../proc.ts'

/** Kernel clock ticks per second (USER_HZ), 100 on every Linux build Node supports. */
const TICKS_PER_SECOND = 100

function processCpuSeconds(pid: number): number | null {
  try {
    const { fields } = procStat(pid)
    const [utime, stime] = [Number(fields[11]), Number(fields[12])]
    return (utime + stime) / TICKS_PER_SECOND
  } catch {
    return null
  }
}

export interface CoresUsed {
  /** CPU seconds per wall second of the server process, all its threads; null off Linux. */
  server: number | null
  /** The same for this process, the load generator. */
  client: number
}

/** Starts counting; the returned function stops and gives the cores used in between. */
export function meterCores(serverPid: number): () => CoresUsed {
  const started = performance.now()
  const serverBefore = processCpuSeconds(serverPid)
  const clientBefore = process.cpuUsage()
  return () => {
    const seconds = (performance.now() - started) / 1000
    const serverAfter = processCpuSeconds(serverPid)
    const client = process.cpuUsage(clientBefore)
    return {
      server:
        serverBefore === null || serverAfter === null
          ? null
          : (serverAfter - serverBefore) / seconds,
      client: (client.user + client.system) / 1e6 / seconds,
    }
  }
}

/** The server's CPU time per request (or embedding) over a cell, in µs; null off Linux or for none. */
export function serverCpuUsPer(cores: CoresUsed, seconds: number, count: number): number | null {
  return cores.server === null || count === 0 ? null : ((cores.server * seconds) / count) * 1e6
}
