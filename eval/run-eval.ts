/**
 * Runs every check against one or more endpoints and writes `report.json`, `report.html` and
 * its pictures (`pca.svg`, `matryoshka.svg`, `languages.svg`) into a folder, each stamped with
 * the date and commit it was measured at. The CLI (main.ts) and the tests call this.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { provenance, type Provenance } from '../scripts/bench/provenance.ts'
import { checkCrossLingual } from './checks/cross-lingual.ts'
import { checkInstructions } from './checks/instructions.ts'
import { checkMatryoshka } from './checks/matryoshka.ts'
import { checkSanity } from './checks/sanity.ts'
import { checkSimilarity } from './checks/similarity.ts'
import { EmbeddingClient, type Target } from './client.ts'
import { reportCharts } from './report/charts.ts'
import { reportHtml } from './report/html.ts'
import type { EvalReport, TargetReport } from './report/report-types.ts'

export interface EvalOptions {
  targets: Target[]
  outDir: string
  /** Called with each batch of texts embedded (the CLI's progress bar). */
  onProgress?: (texts: number) => void
  /** The stamp the CLI printed when it started; default: taken when the run starts. */
  provenance?: Provenance
}

/** One line of JSON: each target's verdicts and headline figures. */
export function summaryOf(report: EvalReport, outDir: string) {
  return {
    provenance: report.provenance,
    report: outDir,
    targets: report.targets.map(({ target, checks }) => ({
      label: target.label,
      model: target.model,
      similarity: {
        passed: checks.similarity.passed,
        spearman: Object.fromEntries(
          Object.entries(checks.similarity.languages).map(([l, v]) => [l, round(v.spearman)]),
        ),
        passed_languages: Object.entries(checks.similarity.languages)
          .filter(([, v]) => v.passed)
          .map(([l]) => l),
      },
      cross_lingual: {
        passed: checks.crossLingual.passed,
        mean_accuracy: round(mean(Object.values(checks.crossLingual.accuracy))),
      },
      instructions: {
        passed: checks.instructions.passed,
        mrr_at_10:
          checks.instructions.mrr_at_10.matching && round(checks.instructions.mrr_at_10.matching),
        mean_shift: round(checks.instructions.mean_shift.qwen3),
      },
      matryoshka: {
        passed: checks.matryoshka.passed,
        kept: Object.fromEntries(
          checks.matryoshka.points.map((p) => [p.dimensions, round(p.kept)]),
        ),
      },
      sanity: { passed: checks.sanity.passed },
    })),
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

export async function runEval(options: EvalOptions): Promise<EvalReport> {
  const stamp = options.provenance ?? provenance()
  const targets: TargetReport[] = []
  for (const target of options.targets) {
    const started = performance.now()
    const client = new EmbeddingClient(target, options.onProgress)
    // The full size, from one embedding: no endpoint-specific model listing needed.
    const [probe] = await client.embed(['How big are your vectors?'])
    targets.push({
      target: { label: target.label, baseUrl: target.baseUrl, model: target.model },
      dimensions: probe.length,
      checks: {
        similarity: await checkSimilarity(client),
        crossLingual: await checkCrossLingual(client),
        instructions: await checkInstructions(client),
        matryoshka: await checkMatryoshka(client, probe.length),
        sanity: await checkSanity(client),
      },
      texts_embedded: client.embedded,
      seconds: (performance.now() - started) / 1000,
    })
  }
  const report: EvalReport = { provenance: stamp, targets }
  await mkdir(options.outDir, { recursive: true })
  await writeFile(path.join(options.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`)
  const charts = await reportCharts(report)
  await writeFile(path.join(options.outDir, 'report.html'), reportHtml(report, charts))
  for (const [name, svg] of Object.entries(charts))
    await writeFile(path.join(options.outDir, `${name}.svg`), svg)
  return report
}

/** Texts one target's run embeds: the progress bar's total. */
export const TEXTS_PER_TARGET = 1 + 180 + 480 + 96 * 2 + 40 + 60 + 60 * 7 + 13
