/**
 * Published Qwen3-Embedding exports served as downloaded: each generated layout (hf-exports.ts)
 * loads through the same code path with nothing but its folder, derives what manifest.json used
 * to say, and gives the vectors its precision allows against the same weights elsewhere.
 */
import { statSync } from 'node:fs'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeFrame, type VectorFrame } from '../shared/vector-codec.ts'
import { tinyQwen3Folder } from '../test/support/tiny-qwen3-folder.ts'
import { asHfCacheEntry } from '../test/support/hf-cache.ts'
import { qwen3Exports } from '../test/support/qwen3-exports.ts'
import { ensureQwen3Export } from '../scripts/tiny-qwen3/hf-exports.ts'
import type { LoadedNode } from './load-node.ts'
import { openModel } from './model/model-folder.ts'
import type { ModelVariant } from './model/variants.ts'
import { maxAbsDiff } from '../test/support/node/batch-invariance.ts'
import { postEmbed, signedGet, textsBody } from '../scripts/dev/signed-request.ts'
import { startTestNode, type TestNodeOverrides } from '../scripts/dev/node-in-process.ts'

const EOS = 151643
const TEXTS = [
  'Hello world',
  'Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:what is the capital of France?',
  'The quick brown fox jumps over the lazy dog. 日本語のテキストも少し。',
  'a',
  'ends with the end token already<|endoftext|>',
]

let exports: Awaited<
  ReturnType<typeof qwen3Exports<'onnx-community' | 'qdrant' | 'sentence-transformers' | 'fused'>>
>
let manifestFolders: { plain: string; past: string; remove: () => Promise<void> }
const nodes: LoadedNode[] = []

beforeAll(async () => {
  exports = await qwen3Exports(['onnx-community', 'qdrant', 'sentence-transformers', 'fused'])
  const plain = await tinyQwen3Folder()
  const past = await tinyQwen3Folder({ withPast: true })
  manifestFolders = {
    plain: plain.dir,
    past: past.dir,
    remove: async () => {
      await plain.remove()
      await past.remove()
    },
  }
})
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.close()))
  await exports?.remove()
  await manifestFolders?.remove()
})

async function serve(dir: string, overrides: TestNodeOverrides = {}): Promise<LoadedNode> {
  const node = await startTestNode(dir, { vectorCacheBytes: 0, ...overrides })
  nodes.push(node)
  return node
}

async function embed(node: LoadedNode, texts = TEXTS, truncate = true): Promise<VectorFrame> {
  const response = await postEmbed(node.app, textsBody(node.manifest.id, texts, truncate))
  expect(response.status, await response.clone().text()).toBe(200)
  return decodeFrame(await response.arrayBuffer())
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i], 0)
const worst = (
  a: VectorFrame,
  b: VectorFrame,
  measure: (x: Float32Array, y: Float32Array) => number,
) => a.vectors.map((vector, i) => measure(vector, b.vectors[i]))

