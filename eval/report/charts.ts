/**
 * The report's pictures as SVG, drawn by Vega-Lite (compiled to Vega, rendered headless with
 * the `none` renderer: no browser, no canvas): the instruction PCA scatter, the Matryoshka
 * curve, and per-language bars. Each picture's subtitle says when and at which commit it was
 * measured, so a copy in the docs still says where it came from.
 */
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import { describeProvenance } from '../../scripts/bench/provenance.ts'
import type { EvalReport, TargetReport } from './report-types.ts'

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  return view.toSVG()
}

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  width: 420,
  height: 260,
} as const

export function pcaChart(reports: TargetReport[], subtitle: string): Promise<string> {
  return svg({
    ...base,
    title: { text: 'The same texts under four instructions (2-D PCA, Qwen3 form)', subtitle },
    data: {
      values: reports.flatMap((r) =>
        r.checks.instructions.pca.map((p) => ({ ...p, target: r.target.label })),
      ),
    },
    mark: { type: 'point', filled: true, size: 60, opacity: 0.8 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'PC 1' },
      y: { field: 'y', type: 'quantitative', title: 'PC 2' },
      color: { field: 'instruction', type: 'nominal' },
      ...(reports.length > 1 ? { column: { field: 'target', type: 'nominal' } } : {}),
    },
  } as TopLevelSpec)
}

export function matryoshkaChart(reports: TargetReport[], subtitle: string): Promise<string> {
  return svg({
    ...base,
    title: { text: 'Matryoshka: share of full-size retrieval quality kept', subtitle },
    data: {
      values: reports.flatMap((r) =>
        r.checks.matryoshka.points.map((p) => ({ ...p, target: r.target.label })),
      ),
    },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'dimensions',
        type: 'quantitative',
        scale: { type: 'log', base: 2 },
        title: 'dimensions',
      },
      y: {
        field: 'kept',
        type: 'quantitative',
        title: 'MRR@10 kept (full = 1)',
        scale: { domain: [0, 1.1] },
      },
      color: { field: 'target', type: 'nominal' },
    },
  } as TopLevelSpec)
}

export function languageChart(reports: TargetReport[], subtitle: string): Promise<string> {
  const values = reports.flatMap((r) => [
    ...Object.entries(r.checks.similarity.languages).map(([language, l]) => ({
      target: r.target.label,
      check: 'similarity (Spearman)',
      language,
      value: l.spearman,
    })),
    ...Object.entries(r.checks.crossLingual.accuracy).map(([language, value]) => ({
      target: r.target.label,
      check: 'cross-lingual (top-1 accuracy)',
      language,
      value,
    })),
  ])
  return svg({
    $schema: base.$schema,
    title: { text: 'Per language', subtitle },
    data: { values },
    facet: { row: { field: 'check', type: 'nominal', title: null } },
    spec: {
      width: { step: 36 },
      height: 140,
      mark: 'bar',
      encoding: {
        x: { field: 'language', type: 'nominal', sort: null },
        y: { field: 'value', type: 'quantitative', scale: { domain: [-0.4, 1] } },
        xOffset: { field: 'target', type: 'nominal' },
        color: { field: 'target', type: 'nominal' },
      },
    },
    resolve: { scale: { x: 'independent' } },
  } as TopLevelSpec)
}

export interface ReportCharts {
  pca: string
  matryoshka: string
  languages: string
}

export async function reportCharts(report: EvalReport): Promise<ReportCharts> {
  const subtitle = `measured ${describeProvenance(report.provenance)}`
  const [pca, matryoshka, languages] = await Promise.all([
    pcaChart(report.targets, subtitle),
    matryoshkaChart(report.targets, subtitle),
    languageChart(report.targets, subtitle),
  ])
  return { pca, matryoshka, languages }
}
