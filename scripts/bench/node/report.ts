/**
 * What a run found, as a table for people and, as the last line printed, one JSON object for
 * scripts: the ratios the issue sets goals for, and every raw figure behind them. Every cell
 * and the ceiling were measured once per round; a figure is the median over rounds with the
 * lowest and highest round beside it, and a ratio is taken within each round (a contender
 * against the ceiling of the same round) before its spread is.
 */
import type { Provenance } from '../provenance.ts'
import { describeSpread, spreadOf, type Spread } from '../spread.ts'
import { fixed, table } from '../table.ts'
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

/** One contender at one client count in one round. */
export interface Row {
  contender: ContenderName
  clients: number
  round: number
  requests: number
  errors: number
  firstError: string | null
  seconds: number
  embeddingsPerSecond: number
  tokensPerSecond: number
  /** Over successful requests only; failures are `errors`. */
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
  rounds: number
  rows: Row[]
  /** One per round, in round order. */
  ceilings: CeilingResult[]
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

/** One contender at one client count, over its rounds. */
export interface Cell {
  contender: ContenderName
  clients: number
  requests: number
  errors: number
  firstError: string | null
  tokensPerSecond: Spread | null
  embeddingsPerSecond: Spread | null
  p50Ms: Spread | null
  p99Ms: Spread | null
  gflops: Spread | null
  tokenCountMismatches: number
  serverCores: Spread | null
  loadGeneratorCores: Spread | null
}

export interface Ratios {
  clients: number
  /** a/d in tokens/s at the highest client count, d from the same round. */
  vs_ceiling: Spread | null
  /** a/b in tokens/s at the highest client count. */
  vs_naive: Spread | null
  /** a/c in tokens/s at the highest client count; null when (c) could not run. */
  vs_transformers_js: Spread | null
  /** p50 latency of (a) over (b) with one client. */
  latency_1_client_vs_naive: Spread | null
  /**
   * d/b: the largest a/b any server could show on this machine, since no server outruns the
   * bare session on pre-tokenized input.
   */
  vs_naive_bound: Spread | null
}

/** Largest |component difference| from the node's vectors that float32 noise explains. */
export const SAME_VECTORS = 1e-4

export const GOALS = { vs_ceiling: 0.85, vs_naive: 4, latency_1_client_vs_naive: 1.2 }

function cellsOf(report: ModelReport): Cell[] {
  const cells: Cell[] = []
  const seen = new Set<string>()
  for (const { contender, clients } of report.rows) {
    const key = `${contender} ${clients}`
    if (seen.has(key)) continue
    seen.add(key)
    const rows = report.rows.filter((r) => r.contender === contender && r.clients === clients)
    const over = (figure: (row: Row) => number | null) =>
      spreadOf(rows.map((row) => figure(row) ?? NaN))
    cells.push({
      contender,
      clients,
      requests: rows.reduce((sum, row) => sum + row.requests, 0),
      errors: rows.reduce((sum, row) => sum + row.errors, 0),
      firstError: rows.find((row) => row.firstError)?.firstError ?? null,
      tokensPerSecond: over((row) => row.tokensPerSecond),
      embeddingsPerSecond: over((row) => row.embeddingsPerSecond),
      p50Ms: over((row) => row.p50Ms),
      p99Ms: over((row) => row.p99Ms),
      gflops: over((row) => row.gflops),
      tokenCountMismatches: rows.reduce((sum, row) => sum + row.tokenCountMismatches, 0),
      serverCores: over((row) => row.cores.server),
      loadGeneratorCores: over((row) => row.cores.client),
    })
  }
  return cells
}

/** The ceiling's best tokens/s (over batch sizes) in each round. */
function ceilingSpread(report: ModelReport): Spread | null {
  return spreadOf(report.ceilings.map((ceiling) => ceiling.best.tokensPerSecond))
}

export function ratiosOf(report: ModelReport, clients: number): Ratios {
  /** a figure of one row over another's, in each round both were measured. */
  const perRound = (
    numerator: (round: number) => number | undefined,
    denominator: (round: number) => number | undefined,
  ) =>
    spreadOf(
      Array.from({ length: report.rounds }, (_, round) => {
        const a = numerator(round)
        const b = denominator(round)
        return a !== undefined && b !== undefined && b > 0 ? a / b : NaN
      }),
    )
  const row = (contender: ContenderName, at: number) => (round: number) =>
    report.rows.find((r) => r.contender === contender && r.clients === at && r.round === round)
  const tokens = (contender: ContenderName) => (round: number) =>
    row(contender, clients)(round)?.tokensPerSecond
  const ceiling = (round: number) => report.ceilings[round]?.best.tokensPerSecond
  return {
    clients,
    vs_ceiling: perRound(tokens('node'), ceiling),
    vs_naive: perRound(tokens('node'), tokens('naive')),
    vs_transformers_js: perRound(tokens('node'), tokens('transformers.js')),
    latency_1_client_vs_naive: perRound(
      (round) => row('node', 1)(round)?.p50Ms,
      (round) => row('naive', 1)(round)?.p50Ms,
    ),
    vs_naive_bound: perRound(ceiling, tokens('naive')),
  }
}

export function printTable(report: ModelReport, ratios: Ratios): void {
  const withFlops = report.matmul !== null
  const overhead = report.monitorOverhead
  if (overhead)
    console.log(
      `\nvector monitoring: ${(overhead.monitorSeconds * 1000).toFixed(1)} ms over ${overhead.inferenceSeconds.toFixed(1)} s of batch inference = ${(overhead.share * 100).toFixed(3)}% (goal ≤ 2%)`,
    )
  console.log(
    `\n${report.model} (${report.dimensions}-d, at most ${report.maxInputTokens} tokens; ` +
      `texts average ${report.meanTokensPerText.toFixed(1)} tokens); ${report.rounds} rounds; ${report.bounds}`,
  )
  console.log(
    `figures: median over rounds (lowest–highest round); percentiles over successful requests, failures under errors`,
  )
  const cells = cellsOf(report)
  const bestSizes = [...new Set(report.ceilings.map((c) => c.best.batchSize))].join('/')
  // The ceiling's row has only its throughput: it is no server and has no clients.
  const rows = [
    ...cells.map((cell) => ({
      label: LABELS[cell.contender],
      cell,
      tokensPerSecond: cell.tokensPerSecond,
      gflops: cell.gflops,
    })),
    {
      label: `(d) ceiling, batch ${bestSizes}`,
      cell: null,
      tokensPerSecond: ceilingSpread(report),
      gflops: spreadOf(report.ceilings.map((c) => c.best.gflops ?? NaN)),
    },
  ]
  console.log(
    table(rows, {
      contender: (r) => r.label,
      clients: (r) => r.cell?.clients,
      requests: (r) => r.cell?.requests,
      errors: (r) => r.cell?.errors,
      'tokens/s': (r) => describeSpread(r.tokensPerSecond, 0),
      'p50 ms': (r) => r.cell && describeSpread(r.cell.p50Ms, 1),
      'p99 ms': (r) => r.cell && describeSpread(r.cell.p99Ms, 1),
      'GFLOP/s': withFlops && ((r) => describeSpread(r.gflops, 1)),
      'srv cores': (r) => r.cell && fixed(r.cell.serverCores?.median, 2),
      'gen cores': (r) => r.cell && fixed(r.cell.loadGeneratorCores?.median, 2),
    }),
  )
  for (const cell of cells)
    if (cell.firstError)
      console.log(`first error of ${LABELS[cell.contender]} × ${cell.clients}: ${cell.firstError}`)
  if (report.transformersError)
    console.log(`${LABELS['transformers.js']} cannot serve this model: ${report.transformersError}`)
  if (report.matmul) {
    const peak = report.matmul.best
    console.log(
      `plain MatMul [${peak.m}×${peak.k}]·[${peak.k}×${peak.n}], measured once: ${fixed(peak.gflops, 1)} GFLOP/s`,
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
    `at ${ratios.clients} clients, per round then over rounds: a/d ${describeSpread(ratios.vs_ceiling)}, ` +
      `a/b ${describeSpread(ratios.vs_naive)}, a/c ${describeSpread(ratios.vs_transformers_js)}; ` +
      `1-client p50 a/b ${describeSpread(ratios.latency_1_client_vs_naive)}`,
  )
  console.log(
    `d/b ${describeSpread(ratios.vs_naive_bound)}: the most a/b any server could reach here (none outruns ` +
      `the bare session); srv/gen cores: what the server and the load generator used of the ` +
      `${CORES} cores, all of which the ceiling had to itself`,
  )
}

/** The last line of the run: one JSON object. */
export function summaryJson(
  primary: { report: ModelReport; ratios: Ratios },
  large: { report: ModelReport; ratios: Ratios } | null,
  settings: object,
  stamp: Provenance,
  /** The simulated-device section's `sim_*` fields (simulated.ts), or none when it was skipped. */
  simulated: object = {},
): string {
  const median = (value: Spread | null) => value?.median ?? null
  const met = (value: Spread | null, goal: number, atMost = false) =>
    value === null ? null : atMost ? value.median <= goal : value.median >= goal
  const { ratios } = primary
  const modelJson = ({ report, ratios }: { report: ModelReport; ratios: Ratios }) => ({
    rounds: report.rounds,
    ratios,
    transformers_js_error: report.transformersError,
    mean_tokens_per_text: report.meanTokensPerText,
    vector_max_abs_difference_vs_node: report.vectorDifference,
    monitor_overhead: report.monitorOverhead,
    cells: cellsOf(report).map((c) => ({
      contender: c.contender,
      clients: c.clients,
      requests: c.requests,
      errors: c.errors,
      tokens_per_s: c.tokensPerSecond,
      embeddings_per_s: c.embeddingsPerSecond,
      p50_ms: c.p50Ms,
      p99_ms: c.p99Ms,
      gflops: c.gflops,
      token_count_mismatches: c.tokenCountMismatches,
      server_cores: c.serverCores,
      load_generator_cores: c.loadGeneratorCores,
    })),
    ceiling_tokens_per_s: ceilingSpread(report),
    ceiling: report.ceilings.map((ceiling, round) => ({
      round,
      best_batch_size: ceiling.best.batchSize,
      points: ceiling.points.map((p) => ({
        batch_size: p.batchSize,
        runs: p.runs,
        tokens_per_s: p.tokensPerSecond,
        embeddings_per_s: p.embeddingsPerSecond,
        padding: 1 - p.tokens / p.paddedTokens,
        gflops: p.gflops,
      })),
    })),
    ...(report.matmul ? { matmul_peak: report.matmul.points } : {}),
  })
  const largeNode = large
    ? cellsOf(large.report).find(
        (c) => c.contender === 'node' && c.clients === large.ratios.clients,
      )
    : undefined
  return JSON.stringify({
    provenance: stamp,
    model: primary.report.model,
    clients: ratios.clients,
    vs_ceiling: median(ratios.vs_ceiling),
    vs_naive: median(ratios.vs_naive),
    vs_transformers_js: median(ratios.vs_transformers_js),
    latency_1_client_vs_naive: median(ratios.latency_1_client_vs_naive),
    vs_naive_bound: median(ratios.vs_naive_bound),
    spreads: {
      vs_ceiling: ratios.vs_ceiling,
      vs_naive: ratios.vs_naive,
      vs_transformers_js: ratios.vs_transformers_js,
      latency_1_client_vs_naive: ratios.latency_1_client_vs_naive,
      vs_naive_bound: ratios.vs_naive_bound,
      ceiling_tokens_per_s: ceilingSpread(primary.report),
    },
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
    ...simulated,
    ...(large
      ? {
          large_model: large.report.model,
          large_gflops_node: median(largeNode?.gflops ?? null),
          large_gflops_ceiling: median(
            spreadOf(large.report.ceilings.map((c) => c.best.gflops ?? NaN)),
          ),
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
