import { beforeAll, describe, expect, it } from 'vitest'
import { base64ToVector } from '../../shared/vector-codec.ts'
import {
  DEFAULT_MODEL,
  cosine,
  env,
  postEmbeddings,
  seedTenant,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'
import { nodeStats, resetNodeStats, startNode } from '../../test/support/node-control.ts'

const key = 'sk-test-route-0001'
const otherTenantKey = 'sk-test-route-other-0001'
const restrictedKey = 'sk-test-route-restricted-0001'
const cappedKey = 'sk-test-route-capped-0001'

beforeAll(async () => {
  await seedTenant({ id: 'route-tenant' }, key)
  await seedTenant({ id: 'route-other' }, otherTenantKey)
  await seedTenant({ id: 'route-restricted', allowed_models: ['some-other-model'] }, restrictedKey)
  await seedTenant({ id: 'route-capped', max_dimensions: 128 }, cappedKey)
})

async function embed(body: Record<string, unknown>, apiKey = key, overrides = {}) {
  const response = await postEmbeddings(
    { model: DEFAULT_MODEL, ...body },
    { key: apiKey, overrides },
  )
  const text = await response.text()
  expect(response.status, text).toBe(200)
  return { response, json: JSON.parse(text) as EmbeddingsBody }
}

const vectorOf = (json: EmbeddingsBody, i = 0) => json.data[i].embedding as number[]

/** Matryoshka, written out apart from the code under test: the first `d`, over their L2 norm. */
function prefixAtUnitLength(full: number[], d: number): number[] {
  const prefix = full.slice(0, d)
  const norm = Math.sqrt(prefix.reduce((sum, x) => sum + x * x, 0))
  return prefix.map((x) => x / norm)
}

describe('POST /v1/embeddings', () => {
  it('answers in the OpenAI shape with unit-length full vectors', async () => {
    const { response, json } = await embed({ input: ['route: first shape', 'route: second shape'] })
    expect(json.model).toBe(DEFAULT_MODEL)
    expect(json.data.map((d) => d.index)).toEqual([0, 1])
    expect(vectorOf(json)).toHaveLength(512)
    expect(Math.hypot(...vectorOf(json))).toBeCloseTo(1, 4)
    expect(json.usage.prompt_tokens).toBeGreaterThan(0)
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens)
    expect(response.headers.get('x-request-id')).toBeTruthy()
    expect(response.headers.get('server-timing')).toMatch(/cache/)
  })

  it('serves a repeat from the cache with identical vectors and the same usage', async () => {
    const input = ['route: cache me', 'route: and me too']
    const first = await embed({ input })
    const second = await embed({ input })
    expect(first.response.headers.get('x-cache')).toBe('miss')
    expect(second.response.headers.get('x-cache')).toBe('hit')
    expect(second.json.data).toEqual(first.json.data)
    expect(second.json.usage).toEqual(first.json.usage)
  })

  it('streams a large answer, which parses to the same vectors as small answers give', async () => {
    // 300 × 512 floats is about 1.8 MB of JSON: past the size answers are written whole.
    const input = Array.from({ length: 300 }, (_, i) => `route: streamed answer ${i}`)
    const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key })
    expect(response.status).toBe(200)
    const json = (await response.json()) as EmbeddingsBody
    expect(json.data).toHaveLength(300)
    expect(json.data.map((d) => d.index)).toEqual(input.map((_, i) => i))
    const alone = await embed({ input: input[299] })
    expect(vectorOf(json, 299)).toEqual(vectorOf(alone.json))
    expect(json.usage.prompt_tokens).toBeGreaterThan(300)
  })

  it('reports a partial hit and sends only the misses', async () => {
    // A node of this file's own behind a gate, which records every input it is sent.
    const node = 'route-misses'
    const pool = { NODE_URLS: await startNode(node) }
    const known = await embed({ input: 'route: partial known' }, key, pool)
    await resetNodeStats(node)
    const { response, json } = await embed(
      { input: ['route: partial known', 'route: partial new'] },
      key,
      pool,
    )
    expect(response.headers.get('x-cache')).toBe('partial')
    expect(json.data).toHaveLength(2)
    expect(vectorOf(json, 0)).toEqual(vectorOf(known.json))
    const sent = await nodeStats(node)
    expect(sent).toMatchObject({ embedCalls: 1, inputs: ['text:route: partial new'] })
  })

  it('computes a repeated input once and answers it at every position', async () => {
    const cachedEntries = async () =>
      (await env.VECTOR_CACHE.list({ prefix: 'v1:t-route-tenant:' })).keys.length
    const twin = await embed({ input: 'route: twin' })
    const other = await embed({ input: 'route: other' })
    const before = await cachedEntries()
    const { json } = await embed({
      input: ['route: fresh twin', 'route: fresh twin', 'route: twin'],
    })
    expect(await cachedEntries()).toBe(before + 1)
    expect(vectorOf(json, 1)).toEqual(vectorOf(json, 0))
    expect(vectorOf(json, 2)).toEqual(vectorOf(twin.json))
    const mixed = await embed({ input: ['route: twin', 'route: other', 'route: twin'] })
    expect(mixed.json.usage.prompt_tokens).toBe(
      2 * twin.json.usage.prompt_tokens + other.json.usage.prompt_tokens,
    )
  })

  it('projects to `dimensions`: the renormalized prefix of the full vector', async () => {
    const full = vectorOf((await embed({ input: 'route: matryoshka' })).json)
    const short = vectorOf((await embed({ input: 'route: matryoshka', dimensions: 64 })).json)
    expect(short).toHaveLength(64)
    expect(Math.hypot(...short)).toBeCloseTo(1, 5)
    const expected = prefixAtUnitLength(full, 64)
    short.forEach((x, i) => expect(x).toBeCloseTo(expected[i], 6))
  })

  it("answers at the tenant's maximum dimensions and refuses more", async () => {
    const full = vectorOf((await embed({ input: 'route: capped' })).json)
    const capped = vectorOf((await embed({ input: 'route: capped' }, cappedKey)).json)
    expect(capped).toHaveLength(128)
    const expected = prefixAtUnitLength(full, 128)
    capped.forEach((x, i) => expect(x).toBeCloseTo(expected[i], 6))
    expect(
      vectorOf((await embed({ input: 'route: capped', dimensions: 64 }, cappedKey)).json),
    ).toHaveLength(64)
    const over = await postEmbeddings(
      { model: DEFAULT_MODEL, input: 'route: capped', dimensions: 256 },
      { key: cappedKey },
    )
    expect(over.status).toBe(403)
    expect(((await over.json()) as { error: { param: string } }).error.param).toBe('dimensions')
  })

  it('encodes base64 as the same little-endian float32 numbers', async () => {
    const float = vectorOf((await embed({ input: 'route: base64' })).json)
    const { json } = await embed({ input: 'route: base64', encoding_format: 'base64' })
    expect(typeof json.data[0].embedding).toBe('string')
    // The float answer is written in short float32 digits (float32-json.ts): read it as float32.
    expect(base64ToVector(json.data[0].embedding as string)).toEqual(Float32Array.from(float))
  })

  it('changes a query with an instruction and embeds documents as they are', async () => {
    const text = 'route: how do cats sleep'
    const plain = vectorOf((await embed({ input: text })).json)
    const document = vectorOf(
      (await embed({ input: text, input_type: 'document', template: 'qwen3' })).json,
    )
    const query = vectorOf(
      (
        await embed({
          input: text,
          input_type: 'query',
          template: 'qwen3',
          instruction: 'Retrieve pet care advice',
        })
      ).json,
    )
    expect(document).toEqual(plain)
    expect(cosine(query, plain)).toBeLessThan(0.999)
  })

  it('puts an instruction before the text (prefix) for a model whose own template has no place for one', async () => {
    const instruction = 'Represent this for general embedding:'
    const prefixed = await embed({ input: 'route: prefix', instruction })
    const spelled = await embed({ input: `${instruction} route: prefix`, template: 'none' })
    expect(vectorOf(prefixed.json)).toEqual(vectorOf(spelled.json))
    const named = await embed({ input: 'route: prefix', instruction, template: 'prefix' })
    expect(vectorOf(named.json)).toEqual(vectorOf(spelled.json))
  })

  it('refuses a field the named template has no place for, naming the field', async () => {
    for (const [body, param] of [
      [{ instruction: 'Retrieve things', template: 'none' }, 'instruction'],
      [{ task_type: 'code', template: 'none' }, 'task_type'],
      [{ use_case: 'clustering', template: 'prefix', instruction: 'x' }, 'use_case'],
    ] as const) {
      const response = await postEmbeddings({ model: DEFAULT_MODEL, input: 'x', ...body }, { key })
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error: { param: string } }).error.param).toBe(param)
    }
  })

  it('applies represent when task_type or use_case come without a template', async () => {
    const given = await embed({
      input: 'route: represent',
      task_type: 'code',
      use_case: 'clustering',
    })
    const spelled = await embed({
      input: 'Represent the code for clustering: route: represent',
      template: 'none',
    })
    expect(vectorOf(given.json)).toEqual(vectorOf(spelled.json))
  })

  it("never serves one tenant's cached vector to another", async () => {
    const input = 'route: tenant isolation'
    await embed({ input })
    const again = await embed({ input })
    const other = await embed({ input }, otherTenantKey)
    expect(again.response.headers.get('x-cache')).toBe('hit')
    expect(other.response.headers.get('x-cache')).toBe('miss')
  })

  it('keeps odd but valid text working: emoji, CJK, lone surrogates, over-long input', async () => {
    const { json } = await embed({
      input: ['🙂🚀 emoji', '日本語のテキストです', 'lone \uD800 surrogate', 'long '.repeat(5000)],
    })
    expect(json.data).toHaveLength(4)
    for (const item of json.data)
      expect(Math.hypot(...(item.embedding as number[]))).toBeCloseTo(1, 4)
  })

  it('refuses over-long input with 422 when truncation is turned off', async () => {
    const response = await postEmbeddings(
      { model: DEFAULT_MODEL, input: 'long '.repeat(5000), truncate: false },
      { key },
    )
    expect(response.status).toBe(422)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'input_too_long',
    )
  })
})

