/**
 * A 2560-dimension model through the whole service: the generated `qwen3-4b-slice` (the real
 * Qwen3-Embedding-4B's widths, heads, config.json and vocabulary, 2 of its 36 layers, weights
 * in onnx/model.onnx_data as Qdrant ships them), served with nothing but MODEL_DIR by
 * `npm start`'s own script, and driven by the official `openai` client.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { startService, type RunningService } from '../../scripts/dev/service-process.ts'
import { ensureQwen3Export } from '../../scripts/tiny-qwen3/hf-exports.ts'

const MODEL = 'qwen3-4b-slice'
let service: RunningService
let client: OpenAI
let workDir: string
let modelDir: string

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'qwen3-4b-e2e-'))
  modelDir = await ensureQwen3Export(workDir, '4b-slice', { log: () => {} })
  service = await startService({ env: { MODEL_DIR: modelDir } })
  client = new OpenAI({ apiKey: service.apiKey, baseURL: `${service.edgeUrl}/v1`, maxRetries: 0 })
})
afterAll(async () => {
  await service?.stop()
  if (workDir) await rm(workDir, { recursive: true, force: true })
})

async function embed(params: Omit<OpenAI.EmbeddingCreateParams, 'model'>) {
  const { data, response } = await client.embeddings
    .create({ model: MODEL, encoding_format: 'float', ...params })
    .withResponse()
  return { data, cache: response.headers.get('x-cache') }
}

const norm = (vector: number[]) => Math.hypot(...vector)

describe('Qwen3-Embedding-4B widths through the edge', () => {
  it("pools <|endoftext|>, though the 4B's config.json names <|im_end|> as its eos_token_id", async () => {
    const script = path.join(REPO_ROOT, 'scripts', 'model-inspect.ts')
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      script,
      modelDir,
    ])
    expect(stdout).toMatch(
      /eos_token_id\s+151643\s+← tokenizer\.json post_processor appends <\|endoftext\|>/,
    )
    expect(stdout).toMatch(/dimensions\s+2560/)
    expect(stdout).toMatch(/attention_heads\s+32/)
  })

  it('serves the full 2560 dimensions, unit length', async () => {
    const { data } = await embed({ input: 'e2e 4b: full width' })
    expect(data.data[0].embedding).toHaveLength(2560)
    expect(norm(data.data[0].embedding)).toBeCloseTo(1, 5)
  })

  it.each([32, 768, 2560])(
    'answers dimensions: %i with the renormalized prefix',
    async (dimensions) => {
      const input = `e2e 4b: matryoshka ${dimensions}`
      const full = (await embed({ input })).data.data[0].embedding
      const short = (await embed({ input, dimensions })).data.data[0].embedding
      expect(short).toHaveLength(dimensions)
      const prefix = full.slice(0, dimensions)
      const length = norm(prefix)
      short.forEach((x, i) => expect(x).toBeCloseTo(prefix[i] / length, 6))
    },
  )

  it('refuses dimensions: 2561 with 400, naming the model’s 2560', async () => {
    const error = await embed({ input: 'e2e 4b: too wide', dimensions: 2561 }).catch((e) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400)
    expect(String((error as Error).message)).toMatch(/2560/)
  })

  it('gives the same numbers through base64', async () => {
    const input = 'e2e 4b: base64 and float agree'
    const float = (await embed({ input })).data.data[0].embedding
    const { data } = await client.embeddings.create({
      model: MODEL,
      input,
      encoding_format: 'base64',
    })
    const bytes = Buffer.from(data[0].embedding as unknown as string, 'base64')
    const decoded = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
    expect(decoded).toHaveLength(2560)
    expect(decoded).toEqual(Float32Array.from(float))
  })

  it("has the 4B's vocabulary: token 151664 is in it, the 0.6B's <think> (151667) is not", async () => {
    const inside = await embed({ input: [151664, 9707] })
    expect(inside.data.data[0].embedding).toHaveLength(2560)
    const error = await embed({ input: [151667] }).catch((e) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(String((error as Error).message)).toMatch(/outside the vocabulary \(size 151665\)/)
  })

  it('answers a repeat from the cache with the identical vector', async () => {
    const input = 'e2e 4b: asked twice'
    const miss = await embed({ input })
    const hit = await embed({ input })
    expect([miss.cache, hit.cache]).toEqual(['miss', 'hit'])
    expect(hit.data.data[0].embedding).toEqual(miss.data.data[0].embedding)
    expect(hit.data.usage).toEqual(miss.data.usage)
  })
})
