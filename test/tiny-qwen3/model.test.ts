/**
 * The generated tiny Qwen3 model computes what a Qwen3 decoder computes: ONNX Runtime against
 * the plain-TypeScript reference, left padding against running alone, and the past-key-values
 * variant against the plain graph.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SEED, PRESETS } from '../../scripts/tiny-qwen3/config.ts'
import { ensureTinyQwen3 } from '../../scripts/tiny-qwen3/generate.ts'
import { Qwen3Reference } from '../../scripts/tiny-qwen3/reference.ts'

const EOS = 151643
const shape = PRESETS.tiny
const TEXTS = [
  'Hello world',
  'Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:what is the capital of France?',
  'The quick brown fox jumps over the lazy dog. 日本語のテキストも少し。',
  'a',
]

let workDir: string
let tokenizer: Tokenizer
let plain: ort.InferenceSession
let withPast: ort.InferenceSession

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tiny-qwen3-model-'))
  const quiet = { log: () => {} }
  const plainDir = await ensureTinyQwen3(workDir, quiet)
  const pastDir = await ensureTinyQwen3(workDir, { ...quiet, withPast: true })
  tokenizer = new Tokenizer(
    JSON.parse(await readFile(join(plainDir, 'tokenizer.json'), 'utf8')),
    {},
  )
  plain = await ort.InferenceSession.create(join(plainDir, 'model.onnx'))
  withPast = await ort.InferenceSession.create(join(pastDir, 'model.onnx'))
}, 60_000)

afterAll(async () => {
  await Promise.all([plain?.release(), withPast?.release()])
  if (workDir) await rm(workDir, { recursive: true, force: true })
})

/** Token ids as the node feeds them: the tokenizer's ids, then `<|endoftext|>`. */
function encode(text: string): number[] {
  return [...tokenizer.encode(text).ids, EOS]
}

/** Left-padded batch; positions count from 0 at the first real token, padding gets 1. */
function batchFeeds(rows: number[][]): Record<string, ort.Tensor> {
  const seq = Math.max(...rows.map((r) => r.length))
  const ids = new BigInt64Array(rows.length * seq).fill(BigInt(EOS))
  const mask = new BigInt64Array(rows.length * seq)
  const positions = new BigInt64Array(rows.length * seq).fill(1n)
  rows.forEach((row, b) => {
    const pad = seq - row.length
    row.forEach((id, t) => {
      ids[b * seq + pad + t] = BigInt(id)
      mask[b * seq + pad + t] = 1n
      positions[b * seq + pad + t] = BigInt(t)
    })
  })
  const dims = [rows.length, seq]
  return {
    input_ids: new ort.Tensor('int64', ids, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
    position_ids: new ort.Tensor('int64', positions, dims),
  }
}

/** Empty `past_key_values.*` inputs, as the node feeds them. */
function emptyPast(batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {}
  for (let i = 0; i < shape.numLayers; i++) {
    for (const kind of ['key', 'value']) {
      const dims = [batch, shape.numKvHeads, 0, shape.headDim]
      feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), dims)
    }
  }
  return feeds
}

/** Last-token pooling + L2 normalization of row `b` of `[batch, seq, hidden]`. */
function pooled(hidden: ArrayLike<number>, seq: number, b: number): Float64Array {
  const start = (b * seq + seq - 1) * shape.hiddenSize
  const v = Float64Array.from({ length: shape.hiddenSize }, (_, i) => hidden[start + i]!)
  const norm = Math.hypot(...v)
  return v.map((x) => x / norm)
}

async function embedBatch(rows: number[][]): Promise<Float64Array[]> {
  const feeds = batchFeeds(rows)
  const { last_hidden_state: out } = await plain.run(feeds)
  const seq = feeds['input_ids']!.dims[1]!
  expect(out!.dims).toEqual([rows.length, seq, shape.hiddenSize])
  return rows.map((_, b) => pooled(out!.data as Float32Array, seq, b))
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}

describe('tiny Qwen3 model', () => {
  it('matches the TypeScript reference forward pass', async () => {
    const reference = new Qwen3Reference(shape, DEFAULT_SEED)
    let worst = 0
    for (const text of TEXTS) {
      const ids = encode(text)
      const [fromOrt] = await embedBatch([ids])
      const fromReference = pooled(reference.forward(ids), ids.length, 0)
      worst = Math.max(worst, maxAbsDiff(fromOrt!, fromReference))
    }
    console.log(`ORT vs reference, max |diff| after pooling: ${worst.toExponential(2)}`)
    expect(worst).toBeLessThanOrEqual(1e-4)
  })

  it('gives a text the same vector alone and left-padded in a batch', async () => {
    const target = encode(TEXTS[2]!)
    const [alone] = await embedBatch([target])
    const rows = [encode(TEXTS[0]!), target, encode(TEXTS[1]!), encode(TEXTS[3]!)]
    expect(Math.max(...rows.map((r) => r.length))).toBeGreaterThan(target.length)
    expect(Math.min(...rows.map((r) => r.length))).toBeLessThan(target.length)
    const batched = await embedBatch(rows)
    const diff = maxAbsDiff(alone!, batched[1]!)
    console.log(`alone vs left-padded batch, max |diff|: ${diff.toExponential(2)}`)
    expect(diff).toBeLessThanOrEqual(1e-5)

    // Distinct texts stay distinct even though every input ends in the same EOS token.
    for (const [i, a] of batched.entries()) {
      expect(a.every(Number.isFinite)).toBe(true)
      for (const b of batched.slice(i + 1)) expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-2)
    }
  })

  it('past-key-values variant with an empty past equals the plain graph', async () => {
    const rows = TEXTS.map(encode)
    const feeds = batchFeeds(rows)
    const expected = (await plain.run(feeds))['last_hidden_state']!
    const outputs = await withPast.run({ ...feeds, ...emptyPast(rows.length) })
    const actual = outputs['last_hidden_state']!
    expect(actual.dims).toEqual(expected.dims)
    expect(maxAbsDiff(actual.data as Float32Array, expected.data as Float32Array)).toBe(0)

    const seq = feeds['input_ids']!.dims[1]!
    for (let i = 0; i < shape.numLayers; i++) {
      expect(outputs[`present.${i}.key`]!.dims).toEqual([
        rows.length,
        shape.numKvHeads,
        seq,
        shape.headDim,
      ])
      expect(outputs[`present.${i}.value`]!.dims).toEqual([
        rows.length,
        shape.numKvHeads,
        seq,
        shape.headDim,
      ])
    }
  })

  it('past-key-values variant continues a sequence from a non-empty past', async () => {
    // Not something the node does, but it checks that causality and RoPE use absolute positions.
    const ids = encode(TEXTS[1]!)
    const split = 7
    const first = await withPast.run({ ...batchFeeds([ids.slice(0, split)]), ...emptyPast(1) })
    const rest = ids.slice(split)
    const past: Record<string, ort.Tensor> = {}
    for (let i = 0; i < shape.numLayers; i++) {
      past[`past_key_values.${i}.key`] = first[`present.${i}.key`]!
      past[`past_key_values.${i}.value`] = first[`present.${i}.value`]!
    }
    const int64 = (values: number[]) =>
      new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length])
    const second = await withPast.run({
      ...past,
      input_ids: int64(rest),
      attention_mask: int64(ids.map(() => 1)),
      position_ids: int64(rest.map((_, t) => split + t)),
    })
    const [full] = await embedBatch([ids])
    const continued = pooled(second['last_hidden_state']!.data as Float32Array, rest.length, 0)
    expect(maxAbsDiff(full!, continued)).toBeLessThanOrEqual(1e-5)
  })
})
