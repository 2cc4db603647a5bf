/**
 * One cell of the table: one contender, one client count. Sends texts `first`, `first + 1`, ...
 * under the load bounds and turns what came back into a row. Tokens are counted with the
 * reference tokenizer, after the clock stops, so every contender's tokens/s means the same
 * tokens; the tokens each response reports are only checked against them.
 */
import { embedText, type EmbedTarget } from './client.ts'
import { meterCores } from './cpu-meter.ts'
import { percentile } from '../spread.ts'
import { runLoad, type LoadBounds } from './load.ts'
import type { ContenderName, Row } from './report.ts'
import { workloadText } from './workload.ts'
import { fixed } from '../table.ts'

export async function measureCell(options: {
  contender: ContenderName
  round: number
  target: EmbedTarget
  /** The server's process, for the cores it used. */
  serverPid: number
  bounds: LoadBounds
  /** Index of the first text of the workload stream this cell sends. */
  first: number
  tokensOf: (textIndex: number) => number
  flopsOf?: (tokens: number) => number
  /** The tenant tag of the i-th request (absent: none, the node's one shared tenant). */
  tenantOf?: (i: number) => string
}): Promise<Row> {
  const { target, bounds, first, tokensOf, flopsOf, tenantOf } = options
  const reported = new Map<number, number>()
  const stopMeter = meterCores(options.serverPid)
  const result = await runLoad(bounds, async (i, signal) => {
    const { tokens } = await embedText(target, workloadText(first + i), signal, tenantOf?.(i))
    reported.set(i, tokens)
  })
  const cores = stopMeter()
  const tokens = result.completed.map((i) => tokensOf(first + i))
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
  return {
    contender: options.contender,
    clients: bounds.clients,
    round: options.round,
    requests: result.completed.length,
    errors: result.errors,
    firstError: result.firstError,
    seconds: result.seconds,
    embeddingsPerSecond: result.completed.length / result.seconds,
    tokensPerSecond: sum(tokens) / result.seconds,
    p50Ms: percentile(result.latenciesMs, 50),
    p99Ms: percentile(result.latenciesMs, 99),
    gflops: flopsOf ? sum(tokens.map(flopsOf)) / result.seconds / 1e9 : null,
    tokenCountMismatches: result.completed.filter((i, k) => reported.get(i) !== tokens[k]).length,
    cores,
  }
}

export function describeRow(row: Row): string {
  return (
    `${row.requests} requests in ${row.seconds.toFixed(1)} s: ${row.embeddingsPerSecond.toFixed(1)} emb/s, ` +
    `${row.tokensPerSecond.toFixed(0)} tokens/s, p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms` +
    (row.gflops !== null ? `, ${row.gflops.toFixed(1)} GFLOP/s` : '') +
    `; cores: server ${fixed(row.cores.server, 2)}, load generator ${row.cores.client.toFixed(2)}` +
    (row.errors ? `, ${row.errors} errors (first: ${row.firstError})` : '') +
    (row.tokenCountMismatches
      ? `, ${row.tokenCountMismatches} token counts differ from the reference tokenizer's`
      : '')
  )
}
