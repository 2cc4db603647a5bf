/**
 * What a run found, as a table for people and, as the last line printed, one JSON object for
 * scripts: the ratios the issue sets goals for, and every raw figure behind them.
 */
import type { CeilingResult } from './ceiling.ts'
import type { CoresUsed } from './cpu-meter.ts'
import type { MatmulPeak } from './matmul-peak.ts'
import { CORES } from './settings.ts'

export type ContenderName = 'node' | 'naive' | 'transformers.js'

export const LABELS: Record<ContenderName, string> = {
  node: '(a) node',
  naive: '(b) naive',
  'transformers.js': '(c) transformers.js',
}

export interface Row {
  contender: ContenderName
  clients: number
  requests: number
  errors: number
  firstError: string | null
  seconds: number
  embeddingsPerSecond: number
  tokensPerSecond: number
  p50Ms: number
  p99Ms: number
  /** Model GFLOP/s (flops.ts), for the 0.6B-shaped model only. */
  gflops: number | null
  /** Responses whose token count differs from the node's tokenization rules. */
  tokenCountMismatches: number
  /** Cores the server and the load generator used during the cell. */
  cores: CoresUsed
}

export interface ModelReport {
  model: string
  dimensions: number
  maxInputTokens: number
  /** The bound on each cell, in words. */
  bounds: string
  rows: Row[]
  ceiling: CeilingResult
  matmul: MatmulPeak | null
  /** Why the transformers.js pipeline could not serve the model, or null if it did. */
  transformersError: string | null
  /** Largest |component difference| between a contender's vectors and the node's, on probe texts. */
  vectorDifference: Partial<Record<ContenderName, number>>
  meanTokensPerText: number
  /**
   * The node's vector monitoring time over its batch inference time, from its own /metrics
   * after every cell (te_vector_monitor_duration / te_batch_inference_duration_sum).
   */
  monitorOverhead: { monitorSeconds: number; inferenceSeconds: number; share: number } | null
}

export interface Ratios {
  clients: number
  /** a/d in tokens/s at the highest client count. */
  vs_ceiling: number | null
  /** a/b in tokens/s at the highest client count. */
  vs_naive: number | null
  /** a/c in tokens/s at the highest client count; null when (c) could not run. */
  vs_transformers_js: number | null
  /** p50 latency of (a) over (b) with one client. */
  latency_1_client_vs_naive: number | null
  /**
   * d/b: the largest a/b any server could show on this machine, since no server outruns the
   * bare session on pre-tokenized input.
   */
  vs_naive_bound: number | null
}

/** Largest |component difference| from the node's vectors that float32 noise explains. */
export const SAME_VECTORS = 1e-4

export const GOALS = { vs_ceiling: 0.85, vs_naive: 4, latency_1_client_vs_naive: 1.2 }

