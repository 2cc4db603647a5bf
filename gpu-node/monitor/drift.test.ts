/**
 * Drift monitoring as an operator meets it: a baseline taken on one node and
 * loaded on another (MONITOR_BASELINE), the probe figures, the state in
 * /info, /monitor and /metrics. Weights swapped under the same id and revision
 * turn the state `drifted`; the same weights on a restart, and fp16 against
 * fp32 of the same weights, stay `ok` under the default thresholds.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MONITOR_PATH } from '../../shared/node-protocol.ts'
import { ensureTinyQwen3 } from '../../scripts/tiny-qwen3/generate.ts'
import { DEFAULT_SEED } from '../../scripts/tiny-qwen3/config.ts'
import { qwen3Exports } from '../../test/support/qwen3-exports.ts'
import { monitorConfigFromEnv, REPO_ROOT } from '../config.ts'
import type { LoadedNode } from '../load-node.ts'
import { patchedModelFolder } from '../../test/support/node/patched-folder.ts'
import { postEmbed, signedGet, textsBody } from '../../scripts/dev/signed-request.ts'
import { startTestNode, type TestNodeOverrides } from '../../scripts/dev/node-in-process.ts'
import { BaselineSchema, loadProbes, type MonitorReport } from './drift-monitor.ts'

let workDir: string
let seedA: string
let exports: Awaited<ReturnType<typeof qwen3Exports<'onnx-community'>>>
const nodes: LoadedNode[] = []

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'drift-'))
  seedA = await ensureTinyQwen3(path.join(workDir, 'a'), { log: () => {} })
  exports = await qwen3Exports(['onnx-community'])
})
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.close()))
  await exports?.remove()
  await rm(workDir, { recursive: true, force: true })
})

async function serve(dir: string, overrides: TestNodeOverrides = {}) {
  const node = await startTestNode(dir, overrides)
  nodes.push(node)
  return node
}

async function saveBaseline(node: LoadedNode, name: string): Promise<string> {
  const file = path.join(workDir, `${name}.json`)
  await writeFile(file, JSON.stringify(await node.monitor.takeBaseline()))
  return file
}

const withBaseline = (file: string): TestNodeOverrides => ({
  monitor: monitorConfigFromEnv({ MONITOR_PROBE_INTERVAL_S: '0', MONITOR_BASELINE: file }),
})

async function monitorOf(node: LoadedNode): Promise<MonitorReport> {
  const response = await signedGet(node.app, MONITOR_PATH)
  expect(response.status).toBe(200)
  return (await response.json()) as MonitorReport
}

describe('drift monitoring', () => {
  it('takes a baseline of the shipped probe set at warm-up and reports ok', async () => {
    const node = await serve(seedA)
    const report = await monitorOf(node)
    expect(report).toMatchObject({ state: 'ok', baseline: { source: 'taken at warm-up' } })
    expect(report.figures!.probe_distance).toBe(0)
    const baseline = BaselineSchema.parse(
      JSON.parse(await readFile(await saveBaseline(node, 'a'), 'utf8')),
    )
    expect(baseline.probes).toEqual(loadProbes())
    expect(baseline.vectors).toHaveLength(baseline.probes.length)
  })

  it('stays ok on a restart with the same weights and the saved baseline', async () => {
    const first = await serve(seedA)
    const file = await saveBaseline(first, 'restart')
    const restarted = await serve(seedA, withBaseline(file))
    const report = await monitorOf(restarted)
    expect(report).toMatchObject({ state: 'ok', baseline: { source: file } })
    expect(report.figures!.probe_distance).toBeLessThan(1e-6)
  })

  it('turns drifted when other weights serve under the same id and revision', async () => {
    const original = await serve(seedA)
    const file = await saveBaseline(original, 'swap')
    // Another seed, with the manifest patched back to the first one's revision.
    const otherSeed = await ensureTinyQwen3(path.join(workDir, 'b'), {
      seed: DEFAULT_SEED + 1,
      log: () => {},
    })
    const { revision } = JSON.parse(await readFile(path.join(seedA, 'manifest.json'), 'utf8'))
    const swapped = await patchedModelFolder(otherSeed, { revision })
    try {
      const lines: string[] = []
      const node = await startTestNode(swapped.dir, withBaseline(file), {
        log: (line) => lines.push(line),
      })
      nodes.push(node)
      expect(node.manifest.revision).toBe(original.manifest.revision)
      const report = await monitorOf(node)
      expect(report.state).toBe('drifted')
      expect(report.figures!.probe_distance).toBeGreaterThan(report.thresholds.maxProbeDistance)
      expect(lines.join('\n')).toMatch(/vectors drifted from the baseline .*probe distance/)
      const info = (await (await signedGet(node.app, '/info')).json()) as { vectors: string }
      expect(info.vectors).toBe('drifted')
      const metrics = await (await signedGet(node.app, '/metrics')).text()
      expect(metrics).toMatch(/te_vector_drifted 1/)
      // Its answers say so, and its own cache keeps none of them: asked twice, computed twice.
      const ask = () => postEmbed(node.app, textsBody(node.manifest.id, ['drift: asked twice']))
      const [first, second] = [await ask(), await ask()]
      expect(first.headers.get('x-vectors')).toBe('drifted')
      expect(second.headers.get('x-node-cache')).toBe('miss')
      expect(metrics).toMatch(/te_vector_drift\{figure="probe_distance"\} [\d.]+/)
    } finally {
      await swapped.remove()
    }
  })

  it('stays ok for fp16 against an fp32 baseline of the same weights', async () => {
    const fp32 = await serve(exports.dirs['onnx-community'], { modelVariant: 'fp32' })
    const file = await saveBaseline(fp32, 'fp32')
    const fp16 = await serve(exports.dirs['onnx-community'], {
      modelVariant: 'fp16',
      ...withBaseline(file),
    })
    const report = await monitorOf(fp16)
    expect(report.state).toBe('ok')
    expect(report.baseline!.revision).toMatch(/\+fp32$/)
    expect(report.revision).toMatch(/\+fp16$/)
    // Far under the default threshold of 0.02, yet not zero: the weights are not the same bits.
    expect(report.figures!.probe_distance).toBeLessThan(1e-4)
    expect(report.figures!.probe_distance).toBeGreaterThan(0)
  })

  it('npm run monitor:baseline saves a baseline a node then loads', async () => {
    const file = path.join(workDir, 'cli.json')
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'monitor-baseline.ts'), '--out', file],
      {
        env: {
          ...process.env,
          MODEL_DIR: seedA,
          EXECUTION_PROVIDERS: 'cpu',
          INTRA_OP_THREADS: '1',
        },
      },
    )
    expect(stdout).toMatch(/wrote the baseline of 32 probes for qwen3-tiny@/)
    const node = await serve(seedA, withBaseline(file))
    expect(await monitorOf(node)).toMatchObject({
      state: 'ok',
      baseline: { source: file, sessions: ['cpu'] },
    })
  })

  it('refuses a baseline file that lacks a vector per probe, naming the problem', async () => {
    const file = path.join(workDir, 'truncated.json')
    const good = JSON.parse(await readFile(await saveBaseline(await serve(seedA), 'full'), 'utf8'))
    await writeFile(file, JSON.stringify({ ...good, vectors: good.vectors.slice(1) }))
    await expect(serve(seedA, withBaseline(file))).rejects.toThrow(
      /one vector and one norm per probe/,
    )
  })

  it('answers /monitor only to a signed request', async () => {
    const node = nodes[0]
    expect((await node.app.request(MONITOR_PATH)).status).toBe(401)
  })
})
