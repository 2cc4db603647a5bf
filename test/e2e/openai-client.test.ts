/**
 * The service as a user meets it: `npm start`, then the official `openai`
 * npm client against the edge, which calls the real node.
 */
import OpenAI from 'openai'
import { cudaProviderInstalled } from '../../gpu-node/backend/onnx-session.ts'
import { describe, expect, inject, it } from 'vitest'
import { cosine } from '../../shared/cosine.ts'

const MODEL = 'use-lite-en'
const client = new OpenAI({
  apiKey: inject('devKey'),
  baseURL: `${inject('edgeUrl')}/v1`,
  maxRetries: 0,
})

/** Fields beyond OpenAI's, sent as the SDK sends any body field. */
type Extensions = { input_type?: 'query' | 'document'; instruction?: string; template?: string }
const create = (params: OpenAI.EmbeddingCreateParams & Extensions) =>
  client.embeddings.create(params as OpenAI.EmbeddingCreateParams).withResponse()

describe('npm start', () => {
  it('prints the development key and a curl example', () => {
    const output = inject('startOutput')
    expect(output).toContain(`Development API key: ${inject('devKey')}`)
    expect(output).toContain(`curl ${inject('edgeUrl')}/v1/embeddings`)
    if (!cudaProviderInstalled()) {
      // A CPU-only install is not asked for CUDA, so onnxruntime prints no red error at start.
      expect(output).not.toContain('[E:onnxruntime')
      expect(output).toContain('no CUDA provider')
    }
  })
})

