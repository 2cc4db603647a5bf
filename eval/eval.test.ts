/**
 * `npm run eval` against the service `npm start` runs (the default model, English-only
 * Universal Sentence Encoder lite): English similarity passes, the cross-lingual check fails
 * as it must for an English-only model, the report has its structure and pictures, and a bad
 * endpoint, key or model is one line and exit 1.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { REPO_ROOT } from '../gpu-node/config.ts'
import type { EvalReport } from './report/report-types.ts'
import { runEval, summaryOf } from './run-eval.ts'

let outDir: string
let report: EvalReport

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'eval-test-'))
  report = await runEval({
    targets: [
      {
        label: 'local service',
        baseUrl: `${inject('edgeUrl')}/v1`,
        apiKey: inject('devKey'),
        model: 'use-lite-en',
      },
    ],
    outDir,
  })
}, 240_000)
afterAll(() => rm(outDir, { recursive: true, force: true }))

describe('npm run eval on the default model', () => {
  it('passes English similarity and fails Chinese, which the model cannot read', () => {
    const { languages } = report.targets[0].checks.similarity
    expect(languages.en.passed).toBe(true)
    expect(languages.en.spearman).toBeGreaterThan(0.5)
    expect(languages.zh.passed).toBe(false)
  })

  it('fails the cross-lingual check, honestly: the model is English-only', () => {
    const check = report.targets[0].checks.crossLingual
    expect(check.passed).toBe(false)
    expect(Object.keys(check.accuracy).sort()).toEqual([
      'ar',
      'de',
      'es',
      'fr',
      'hi',
      'ja',
      'ko',
      'pt',
      'ru',
      'vi',
      'zh',
    ])
    expect(check.mean_cosine.pairs).toBeGreaterThan(check.mean_cosine.non_pairs)
  })

  it('passes sanity: unit norm, determinism, batch invariance, base64 = float', () => {
    expect(report.targets[0].checks.sanity).toMatchObject({
      deterministic: true,
      base64_matches_float: true,
      passed: true,
    })
  })

  it('writes report.json with every check, and report.html with its three pictures', async () => {
    const saved = JSON.parse(await readFile(path.join(outDir, 'report.json'), 'utf8')) as EvalReport
    const [target] = saved.targets
    expect(target.dimensions).toBe(512)
    expect(Object.keys(target.checks).sort()).toEqual([
      'crossLingual',
      'instructions',
      'matryoshka',
      'sanity',
      'similarity',
    ])
    expect(target.checks.matryoshka.points.map((p) => p.dimensions)).toEqual([
      32, 64, 128, 256, 512,
    ])
    expect(target.checks.instructions.pca).toHaveLength(4 * 24)
    const html = await readFile(path.join(outDir, 'report.html'), 'utf8')
    expect(html.match(/<svg/g)).toHaveLength(3)
    expect(html).toContain('Matryoshka')
    expect(summaryOf(saved, outDir).targets[0]).toMatchObject({
      model: 'use-lite-en',
      cross_lingual: { passed: false },
    })
    // Every figure names the commit it came from, in the report, its summary and its pictures.
    let head = 'unknown' // outside a git checkout
    try {
      head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    } catch {}
    expect(saved.provenance.commit).toBe(head)
    expect(summaryOf(saved, outDir).provenance).toEqual(saved.provenance)
    expect(html).toContain(`commit ${head}`)
  })
})

describe('npm run eval --compare', () => {
  it('puts a second endpoint beside the first in one report', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'eval-compare-'))
    try {
      const target = (label: string) => ({
        label,
        baseUrl: `${inject('edgeUrl')}/v1`,
        apiKey: inject('devKey'),
        model: 'use-lite-en',
      })
      const compared = await runEval({ targets: [target('first'), target('second')], outDir: dir })
      expect(compared.targets.map((t) => t.target.label)).toEqual(['first', 'second'])
      // The same endpoint twice: the same verdicts and figures side by side.
      expect(compared.targets[1].checks.similarity).toEqual(compared.targets[0].checks.similarity)
      const html = await readFile(path.join(dir, 'report.html'), 'utf8')
      expect(html).toContain('<th>first<br>')
      expect(html).toContain('<th>second<br>')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 240_000)
})

describe('npm run eval against a bad endpoint', () => {
  const run = async (...args: string[]) => {
    try {
      await promisify(execFile)(process.execPath, [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'eval', 'main.ts'),
        ...args,
      ])
      return { code: 0, stderr: '' }
    } catch (err) {
      const failed = err as { code: number; stderr: string }
      return { code: failed.code, stderr: failed.stderr }
    }
  }
  const lines = (text: string) => text.trim().split('\n')

  it.each([
    [
      'an unreachable endpoint',
      ['--base-url', 'http://127.0.0.1:9/v1', '--model', 'm'],
      /cannot reach/,
    ],
    [
      'a wrong key',
      ['--base-url', `${inject('edgeUrl')}/v1`, '--api-key', 'sk-wrong', '--model', 'use-lite-en'],
      /refused the API key \(401\)/,
    ],
    [
      'an unknown model',
      [
        '--base-url',
        `${inject('edgeUrl')}/v1`,
        '--api-key',
        inject('devKey'),
        '--model',
        'no-such-model',
      ],
      /does not serve the model|answered 4\d\d/,
    ],
  ])('says so in one line and exits 1 for %s', async (_, args, message) => {
    const { code, stderr } = await run(...args, '--out', path.join(tmpdir(), 'eval-bad'))
    expect(code).toBe(1)
    const errorLines = lines(stderr).filter(
      (line) => line.startsWith('[eval]') && !line.includes('{bar}'),
    )
    expect(errorLines.at(-1)).toMatch(message)
    expect(stderr).not.toMatch(/\n\s+at /) // no stack trace
  })
})