describe('a Hugging Face folder with no manifest.json', () => {
  it('gives the same vectors as the manifest folder with the same weights (≤ 1e-6), old tokenizer', async () => {
    const hf = await serve(exports.dirs['sentence-transformers'])
    const manifest = await serve(manifestFolders.plain)
    const [a, b] = [await embed(hf), await embed(manifest)]
    expect(a.tokenCounts).toEqual(b.tokenCounts)
    expect(Math.max(...worst(a, b, maxAbsDiff))).toBeLessThanOrEqual(1e-6)
  })

  it('ends every input with exactly one <|endoftext|> when the tokenizer appends it itself', async () => {
    const hf = await serve(exports.dirs['onnx-community'], { modelVariant: 'fp32' })
    const manifest = await serve(manifestFolders.past)
    const [a, b] = [await embed(hf), await embed(manifest)]
    // The manifest folder's tokenizer appends nothing and the node appends EOS: same ids, same
    // count. A second EOS would add one token and change every vector.
    expect(a.tokenCounts).toEqual(b.tokenCounts)
    expect(Math.max(...worst(a, b, maxAbsDiff))).toBeLessThanOrEqual(1e-6)
  })

  it('derives what manifest.json said, and names the variant in the revision and /info', async () => {
    const node = await serve(exports.dirs['onnx-community'])
    expect(node.manifest).toMatchObject({
      id: 'qwen3-tiny-onnx-community',
      dimensions: 64,
      pooling: 'last_token',
      padding_side: 'left',
      eos_token_id: EOS,
      pad_token_id: EOS,
      max_input_tokens: 32768,
      matryoshka: true,
      instruction_format: 'qwen3',
      default_instruction:
        'Given a web search query, retrieve relevant passages that answer the query',
      graph: { position_ids: 'position_ids', output: 'last_hidden_state' },
    })
    expect(node.manifest.revision).toMatch(/\+fp32$/)
    const info = (await (await signedGet(node.app, '/info')).json()) as { models: object[] }
    expect(info.models[0]).toMatchObject({ variant: 'fp32', revision: node.manifest.revision })
  })

  it('reads max_seq_length and the query prompt from the sentence-transformers files', async () => {
    const node = await serve(exports.dirs['sentence-transformers'])
    expect(node.manifest.max_input_tokens).toBe(8192)
    expect(node.manifest.default_instruction).toBe(
      'Given a web search query, retrieve relevant passages that answer the query',
    )
  })

  it('takes a manifest.json that holds only the fields to change, and MODEL_ID over its id', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'override-'))
    try {
      await cp(exports.dirs['sentence-transformers'], dir, { recursive: true })
      await writeFile(
        path.join(dir, 'manifest.json'),
        JSON.stringify({ id: 'from-manifest', max_input_tokens: 16 }),
      )
      const node = await serve(dir, { modelId: 'my-qwen3' })
      // Only the named field changes: the rest, attention heads included, is still derived.
      expect(node.manifest).toMatchObject({
        id: 'my-qwen3',
        max_input_tokens: 16,
        dimensions: 64,
        attention_heads: 4,
      })
      const frame = await embed(node, ['many words '.repeat(50)])
      expect(frame.tokenCounts).toEqual([16])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('the revision', () => {
  it('changes when the weights do, also when they sit in model.onnx_data', async () => {
    const other = await mkdtemp(path.join(exports.workDir, 'reseeded-'))
    const reseeded = await ensureQwen3Export(other, 'qdrant', { seed: 7, log: () => {} })
    const a = openModel(exports.dirs['qdrant'])
    const b = openModel(reseeded)
    // Same config files, same graph header, same data file size: only the weights differ.
    expect(statSync(path.join(reseeded, 'onnx/model.onnx_data')).size).toBe(
      statSync(path.join(exports.dirs['qdrant'], 'onnx/model.onnx_data')).size,
    )
    expect(a.manifest.revision).not.toBe(b.manifest.revision)
    expect(openModel(exports.dirs['qdrant']).manifest.revision).toBe(a.manifest.revision)
  })
})

describe('precision variants, chosen with MODEL_VARIANT', () => {
  let fp32: VectorFrame
  beforeAll(async () => {
    fp32 = await embed(await serve(exports.dirs['onnx-community'], { modelVariant: 'fp32' }))
  })

  it.each<[ModelVariant, number]>([
    ['fp16', 0.999],
    ['q8', 0.99],
  ])(
    '%s agrees with fp32 after pooling (cosine ≥ %s), with a revision of its own',
    async (variant, least) => {
      const node = await serve(exports.dirs['onnx-community'], { modelVariant: variant })
      expect(node.served.variant).toBe(variant)
      expect(node.manifest.revision).toMatch(new RegExp(`\\+${variant}$`))
      const frame = await embed(node)
      expect(frame.tokenCounts).toEqual(fp32.tokenCounts)
      expect(Math.min(...worst(frame, fp32, cosine))).toBeGreaterThanOrEqual(least)
      // Not the same vectors under another name: quantization does change them.
      expect(Math.max(...worst(frame, fp32, maxAbsDiff))).toBeGreaterThan(0)
    },
  )

  it('refuses a MODEL_VARIANT the folder does not have, naming what it has', async () => {
    await expect(serve(exports.dirs['qdrant'], { modelVariant: 'fp16' })).rejects.toThrow(
      /no model_fp16\.onnx \(it has fp32, q8\)/,
    )
  })

  it('external weights (model.onnx_data) give the same vectors as inline ones', async () => {
    const qdrant = await serve(exports.dirs['qdrant'], { modelVariant: 'fp32' })
    // Qdrant's graph counts positions from the mask itself: the node feeds it no position_ids.
    expect(qdrant.manifest.graph.position_ids).toBeNull()
    const external = await embed(qdrant)
    const inline = await embed(await serve(exports.dirs['sentence-transformers']))
    expect(external.vectors).toEqual(inline.vectors)
  })

  it("reads Qdrant's 8-bit MatMulNBits file", async () => {
    const q8 = await embed(await serve(exports.dirs['qdrant'], { modelVariant: 'q8' }))
    const inline = await embed(await serve(exports.dirs['sentence-transformers']))
    expect(Math.min(...worst(q8, inline, cosine))).toBeGreaterThanOrEqual(0.99)
  })
})

describe('a Hugging Face cache snapshot (files are symlinks into blobs/)', () => {
  it('loads, external data included, and takes its revision from the commit', async () => {
    const cache = await mkdtemp(path.join(tmpdir(), 'hf-cache-'))
    try {
      const copy = path.join(cache, 'download')
      await cp(exports.dirs['qdrant'], copy, { recursive: true })
      const commit = 'af95f2c416ffe9379369ad64f9113e865db6112c'
      const { entry, snapshot } = await asHfCacheEntry(
        copy,
        cache,
        'Qdrant/Qwen3-Embedding-0.6B-onnx',
        commit,
      )
      const fromSnapshot = await serve(snapshot, { modelVariant: 'fp32' })
      expect(fromSnapshot.manifest.id).toBe('Qwen3-Embedding-0.6B-onnx')
      expect(fromSnapshot.manifest.revision).toBe(`${commit}+fp32`)
      const fromEntry = await serve(entry, { modelVariant: 'fp32' })
      expect(fromEntry.manifest.revision).toBe(`${commit}+fp32`)
      const inline = await embed(await serve(exports.dirs['sentence-transformers']))
      expect((await embed(fromSnapshot)).vectors).toEqual(inline.vectors)
    } finally {
      await rm(cache, { recursive: true, force: true })
    }
  })
})

describe('fused attention (GroupQueryAttention, right padding)', () => {
  it('agrees with the plain MatMul/Softmax graph (≤ 1e-4), batched with padding', async () => {
    const fused = await serve(exports.dirs['fused'])
    expect(fused.manifest).toMatchObject({ padding_side: 'right', attention_heads: null })
    const plain = await serve(exports.dirs['onnx-community'], { modelVariant: 'fp32' })
    const [a, b] = [await embed(fused), await embed(plain)]
    expect(a.tokenCounts).toEqual(b.tokenCounts)
    expect(Math.max(...worst(a, b, maxAbsDiff))).toBeLessThanOrEqual(1e-4)
  })
})

describe('long inputs', () => {
  it('truncates at the maximum keeping exactly one final <|endoftext|>, with either tokenizer', async () => {
    const withMax = async (dir: string) => {
      const copy = await mkdtemp(path.join(exports.workDir, 'max-24-'))
      await cp(dir, copy, { recursive: true })
      await writeFile(path.join(copy, 'manifest.json'), JSON.stringify({ max_input_tokens: 24 }))
      return copy
    }
    const appending = await serve(await withMax(exports.dirs['onnx-community']), {
      modelVariant: 'fp32',
    })
    const plain = await serve(await withMax(exports.dirs['sentence-transformers']))
    const text = [
      'a long input that goes on and on, well past the maximum of this model '.repeat(4),
    ]
    const [a, b] = [await embed(appending, text), await embed(plain, text)]
    expect(a.tokenCounts).toEqual([24])
    expect(b.tokenCounts).toEqual([24])
    expect(maxAbsDiff(a.vectors[0], b.vectors[0])).toBeLessThanOrEqual(1e-6)
  })

  it('refuses an input whose attention scores cannot fit, naming the limit, and still serves the next', async () => {
    // 4 heads × 4 bytes × 512² = 4 MiB: inputs of up to 512 tokens fit.
    const node = await serve(exports.dirs['onnx-community'], {
      modelVariant: 'fp32',
      batching: { maxAttentionBytes: 4 * 2 ** 20 },
    })
    const ids = (n: number) => Array.from({ length: n }, (_, i) => 1000 + i)
    const body = (n: number) => ({
      model: node.manifest.id,
      inputs: [{ ids: ids(n) }],
      truncate: false,
    })
    const refused = await postEmbed(node.app, body(600))
    expect(refused.status).toBe(413)
    expect(await refused.json()).toMatchObject({
      error: { param: 'input[0]', code: 'input_exceeds_attention_memory' },
    })
    expect((await postEmbed(node.app, body(500))).status).toBe(200)
  })

  it('runs 32,768 tokens through fused attention; the plain graph refuses them', async () => {
    const ids = Array.from({ length: 32767 }, (_, i) => 1000 + (i % 5000))
    const fused = await serve(exports.dirs['fused'])
    const response = await postEmbed(fused.app, {
      model: fused.manifest.id,
      inputs: [{ ids }],
      truncate: false,
    })
    expect(response.status).toBe(200)
    const frame = decodeFrame(await response.arrayBuffer())
    expect(frame.tokenCounts).toEqual([32768])
    expect(Math.hypot(...frame.vectors[0])).toBeCloseTo(1, 5)

    // 8 GiB, whatever this machine's memory: 32,768² × 4 heads × 4 bytes is 16 GiB.
    const plain = await serve(exports.dirs['onnx-community'], {
      modelVariant: 'fp32',
      batching: { maxAttentionBytes: 8 * 2 ** 30 },
    })
    const refused = await postEmbed(plain.app, {
      model: plain.manifest.id,
      inputs: [{ ids }],
      truncate: false,
    })
    expect(refused.status).toBe(413)
  })
})