function find(report: ModelReport, contender: ContenderName, clients: number): Row | undefined {
  return report.rows.find((r) => r.contender === contender && r.clients === clients)
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? a / b : null

export function ratiosOf(report: ModelReport, clients: number): Ratios {
  const node = find(report, 'node', clients)
  return {
    clients,
    vs_ceiling: ratio(node?.tokensPerSecond, report.ceiling.best.tokensPerSecond),
    vs_naive: ratio(node?.tokensPerSecond, find(report, 'naive', clients)?.tokensPerSecond),
    vs_transformers_js: ratio(
      node?.tokensPerSecond,
      find(report, 'transformers.js', clients)?.tokensPerSecond,
    ),
    latency_1_client_vs_naive: ratio(
      find(report, 'node', 1)?.p50Ms,
      find(report, 'naive', 1)?.p50Ms,
    ),
    vs_naive_bound: ratio(
      report.ceiling.best.tokensPerSecond,
      find(report, 'naive', clients)?.tokensPerSecond,
    ),
  }
}

const num = (value: number | null | undefined, digits = 0, width = 9) =>
  (value === null || value === undefined || !Number.isFinite(value)
    ? '-'
    : value.toFixed(digits)
  ).padStart(width)
const show = (value: number | null, digits = 2) => (value === null ? 'n/a' : value.toFixed(digits))

export function printTable(report: ModelReport, ratios: Ratios): void {
  const withFlops = report.matmul !== null
  const overhead = report.monitorOverhead
  if (overhead)
    console.log(
      `\nvector monitoring: ${(overhead.monitorSeconds * 1000).toFixed(1)} ms over ${overhead.inferenceSeconds.toFixed(1)} s of batch inference = ${(overhead.share * 100).toFixed(3)}% (goal ≤ 2%)`,
    )
  console.log(
    `\n${report.model} (${report.dimensions}-d, at most ${report.maxInputTokens} tokens; ` +
      `texts average ${report.meanTokensPerText.toFixed(1)} tokens); ${report.bounds}`,
  )
  console.log(
    `${'contender'.padEnd(22)}${'clients'.padStart(8)}${'requests'.padStart(9)}${'errors'.padStart(7)}` +
      `${'emb/s'.padStart(9)}${'tokens/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}` +
      (withFlops ? 'GFLOP/s'.padStart(9) : '') +
      'srv cores'.padStart(10) +
      'gen cores'.padStart(10),
  )
  for (const row of report.rows) {
    console.log(
      `${LABELS[row.contender].padEnd(22)}${num(row.clients, 0, 8)}${num(row.requests)}${num(row.errors, 0, 7)}` +
        `${num(row.embeddingsPerSecond, 1)}${num(row.tokensPerSecond, 0, 10)}${num(row.p50Ms, 1)}${num(row.p99Ms, 1)}` +
        (withFlops ? num(row.gflops, 1) : '') +
        num(row.cores.server, 2, 10) +
        num(row.cores.client, 2, 10),
    )
    if (row.firstError) console.log(`${''.padEnd(22)}first error: ${row.firstError}`)
  }
  if (report.transformersError)
    console.log(
      `${LABELS['transformers.js'].padEnd(22)}cannot serve this model: ${report.transformersError}`,
    )
  const best = report.ceiling.best
  console.log(
    `${`(d) ceiling, batch ${best.batchSize}`.padEnd(22)}${'-'.padStart(8)}${'-'.padStart(9)}${'-'.padStart(7)}` +
      `${num(best.embeddingsPerSecond, 1)}${num(best.tokensPerSecond, 0, 10)}${'-'.padStart(9)}${'-'.padStart(9)}` +
      (withFlops ? num(best.gflops, 1) : ''),
  )
  if (report.matmul) {
    const peak = report.matmul.best
    console.log(
      // Everything but the last column is label: the GFLOP/s lines up with the rows above.
      `${`plain MatMul [${peak.m}×${peak.k}]·[${peak.k}×${peak.n}]`.padEnd(83)}${num(peak.gflops, 1)}`,
    )
  }
  const differences = Object.entries(report.vectorDifference)
    .filter(([name]) => name !== 'node')
    .map(
      ([name, diff]) =>
        `${name} ${diff!.toExponential(1)}${diff! > SAME_VECTORS ? ' (NOT the same vectors)' : ''}`,
    )
  if (differences.length > 0)
    console.log(
      `vectors vs the node's on probe texts, largest |difference|: ${differences.join(', ')}`,
    )
  console.log(
    `at ${ratios.clients} clients: a/d ${show(ratios.vs_ceiling)}, a/b ${show(ratios.vs_naive)}, ` +
      `a/c ${show(ratios.vs_transformers_js)}; 1-client p50 a/b ${show(ratios.latency_1_client_vs_naive)}`,
  )
  console.log(
    `d/b ${show(ratios.vs_naive_bound)}: the most a/b any server could reach here (none outruns ` +
      `the bare session); srv/gen cores: what the server and the load generator used of the ` +
      `${CORES} cores, all of which the ceiling had to itself`,
  )
}

/** The last line of the run: one JSON object. */
export function summaryJson(
  primary: { report: ModelReport; ratios: Ratios },
  large: { report: ModelReport; ratios: Ratios } | null,
  settings: object,
): string {
  const met = (value: number | null, goal: number, atMost = false) =>
    value === null ? null : atMost ? value <= goal : value >= goal
  const { ratios } = primary
  const modelJson = ({ report, ratios }: { report: ModelReport; ratios: Ratios }) => ({
    ratios,
    transformers_js_error: report.transformersError,
    mean_tokens_per_text: report.meanTokensPerText,
    vector_max_abs_difference_vs_node: report.vectorDifference,
    monitor_overhead: report.monitorOverhead,
    rows: report.rows.map((r) => ({
      contender: r.contender,
      clients: r.clients,
      requests: r.requests,
      errors: r.errors,
      seconds: r.seconds,
      embeddings_per_s: r.embeddingsPerSecond,
      tokens_per_s: r.tokensPerSecond,
      p50_ms: r.p50Ms,
      p99_ms: r.p99Ms,
      gflops: r.gflops,
      token_count_mismatches: r.tokenCountMismatches,
      server_cores: r.cores.server,
      load_generator_cores: r.cores.client,
    })),
    ceiling: report.ceiling.points.map((p) => ({
      batch_size: p.batchSize,
      runs: p.runs,
      tokens_per_s: p.tokensPerSecond,
      embeddings_per_s: p.embeddingsPerSecond,
      padding: 1 - p.tokens / p.paddedTokens,
      gflops: p.gflops,
    })),
    ...(report.matmul ? { matmul_peak: report.matmul.points } : {}),
  })
  return JSON.stringify({
    model: primary.report.model,
    clients: ratios.clients,
    vs_ceiling: ratios.vs_ceiling,
    vs_naive: ratios.vs_naive,
    vs_transformers_js: ratios.vs_transformers_js,
    latency_1_client_vs_naive: ratios.latency_1_client_vs_naive,
    vs_naive_bound: ratios.vs_naive_bound,
    goals: GOALS,
    goals_met: {
      vs_ceiling: met(ratios.vs_ceiling, GOALS.vs_ceiling),
      vs_naive: met(ratios.vs_naive, GOALS.vs_naive),
      latency_1_client_vs_naive: met(
        ratios.latency_1_client_vs_naive,
        GOALS.latency_1_client_vs_naive,
        true,
      ),
    },
    transformers_js_error: primary.report.transformersError,
    ...(large
      ? {
          large_model: large.report.model,
          large_gflops_node: large.report.rows.find(
            (r) => r.contender === 'node' && r.clients === large.ratios.clients,
          )?.gflops,
          large_gflops_ceiling: large.report.ceiling.best.gflops,
          large_gflops_matmul_peak: large.report.matmul?.best.gflops,
        }
      : {}),
    models: {
      [primary.report.model]: modelJson(primary),
      ...(large ? { [large.report.model]: modelJson(large) } : {}),
    },
    settings,
  })
}
