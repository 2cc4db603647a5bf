/**
 * Preparing the default model folder: deterministic bytes, a self-contained opset-17 ONNX file,
 * a manifest the node accepts, idempotent reruns, and a revision that moves with the output.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import onnxProto from 'onnx-proto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelManifestSchema } from '../../gpu-node/model/manifest.ts'
import { ensureDefaultModel } from '../../scripts/default-model/prepare.ts'

const FILES = ['model.onnx', 'tokenizer.json', 'manifest.json']

/**
 * SHA-256 of each file at the current revision. When the converter's output changes on purpose,
 * bump CONVERTER_VERSION in scripts/default-model/manifest.ts and record the new hashes here:
 * the revision is part of every cache key, so output must never change under the same revision.
 */
const FINGERPRINTS: Record<string, Record<string, string>> = {
  'energetic-ai-0.2.0+onnx.1': {
    'model.onnx': 'f3528c76d0a70ecb53502ace55e718db56a75765ee5c6ce146539a52eb377619',
    'tokenizer.json': '3ca9eb48ef65355c236d460d6e784e93b35ad14ce0cf6543101db0741e6d5def',
    'manifest.json': '6d6ff29237cc400de44bb387e7a5cff196ea5d65d75eb1449b56d9480e067512',
  },
}

let workDir: string
const lines: string[] = []
const log = (line: string) => lines.push(line)

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'use-lite-en-prepare-'))
})

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true })
})

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex')

describe('ensureDefaultModel', () => {
  it('converts to byte-identical files every time', async () => {
    const a = await ensureDefaultModel(join(workDir, 'a'), { log })
    const b = await ensureDefaultModel(join(workDir, 'b'), { log })
    expect(a).toBe(join(workDir, 'a', 'use-lite-en'))
    for (const file of FILES) {
      const [x, y] = await Promise.all([readFile(join(a, file)), readFile(join(b, file))])
      expect(x.equals(y), file).toBe(true)
    }
    expect(lines.some((l) => l.includes('converting Universal Sentence Encoder lite'))).toBe(true)
  })

  it('writes a manifest the node accepts, for an in-graph pooled 512-d model', async () => {
    const dir = await ensureDefaultModel(join(workDir, 'a'), { log })
    const manifest = ModelManifestSchema.parse(
      JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')),
    )
    expect(manifest).toMatchObject({
      id: 'use-lite-en',
      dimensions: 512,
      pooling: 'in_graph',
      padding_side: 'right',
      eos_token_id: null,
      max_input_tokens: 128,
      matryoshka: false,
      instruction_format: 'none',
      graph: {
        input_ids: 'input_ids',
        attention_mask: 'attention_mask',
        output: 'sentence_embedding',
      },
    })
  })

  it('writes a self-contained ONNX file at opset 17', async () => {
    const dir = await ensureDefaultModel(join(workDir, 'a'), { log })
    const model = onnxProto.onnx.ModelProto.decode(await readFile(join(dir, 'model.onnx')))
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]])
    const graph = model.graph ?? {}
    // Self-contained: every weight is inline, none points at an external data file.
    const inline = (t: onnxProto.onnx.ITensorProto) =>
      (t.externalData ?? []).length === 0 && (t.rawData?.length ?? 0) > 0
    expect(graph.initializer?.every(inline)).toBe(true)
    expect(graph.input?.map((i) => i.name)).toEqual(['input_ids', 'attention_mask'])
    expect(graph.output?.map((o) => o.name)).toEqual(['sentence_embedding'])
  })

  it('skips the work when the folder already has the current revision', async () => {
    const dir = await ensureDefaultModel(join(workDir, 'a'), { log })
    const before = await stat(join(dir, 'model.onnx'))
    lines.length = 0
    await ensureDefaultModel(join(workDir, 'a'), { log })
    expect((await stat(join(dir, 'model.onnx'))).mtimeMs).toBe(before.mtimeMs)
    expect(lines).toEqual([expect.stringContaining('is up to date')])
  })

  it('converts again when the folder holds another revision', async () => {
    const dir = await ensureDefaultModel(join(workDir, 'a'), { log })
    const manifestPath = join(dir, 'manifest.json')
    const current = await readFile(manifestPath, 'utf8')
    await writeFile(manifestPath, current.replace(/"revision": "[^"]*"/, '"revision": "older"'))
    lines.length = 0
    await ensureDefaultModel(join(workDir, 'a'), { log })
    expect(await readFile(manifestPath, 'utf8')).toBe(current)
    expect(lines.some((l) => l.includes('converting'))).toBe(true)
  })

  it('changes the revision whenever the output bytes change', async () => {
    const dir = await ensureDefaultModel(join(workDir, 'a'), { log })
    const { revision } = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))
    const actual = Object.fromEntries(
      await Promise.all(FILES.map(async (f) => [f, await sha256(join(dir, f))] as const)),
    )
    expect(actual, `output changed: bump CONVERTER_VERSION (revision ${revision})`).toEqual(
      FINGERPRINTS[revision],
    )
  })
})