describe('the openai client against the service', () => {
  it('embeds text, Chinese and code under a plain instruction at dimensions: 128', async () => {
    const input = [
      'Hello world',
      '量子力学的基本原理',
      'def add(a: int, b: int) -> int:\n    return a + b',
    ]
    const { data } = await create({
      model: MODEL,
      input,
      instruction: 'Represent this for general embedding:',
      dimensions: 128,
      encoding_format: 'float',
    })
    expect(data.data).toHaveLength(3)
    for (const item of data.data) {
      expect(item.embedding).toHaveLength(128)
      expect(Math.hypot(...item.embedding)).toBeCloseTo(1, 5)
    }
    // The instruction is really there: the same text without it is another vector.
    const bare = await create({
      model: MODEL,
      input: input[0],
      dimensions: 128,
      encoding_format: 'float',
    })
    expect(bare.data.data[0].embedding).not.toEqual(data.data[0].embedding)
  })

  it('gets float vectors of the full size, in order, with usage', async () => {
    const { data } = await create({
      model: MODEL,
      input: ['e2e: A cat sits on the mat', 'e2e: Stocks fell'],
      encoding_format: 'float',
    })
    expect(data.model).toBe(MODEL)
    expect(data.data.map((d) => d.index)).toEqual([0, 1])
    expect(data.data[0].embedding).toHaveLength(512)
    expect(data.usage.prompt_tokens).toBeGreaterThan(0)
  })

  it('gets the same numbers through base64 (the client decodes them)', async () => {
    const input = 'e2e: base64 and float agree'
    const float = (await create({ model: MODEL, input, encoding_format: 'float' })).data.data[0]
      .embedding
    // Without encoding_format the client asks for base64 and decodes it itself.
    const decoded = (await create({ model: MODEL, input })).data.data[0].embedding
    // Floats are written in short float32 digits: equal once read as float32, as sent.
    expect(Float32Array.from(decoded)).toEqual(Float32Array.from(float))
  })

  it('honours dimensions with unit-length vectors', async () => {
    const { data } = await create({
      model: MODEL,
      input: 'e2e: shorter please',
      dimensions: 128,
      encoding_format: 'float',
    })
    expect(data.data[0].embedding).toHaveLength(128)
    expect(Math.hypot(...data.data[0].embedding)).toBeCloseTo(1, 5)
  })

  it('serves a repeated call from the cache with identical vectors', async () => {
    const input = ['e2e: repeated query', 'e2e: another repeated query']
    const first = await create({ model: MODEL, input, encoding_format: 'float' })
    const second = await create({ model: MODEL, input, encoding_format: 'float' })
    expect(first.response.headers.get('x-cache')).toBe('miss')
    expect(second.response.headers.get('x-cache')).toBe('hit')
    expect(second.data.data).toEqual(first.data.data)
    expect(second.data.usage).toEqual(first.data.usage)
  })

  it('changes a query with its instruction and embeds documents as they are', async () => {
    const text = 'e2e: best way to brew coffee'
    const vector = async (extensions: Extensions) =>
      (await create({ model: MODEL, input: text, encoding_format: 'float', ...extensions })).data
        .data[0].embedding
    const plain = await vector({})
    const document = await vector({ input_type: 'document', template: 'qwen3' })
    const queryA = await vector({
      input_type: 'query',
      template: 'qwen3',
      instruction: 'Find brewing guides',
    })
    const queryB = await vector({
      input_type: 'query',
      template: 'qwen3',
      instruction: 'Find coffee shop reviews',
    })
    expect(document).toEqual(plain)
    expect(cosine(queryA, plain)).toBeLessThan(0.999)
    expect(cosine(queryA, queryB)).toBeLessThan(0.999)
  })

  it('ranks a paraphrase above an unrelated sentence', async () => {
    const { data } = await create({
      model: MODEL,
      input: [
        'A cat sits on the mat',
        'A kitten is sitting on a rug',
        'Stock markets fell sharply today',
      ],
      encoding_format: 'float',
    })
    const [cat, kitten, stocks] = data.data.map((d) => d.embedding)
    expect(cosine(cat, kitten)).toBeGreaterThan(cosine(cat, stocks) + 0.3)
  })

  it('lists the model', async () => {
    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toContain(MODEL)
  })

  it('gets 401 for a wrong key', async () => {
    const stranger = new OpenAI({
      apiKey: 'sk-wrong',
      baseURL: `${inject('edgeUrl')}/v1`,
      maxRetries: 0,
    })
    await expect(stranger.embeddings.create({ model: MODEL, input: 'x' })).rejects.toMatchObject({
      status: 401,
      constructor: OpenAI.AuthenticationError,
    })
  })

  // What docs/api.md's error table promises: 400 for a missing or invalid field, named in `param`;
  // 404 for a model nobody serves. The client turns each status into its own error class.
  const invalid = (code: string, param: string) => ({
    status: 400,
    errorClass: OpenAI.BadRequestError,
    type: 'invalid_request_error',
    code,
    param,
  })
  it.each([
    ['an empty string', { input: '' }, invalid('invalid_input', 'input')],
    ['dimensions below 32', { input: 'x', dimensions: 8 }, invalid('invalid_value', 'dimensions')],
    [
      'dimensions above the model size',
      { input: 'x', dimensions: 4096 },
      invalid('invalid_value', 'dimensions'),
    ],
    [
      'an unknown encoding',
      { input: 'x', encoding_format: 'int8' },
      invalid('invalid_value', 'encoding_format'),
    ],
    [
      'an unknown model',
      { model: 'gpt-nothing', input: 'x' },
      {
        status: 404,
        errorClass: OpenAI.NotFoundError,
        type: 'not_found_error',
        code: 'model_not_found',
        param: 'model',
      },
    ],
    ['too many items', { input: Array(2049).fill('x') }, invalid('invalid_input', 'input')],
  ])('gets the promised error for %s, and the service stays up', async (_, params, expected) => {
    const error = await client.embeddings
      .create({ model: MODEL, ...params } as OpenAI.EmbeddingCreateParams)
      .catch((err) => err)
    const { status, errorClass, ...body } = expected
    expect(error).toBeInstanceOf(errorClass)
    expect(error.status).toBe(status)
    // The OpenAI-shaped body as sent, which the client keeps as `error.error`.
    expect(error.error).toMatchObject({ message: expect.any(String), ...body })
    const after = await create({ model: MODEL, input: 'e2e: still up', encoding_format: 'float' })
    expect(after.response.status).toBe(200)
  })
})
