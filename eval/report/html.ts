/** report.html: one self-contained page (the SVGs inline) with the pictures and every figure. */
import { describeProvenance } from '../../scripts/bench/provenance.ts'
import type { ReportCharts } from './charts.ts'
import type { EvalReport, TargetReport } from './report-types.ts'

const escape = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
const fixed = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits)
const verdict = (passed: boolean) =>
  passed ? '<b class="pass">pass</b>' : '<b class="fail">fail</b>'

function table(reports: TargetReport[]): string {
  const row = (name: string, cell: (r: TargetReport) => string) =>
    `<tr><th>${name}</th>${reports.map((r) => `<td>${cell(r)}</td>`).join('')}</tr>`
  const c = (r: TargetReport) => r.checks
  const languages = Object.keys(reports[0].checks.similarity.languages)
  const crossLanguages = Object.keys(reports[0].checks.crossLingual.accuracy)
  return `<table>
<tr><th></th>${reports.map((r) => `<th>${escape(r.target.label)}<br><small>${escape(r.target.model)}</small></th>`).join('')}</tr>
${row('similarity', (r) => verdict(c(r).similarity.passed))}
${languages.map((l) => row(`&nbsp; ${l}: Spearman / margin`, (r) => `${fixed(c(r).similarity.languages[l]?.spearman)} / ${fixed(c(r).similarity.languages[l]?.margin)}`)).join('\n')}
${row('cross-lingual', (r) => verdict(c(r).crossLingual.passed))}
${crossLanguages.map((l) => row(`&nbsp; ${l}: top-1 accuracy`, (r) => fixed(c(r).crossLingual.accuracy[l], 2))).join('\n')}
${row('&nbsp; mean cosine, pairs / non-pairs', (r) => `${fixed(c(r).crossLingual.mean_cosine.pairs)} / ${fixed(c(r).crossLingual.mean_cosine.non_pairs)}`)}
${row('instruction influence', (r) => verdict(c(r).instructions.passed))}
${row('&nbsp; mean shift, qwen3 / represent form', (r) => `${fixed(c(r).instructions.mean_shift.qwen3, 4)} / ${fixed(c(r).instructions.mean_shift.represent, 4)}`)}
${row('&nbsp; MRR@10 matching / mismatched / none', (r) => `${fixed(c(r).instructions.mrr_at_10.matching)} / ${fixed(c(r).instructions.mrr_at_10.mismatched)} / ${fixed(c(r).instructions.mrr_at_10.none)}`)}
${row('Matryoshka', (r) => verdict(c(r).matryoshka.passed))}
${row('&nbsp; kept at each size', (r) =>
  c(r)
    .matryoshka.points.map((p) => `${p.dimensions}: ${fixed(p.kept, 2)}`)
    .join(', '),
)}
${row('sanity', (r) => verdict(c(r).sanity.passed))}
${row('&nbsp; norm error / deterministic / batch diff / base64', (r) => `${c(r).sanity.max_norm_error.toExponential(1)} / ${c(r).sanity.deterministic} / ${c(r).sanity.max_batch_difference.toExponential(1)} / ${c(r).sanity.base64_matches_float}`)}
${row('texts embedded, seconds', (r) => `${r.texts_embedded}, ${fixed(r.seconds, 1)}`)}
</table>`
}

export function reportHtml(
  report: EvalReport,
  { pca, matryoshka, languages }: ReportCharts,
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Embedding quality report</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}.pass{color:#1a7f37}.fail{color:#cf222e}figure{margin:1.5em 0}</style>
</head><body>
<h1>Embedding quality report</h1>
<p>Measured ${escape(describeProvenance(report.provenance))}. How to read it: docs/quality.md in the project.</p>
${table(report.targets)}
<figure>${pca}<figcaption>Each point is one text under one instruction. An instruction-aware model separates the colours; a model that ignores instructions puts them on top of each other.</figcaption></figure>
<figure>${matryoshka}<figcaption>Retrieval quality kept when the vector is cut to its first <i>d</i> components and renormalized.</figcaption></figure>
<figure>${languages}<figcaption>Similarity (Spearman between cosine and grade) and cross-lingual retrieval accuracy, per language.</figcaption></figure>
</body></html>
`
}
