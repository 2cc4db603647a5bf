/**
 * Generating the tiny Qwen3 model folder: deterministic bytes, a manifest the node accepts,
 * idempotent reruns, and an external-data writer (the 0.6B-shaped path) that ORT loads with the
 * same results as the inline file.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelManifestSchema } from '../../gpu-node/model/manifest.ts'
import { DEFAULT_SEED, PRESETS } from '../../scripts/tiny-qwen3/config.ts'
import { ensureTinyQwen3 } from '../../scripts/tiny-qwen3/generate.ts'
import { writeModel } from '../../scripts/tiny-qwen3/write-model.ts'

let workDir: string
const quiet = { log: () => {} }

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tiny-qwen3-generate-'))
})

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true })
})

describe('ensureTinyQwen3', () => {
  it('writes byte-identical folders for the same seed', async () => {
    const a = await ensureTinyQwen3(join(workDir, 'a'), quiet)
    const b = await ensureTinyQwen3(join(workDir, 'b'), quiet)
    expect(a.endsWith('qwen3-tiny')).toBe(true)
    for (const file of ['model.onnx', 'manifest.json', 'tokenizer.json']) {
      const [x, y] = await Promise.all([readFile(join(a, file)), readFile(join(b, file))])
      expect(x.equals(y), file).toBe(true)
    }
  })

  it('writes a manifest the node accepts, with Qwen3 preprocessing', async () => {
    const dir = await ensureTinyQwen3(join(workDir, 'a'), quiet)
    const manifest = ModelManifestSchema.parse(
      JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')),
    )
    expect(manifest).toMatchObject({
      id: 'qwen3-tiny',
      dimensions: PRESETS.tiny.hiddenSize,
      pooling: 'last_token',
      padding_side: 'left',
      eos_token_id: 151643,
      pad_token_id: 151643,
      instruction_format: 'qwen3',
      graph: { position_ids: 'position_ids', output: 'last_hidden_state' },
    })
  })

  it('skips a folder that is already up to date and regenerates on a new seed', async () => {
    const lines: string[] = []
    const log = (line: string) => lines.push(line)
    const dir = await ensureTinyQwen3(join(workDir, 'a'), { log })
    const before = (await stat(join(dir, 'model.onnx'))).mtimeMs
    expect(lines).toEqual([expect.stringContaining('up to date')])

    const reseeded = await ensureTinyQwen3(join(workDir, 'a'), { log, seed: DEFAULT_SEED + 1 })
    expect(reseeded).toBe(dir)
    expect((await stat(join(dir, 'model.onnx'))).mtimeMs).toBeGreaterThan(before)
    const { revision } = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))
    expect(revision).toMatch(new RegExp(`^seed${DEFAULT_SEED + 1}-`))
  })

  it('external-data weights load in ORT and match the inline model', async () => {
    const inline = join(workDir, 'inline')
    const external = join(workDir, 'external')
    await Promise.all([mkdir(inline), mkdir(external)])
    const options = { shape: PRESETS.tiny, seed: DEFAULT_SEED, withPast: false }
    await writeModel(inline, { ...options, externalData: false })
    expect(await writeModel(external, { ...options, externalData: true })).toEqual([
      'model.onnx',
      'model.onnx_data',
    ])
    expect((await stat(join(external, 'model.onnx'))).size).toBeLessThan(100_000)

    const ids = [9707, 1879, 11, 151643]
    const int64 = (values: number[]) =>
      new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length])
    const feeds = {
      input_ids: int64(ids),
      attention_mask: int64([1, 1, 1, 1]),
      position_ids: int64([0, 1, 2, 3]),
    }
    const run = async (dir: string) => {
      const session = await ort.InferenceSession.create(join(dir, 'model.onnx'))
      const out = (await session.run(feeds))['last_hidden_state']!.data as Float32Array
      await session.release()
      return out
    }
    expect(await run(external)).toEqual(await run(inline))
  })
})
