/**
 * What the chaos run counts, from the outcomes alone: each goal is a count a
 * tenant would call a failure, and every one should be 0. Printed as a table,
 * then as one JSON line.
 */
import { describeProvenance, provenance, type Provenance } from '../bench/provenance.ts'
import type { Answer } from './client.ts'
import type { VectorVerdict } from './verify.ts'

export interface Outcome extends Answer {
  kind: 'seed' | 'mixed' | 'probe' | 'bad' | 'big' | 'after-big' | 'limited' | 'revoked'
  tenant: string
  texts: string[]
  dimensions?: number
  /** Every input had been answered for this tenant before: the cache alone can answer it. */
  wasHit: boolean
  /** For bad requests: which one. */
  name?: string
}

export interface ChaosReport {
  provenance: Provenance
  requests: number
  byStatus: Record<string, number>
  goals: Record<string, number>
  figures: Record<string, number | string | null>
  examples: Record<string, string[]>
  goalsMet: boolean
}

const failed = (o: Outcome) => o.status === 0 || o.status >= 500
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN
}

export function tally(
  outcomes: Outcome[],
  events: Record<string, number>,
  vectors: VectorVerdict,
  options: { rateLimit: number; vectorCountWrong: number },
): ChaosReport {
  const byStatus: Record<string, number> = {}
  for (const o of outcomes)
    byStatus[o.status || 'network error'] = (byStatus[o.status || 'network error'] ?? 0) + 1
  const during = (o: Outcome, from?: number, to?: number) =>
    from !== undefined && to !== undefined && o.doneAt >= from && o.sentAt <= to
  const served = ['mixed', 'probe', 'revoked', 'seed']
  const hitFailures = outcomes.filter(
    (o) => o.wasHit && served.includes(o.kind) && failed(o) && o.status !== 401,
  )
  const drainDrops = outcomes.filter(
    (o) =>
      (o.kind === 'mixed' || o.kind === 'probe') &&
      failed(o) &&
      during(o, events.sigtermAt, (events.bExitedAt ?? events.sigtermAt) + 2000),
  )
  const limitedAdmitted = outcomes.filter((o) => o.kind === 'limited' && o.status === 200).length
  const afterRevocation = outcomes.filter(
    (o) =>
      o.kind === 'revoked' &&
      o.status === 200 &&
      events.revokedAt !== undefined &&
      o.sentAt > events.revokedAt + 1000,
  )
  const badFailures = outcomes.filter((o) => o.kind === 'bad' && (failed(o) || o.status < 400))
  const big = outcomes.filter((o) => o.kind === 'big')
  const afterBig = outcomes.filter((o) => o.kind === 'after-big')
  const quiet = outcomes.filter((o) => o.kind === 'probe' && o.status === 200)
  const quietMs = median(quiet.map((o) => o.doneAt - o.sentAt))
  const afterBigMs = median(afterBig.map((o) => o.doneAt - o.sentAt))
  const killWindow = outcomes.filter(
    (o) => o.kind === 'mixed' && failed(o) && during(o, events.killedAt, events.restartedAAt),
  )

  const goals = {
    '5xx on cacheable hits': hitFailures.length,
    'wrong or mixed-up vectors': vectors.wrong - vectors.crossed + options.vectorCountWrong,
    'answers that crossed tenants': vectors.crossed,
    'admitted over a tenant limit': Math.max(0, limitedAdmitted - options.rateLimit),
    'dropped by the SIGTERM drain': drainDrops.length,
    'served after revocation + 1 s': afterRevocation.length,
    'bad inputs not answered 4xx': badFailures.length,
  }
  return {
    requests: outcomes.length,
    byStatus,
    goals,
    figures: {
      'vectors checked': vectors.checked,
      'rate-limited tenant: admitted / sent': `${limitedAdmitted} / ${outcomes.filter((o) => o.kind === 'limited').length}`,
      'misses failed while node a was down (retried elsewhere, else 503)': killWindow.length,
      'big request (12 MB text): status': big.map((o) => o.status).join(', '),
      'big request: ms (each)': big.map((o) => Math.round(o.doneAt - o.sentAt)).join(', '),
      'small request right after it: median ms': Math.round(afterBigMs),
      'small request under the same load, alone: median ms': Math.round(quietMs),
      'their ratio': Number((afterBigMs / quietMs).toFixed(2)),
    },
    examples: {
      'hit failures': hitFailures
        .slice(0, 5)
        .map((o) => `${o.kind} ${o.tenant}: ${o.status} ${o.code}`),
      'drain drops': drainDrops
        .slice(0, 5)
        .map((o) => `${o.kind} ${o.tenant}: ${o.status} ${o.code}`),
      'bad inputs': badFailures.slice(0, 5).map((o) => `${o.name}: ${o.status} ${o.code}`),
      vectors: vectors.examples,
    },
    goalsMet: Object.values(goals).every((count) => count === 0),
    provenance: provenance(),
  }
}

export function printReport(report: ChaosReport): void {
  const rows: [string, string, string][] = [
    ...Object.entries(report.goals).map(([name, count]): [string, string, string] => [
      name,
      String(count),
      count === 0 ? 'met (0)' : 'MISSED (goal 0)',
    ]),
    ...Object.entries(report.figures).map(([name, value]): [string, string, string] => [
      name,
      String(value),
      '',
    ]),
  ]
  const width = Math.max(...rows.map(([name]) => name.length))
  console.log(`\nmeasured ${describeProvenance(report.provenance)}`)
  console.log(`requests: ${report.requests}; by status: ${JSON.stringify(report.byStatus)}`)
  console.log(
    '(two nodes, the edge and this load generator share the 2 cores: latencies are relative)',
  )
  for (const [name, value, goal] of rows)
    console.log(`${name.padEnd(width)}  ${value.padStart(12)}  ${goal}`)
  for (const [name, lines] of Object.entries(report.examples))
    if (lines.length > 0) console.log(`${name}:\n  ${lines.join('\n  ')}`)
  console.log(
    JSON.stringify({
      provenance: report.provenance,
      chaos: {
        requests: report.requests,
        by_status: report.byStatus,
        goals: report.goals,
        figures: report.figures,
        goals_met: report.goalsMet,
      },
    }),
  )
}
