/**
 * The node serves Qwen3-Embedding correctly, for both export variants (with
 * and without `past_key_values.*` inputs), loaded with nothing but their
 * manifest: every input ends in <|endoftext|>, left padding with position ids
 * that skip it, last-token pooling, L2 norm. Checked against the independent
 * plain-TypeScript forward pass of the generated model and against the
 * tokenizer itself, through the node's real queue and sessions.
 */
import { Tokenizer } from '@huggingface/tokenizers'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeFrame, type VectorFrame } from '../shared/vector-codec.ts'
import { DEFAULT_SEED, PRESETS } from '../scripts/tiny-qwen3/config.ts'
import { Qwen3Reference } from '../scripts/tiny-qwen3/reference.ts'
import { tinyQwen3Folder } from '../test/support/tiny-qwen3-folder.ts'
import type { LoadedNode } from './load-node.ts'
import { openModel } from './model/model-folder.ts'
import { aloneAndBatched, maxAbsDiff } from '../test/support/node/batch-invariance.ts'
import { GatedBackend } from '../test/support/node/gated-backend.ts'
import { patchedModelFolder } from '../test/support/node/patched-folder.ts'
import { postEmbed, textsBody } from '../scripts/dev/signed-request.ts'
import { startTestNode } from '../scripts/dev/node-in-process.ts'

const EOS = 151643
const shape = PRESETS.tiny
const reference = new Qwen3Reference(shape, DEFAULT_SEED)
const TEXTS = [
  'Hello world',
  'Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:what is the capital of France?',
  'The quick brown fox jumps over the lazy dog. 日本語のテキストも少し。',
  'a',
]

/** What the reference forward pass says the node should answer for these ids. */
function referenceVector(ids: number[]): Float64Array {
  const hidden = reference.forward(ids)
  const last = hidden.subarray((ids.length - 1) * shape.hiddenSize, ids.length * shape.hiddenSize)
  const norm = Math.hypot(...last)
  return last.map((x) => x / norm)
}

describe.each([
  { variant: 'qwen3-tiny', withPast: false },
  { variant: 'qwen3-tiny-past', withPast: true },
])('$variant served by the node', ({ withPast }) => {
  let node: LoadedNode
  let gate: GatedBackend
  let tokenizer: Tokenizer
  let graphInputs: readonly string[]
  let cleanUp: () => Promise<void>

  beforeAll(async () => {
    const folder = await tinyQwen3Folder({ withPast })
    const model = openModel(folder.dir)
    tokenizer = new Tokenizer(model.folder.tokenizerJson, model.folder.tokenizerConfig)
    const session = await ort.InferenceSession.create(model.onnxPath)
    graphInputs = session.inputNames
    await session.release()
    node = await startTestNode(
      folder.dir,
      { vectorCacheBytes: 0 },
      { wrapBackends: (sessions) => sessions.map((session) => (gate = new GatedBackend(session))) },
    )
    cleanUp = async () => {
      await node.close()
      await folder.remove()
    }
  })
  afterAll(() => cleanUp())

  const embed = async (...texts: string[]): Promise<VectorFrame> => {
    const response = await postEmbed(node.app, textsBody(node.manifest.id, texts))
    expect(response.status).toBe(200)
    return decodeFrame(await response.arrayBuffer())
  }

  it(`is the export ${withPast ? 'with' : 'without'} past_key_values inputs`, () => {
    expect(graphInputs.some((name) => name.startsWith('past_key_values.'))).toBe(withPast)
  })

  it('agrees with the reference forward pass after pooling (≤ 1e-4)', async () => {
    const frame = await embed(...TEXTS)
    let worst = 0
    TEXTS.forEach((text, i) => {
      const ids = [...tokenizer.encode(text).ids, EOS]
      worst = Math.max(worst, maxAbsDiff(frame.vectors[i], referenceVector(ids)))
    })
    expect(worst).toBeLessThanOrEqual(1e-4)
  })

  it("reports the tokenizer's own token counts, <|endoftext|> included", async () => {
    const frame = await embed(...TEXTS)
    expect(frame.tokenCounts).toEqual(TEXTS.map((text) => tokenizer.encode(text).ids.length + 1))
  })

  it('gives a text the same vector alone and batched with longer and shorter neighbours (≤ 1e-5)', async () => {
    const { alone, batched } = await aloneAndBatched(node, gate, TEXTS[2], {
      shorter: 'The quick brown fox jumps over the lazy dog.',
      longer: `${TEXTS[2]} And a little more.`,
    })
    expect(maxAbsDiff(alone, batched)).toBeLessThanOrEqual(1e-5)
  })
})

describe('qwen3-tiny at its maximum input length', () => {
  const MAX = 24
  let node: LoadedNode
  let tokenizer: Tokenizer
  let cleanUp: () => Promise<void>

  beforeAll(async () => {
    const generated = await tinyQwen3Folder()
    const folder = await patchedModelFolder(generated.dir, { max_input_tokens: MAX })
    const model = openModel(folder.dir)
    tokenizer = new Tokenizer(model.folder.tokenizerJson, model.folder.tokenizerConfig)
    node = await startTestNode(folder.dir)
    cleanUp = async () => {
      await node.close()
      await folder.remove()
      await generated.remove()
    }
  })
  afterAll(() => cleanUp())

  it('truncates to the maximum and keeps the final <|endoftext|>, which is what gets pooled', async () => {
    const text = 'a long input that goes on and on, well past the maximum of this model '.repeat(4)
    const response = await postEmbed(node.app, textsBody(node.manifest.id, [text]))
    const frame = decodeFrame(await response.arrayBuffer())
    expect(frame.tokenCounts).toEqual([MAX])
    const kept = [...tokenizer.encode(text).ids.slice(0, MAX - 1), EOS]
    expect(maxAbsDiff(frame.vectors[0], referenceVector(kept))).toBeLessThanOrEqual(1e-4)
  })

  it('refuses the same input with 422 when asked not to truncate, even after caching it cut', async () => {
    const text = 'cached after cutting, then asked for whole: '.repeat(6)
    const cut = await postEmbed(node.app, textsBody(node.manifest.id, [text], true))
    expect(cut.status).toBe(200)
    const whole = await postEmbed(node.app, textsBody(node.manifest.id, [text], false))
    expect(whole.status).toBe(422)
    expect(await whole.json()).toMatchObject({
      error: { param: 'input[0]', code: 'input_too_long' },
    })
  })
})
