/**
 * A Qwen3-architecture model served end to end: `npm start`'s own script with
 * MODEL_DIR pointing at the generated tiny Qwen3 (real Qwen3 tokenizer), the
 * edge in wrangler dev applying the Qwen3 instruction template, the node
 * embedding, all driven by the official `openai` client.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openModel } from '../../gpu-node/model/model-folder.ts'
import { startService, type RunningService } from '../../scripts/dev/service-process.ts'
import { ensureTinyQwen3 } from '../../scripts/tiny-qwen3/generate.ts'
import { runEval } from '../../eval/run-eval.ts'

const MODEL = 'qwen3-tiny'
let service: RunningService
let client: OpenAI
let tokenizer: Tokenizer
let defaultInstruction: string
let workDir: string

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'qwen3-tiny-e2e-'))
  const modelDir = await ensureTinyQwen3(workDir, { log: () => {} })
  const { folder, manifest } = openModel(modelDir)
  tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig)
  defaultInstruction = manifest.default_instruction!
  service = await startService({ env: { MODEL_DIR: modelDir } })
  client = new OpenAI({ apiKey: service.apiKey, baseURL: `${service.edgeUrl}/v1`, maxRetries: 0 })
})
afterAll(async () => {
  await service?.stop()
  await rm(workDir, { recursive: true, force: true })
})

/** Fields beyond OpenAI's, sent as the SDK sends any body field. */
type Extensions = { input_type?: 'query' | 'document'; instruction?: string; template?: string }

async function embed(params: Omit<OpenAI.EmbeddingCreateParams, 'model'> & Extensions) {
  const { data, response } = await client.embeddings
    .create({ model: MODEL, encoding_format: 'float', ...params } as OpenAI.EmbeddingCreateParams)
    .withResponse()
  return {
    vector: data.data[0].embedding,
    usage: data.usage,
    cache: response.headers.get('x-cache'),
  }
}

describe('Qwen3 through the whole service', () => {
  it('applies the default Qwen3 instruction to queries and embeds documents as they are', async () => {
    const text = 'e2e qwen3: how do tides work?'
    const query = await embed({ input: text, input_type: 'query' })
    const formatted = await embed({
      input: `Instruct: ${defaultInstruction}\nQuery:${text}`,
      template: 'none',
    })
    const document = await embed({ input: text, input_type: 'document' })
    const plain = await embed({ input: text, template: 'none' })
    expect(query.vector).toEqual(formatted.vector)
    expect(document.vector).toEqual(plain.vector)
    expect(query.vector).not.toEqual(document.vector)
    // Usage is the Qwen3 tokenizer's count of the final text, plus <|endoftext|>.
    expect(query.usage.prompt_tokens).toBe(
      tokenizer.encode(`Instruct: ${defaultInstruction}\nQuery:${text}`).ids.length + 1,
    )
  })

  it('gives a query with another instruction another vector', async () => {
    const input = 'e2e qwen3: best hiking trails'
    const withDefault = await embed({ input, input_type: 'query' })
    const withOwn = await embed({ input, instruction: 'Find reviews of hiking boots' })
    expect(withOwn.vector).not.toEqual(withDefault.vector)
  })

  it('answers dimensions: 32 with the renormalized first 32 components', async () => {
    const input = 'e2e qwen3: matryoshka prefix'
    const full = await embed({ input })
    const short = await embed({ input, dimensions: 32 })
    expect(full.vector).toHaveLength(64)
    expect(short.vector).toHaveLength(32)
    const prefix = full.vector.slice(0, 32)
    const norm = Math.hypot(...prefix)
    short.vector.forEach((x, i) => expect(x).toBeCloseTo(prefix[i] / norm, 6))
  })

  it('serves a repeated call from the cache', async () => {
    const input = 'e2e qwen3: asked twice'
    const first = await embed({ input })
    const second = await embed({ input })
    expect(first.cache).toBe('miss')
    expect(second.cache).toBe('hit')
    expect(second.vector).toEqual(first.vector)
    expect(second.usage).toEqual(first.usage)
  })
})

describe('npm run eval on the random-weight tiny Qwen3', () => {
  it('fails similarity: random weights rank nothing', async () => {
    const outDir = path.join(workDir, 'eval')
    const report = await runEval({
      targets: [
        { label: 'tiny', baseUrl: `${service.edgeUrl}/v1`, apiKey: service.apiKey, model: MODEL },
      ],
      outDir,
    })
    const { similarity, sanity } = report.targets[0].checks
    expect(similarity.passed).toBe(false)
    expect(similarity.languages.en.passed).toBe(false)
    // The plumbing is sound all the same: unit vectors, deterministic, batch-invariant.
    expect(sanity.passed).toBe(true)
  }, 120_000)
})
