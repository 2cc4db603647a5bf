/**
 * BERT-style encoders go through the same manifest and code path as Qwen3:
 * `[CLS] … [SEP]` from the tokenizer, right padding, `token_type_ids` fed,
 * and mean or CLS pooling, on a generated tiny BERT (scripts/tiny-bert).
 * Expected vectors come from running the graph directly, one unpadded input
 * at a time, and pooling by hand.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeFrame } from '../shared/vector-codec.ts'
import { ensureTinyBert, type BertPooling } from '../scripts/tiny-bert/generate.ts'
import type { LoadedNode } from './load-node.ts'
import { openModel } from './model/model-folder.ts'
import { aloneAndBatched, maxAbsDiff } from '../test/support/node/batch-invariance.ts'
import { GatedBackend } from '../test/support/node/gated-backend.ts'
import { postEmbed, textsBody } from '../scripts/dev/signed-request.ts'
import { startTestNode } from '../scripts/dev/node-in-process.ts'

let modelsDir: string
beforeAll(async () => {
  modelsDir = await mkdtemp(path.join(tmpdir(), 'tiny-bert-test-'))
})
afterAll(() => rm(modelsDir, { recursive: true, force: true }))

describe.each<{ pooling: BertPooling }>([{ pooling: 'mean' }, { pooling: 'cls' }])(
  'a BERT-style model with $pooling pooling',
  ({ pooling }) => {
    let node: LoadedNode
    let gate: GatedBackend
    let tokenizer: Tokenizer
    let session: ort.InferenceSession
    let maxTokens: number

    beforeAll(async () => {
      const dir = await ensureTinyBert(modelsDir, { pooling })
      const model = openModel(dir)
      tokenizer = new Tokenizer(model.folder.tokenizerJson, model.folder.tokenizerConfig)
      session = await ort.InferenceSession.create(model.onnxPath)
      maxTokens = model.manifest.max_input_tokens
      node = await startTestNode(
        dir,
        { vectorCacheBytes: 0 },
        { wrapBackends: (sessions) => sessions.map((s) => (gate = new GatedBackend(s))) },
      )
    })
    afterAll(async () => {
      await node.close()
      await session.release()
    })

    /** The graph run on one unpadded input, pooled as the manifest says, then L2-normalized. */
    async function expected(ids: number[]): Promise<Float64Array> {
      const int64 = (values: number[]) =>
        new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length])
      const out = await session.run({
        input_ids: int64(ids),
        attention_mask: int64(ids.map(() => 1)),
        token_type_ids: int64(ids.map(() => 0)),
      })
      const hidden = out.last_hidden_state.data as Float32Array
      const width = hidden.length / ids.length
      const pooled = new Float64Array(width)
      const rows = pooling === 'cls' ? 1 : ids.length
      for (let t = 0; t < rows; t++)
        for (let i = 0; i < width; i++) pooled[i] += hidden[t * width + i] / rows
      const norm = Math.hypot(...pooled)
      return pooled.map((x) => x / norm)
    }

    const embed = async (texts: string[], truncate = true) => {
      const response = await postEmbed(node.app, textsBody(node.manifest.id, texts, truncate))
      expect(response.status).toBe(200)
      return decodeFrame(await response.arrayBuffer())
    }

    it('tokenizes with [CLS] … [SEP] and pools as the manifest says', async () => {
      const texts = ['Hello world, the cat sits on the mat!', 'A kitten is sitting on a rug']
      const frame = await embed(texts)
      for (const [i, text] of texts.entries()) {
        const ids = tokenizer.encode(text).ids
        expect(tokenizer.encode(text).tokens[0]).toBe('[CLS]')
        expect(frame.tokenCounts[i]).toBe(ids.length)
        expect(maxAbsDiff(frame.vectors[i], await expected(ids))).toBeLessThanOrEqual(1e-5)
      }
    })

    it('gives a text the same vector alone and right-padded among longer and shorter neighbours (≤ 1e-5)', async () => {
      const { alone, batched } = await aloneAndBatched(
        node,
        gate,
        'the quick brown fox jumps over the lazy dog',
        {
          shorter: 'the quick brown fox',
          longer: 'the quick brown fox jumps over the lazy dog and runs away',
        },
      )
      expect(maxAbsDiff(alone, batched)).toBeLessThanOrEqual(1e-5)
    })

    it('takes token ids with or without [CLS] … [SEP] as the same input as the text', async () => {
      const text = 'the cat sits on the mat'
      const full = tokenizer.encode(text).ids
      const bare = tokenizer.encode(text, { add_special_tokens: false }).ids
      const response = await postEmbed(node.app, {
        model: node.manifest.id,
        inputs: [{ text }, { ids: full }, { ids: bare }],
        truncate: true,
      })
      const frame = decodeFrame(await response.arrayBuffer())
      expect(frame.tokenCounts).toEqual([full.length, full.length, full.length])
      expect(Array.from(frame.vectors[1])).toEqual(Array.from(frame.vectors[0]))
      expect(Array.from(frame.vectors[2])).toEqual(Array.from(frame.vectors[0]))
    })

    it('truncates between the special tokens: [CLS] … [SEP] stay', async () => {
      const text = 'many words, one after another, '.repeat(20)
      const frame = await embed([text])
      expect(frame.tokenCounts).toEqual([maxTokens])
      const full = tokenizer.encode(text).ids
      const kept = [full[0], ...full.slice(1, maxTokens - 1), full.at(-1)!]
      expect(tokenizer.decode([kept.at(-1)!])).toBe('[SEP]')
      expect(maxAbsDiff(frame.vectors[0], await expected(kept))).toBeLessThanOrEqual(1e-5)
    })
  },
)