describe('POST /v1/embeddings refusals', () => {
  async function expectError(response: Response, status: number, param?: string) {
    const text = await response.text()
    expect(response.status, text).toBe(status)
    const json = JSON.parse(text) as {
      error: { message: string; type: string; param: string | null }
    }
    expect(json.error.message.length).toBeGreaterThan(0)
    expect(typeof json.error.type).toBe('string')
    if (param !== undefined) expect(json.error.param).toBe(param)
  }

  it('404 for a model nobody serves, 403 for a model the key may not use', async () => {
    await expectError(
      await postEmbeddings({ model: 'no-such-model', input: 'x' }, { key }),
      404,
      'model',
    )
    await expectError(
      await postEmbeddings({ model: DEFAULT_MODEL, input: 'x' }, { key: restrictedKey }),
      403,
      'model',
    )
  })

  it('400 for dimensions above the model size', async () => {
    await expectError(
      await postEmbeddings({ model: DEFAULT_MODEL, input: 'x', dimensions: 513 }, { key }),
      400,
      'dimensions',
    )
  })

  it('400 for bad fields, an unknown template, malformed JSON', async () => {
    await expectError(
      await postEmbeddings({ model: DEFAULT_MODEL, input: '' }, { key }),
      400,
      'input',
    )
    await expectError(
      await postEmbeddings({ model: DEFAULT_MODEL, input: 'x', template: 'nope' }, { key }),
      400,
      'template',
    )
    await expectError(await postEmbeddings('{"model": "x", "input": ', { key }), 400)
  })

  it('415 for a body that is not declared as JSON', async () => {
    await expectError(
      await postEmbeddings(
        { model: DEFAULT_MODEL, input: 'x' },
        { key, headers: { 'content-type': 'text/plain' } },
      ),
      415,
    )
  })

  it('413 for a body over the limit', async () => {
    const response = await postEmbeddings(
      { model: DEFAULT_MODEL, input: 'x'.repeat(2000) },
      { key, overrides: { MAX_BODY_BYTES: '1000' } },
    )
    await expectError(response, 413)
  })
})
