import { inject } from 'vitest'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_MODEL,
  cosine,
  postEmbeddings,
  seedTenant,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'

/**
 * Token-id input (`int[]`, `int[][]`) end to end: the node embeds the ids
 * without tokenizing, and the cache keys on the ids themselves. The sample
 * ids come from the default model's own tokenizer (test/setup/inference-node.ts).
 */
const sample = inject('sampleTokenIds')
const key = 'sk-test-token-ids-0001'
const otherKey = 'sk-test-token-ids-other-0001'

beforeAll(async () => {
  await seedTenant({ id: 'token-ids' }, key)
  await seedTenant({ id: 'token-ids-other' }, otherKey)
})

async function embed(input: unknown, apiKey = key) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key: apiKey })
  const text = await response.text()
  expect(response.status, text).toBe(200)
  const json = JSON.parse(text) as EmbeddingsBody
  return {
    cache: response.headers.get('x-cache'),
    vectors: json.data.map((d) => d.embedding as number[]),
    tokens: json.usage.prompt_tokens,
  }
}

describe('token-id input', () => {
  it("embeds a text's token ids to the text's own vector", async () => {
    const fromText = await embed(sample.text)
    const fromIds = await embed(sample.ids)
    expect(fromIds.vectors[0]).toHaveLength(512)
    expect(cosine(fromIds.vectors[0], fromText.vectors[0])).toBeGreaterThan(0.9999)
    expect(fromIds.tokens).toBe(fromText.tokens)
  })

  it('keys the cache on the ids: int[] and int[][] share an entry, text and other ids do not', async () => {
    const ids = [...sample.ids].reverse() // ids no other test sends
    const first = await embed(ids)
    expect(first.cache).toBe('miss')
    const nested = await embed([ids])
    expect(nested.cache).toBe('hit')
    expect(nested.vectors[0]).toEqual(first.vectors[0])

    const asText = await embed(ids.join(','))
    expect(asText.cache).toBe('miss')
    const shorter = await embed([ids.slice(1)])
    expect(shorter.cache).toBe('miss')
    const mixed = await embed([ids, ids.slice(1), ids.slice(2)])
    expect(mixed.cache).toBe('partial')
    expect(mixed.vectors[0]).toEqual(first.vectors[0])
  })

  it("never serves one tenant's token-id entry to another", async () => {
    const ids = [...sample.ids, ...sample.ids]
    expect((await embed([ids])).cache).toBe('miss')
    expect((await embed([ids])).cache).toBe('hit')
    expect((await embed([ids], otherKey)).cache).toBe('miss')
  })

  it("names the client's own index when a node refuses an id, even after cache hits", async () => {
    await embed([sample.ids]) // cached: only the second input goes to the node, as its input[0]
    const response = await postEmbeddings(
      { model: DEFAULT_MODEL, input: [sample.ids, [1, 2, 2_000_000_000]] },
      { key },
    )
    expect(response.status).toBe(400)
    const { error } = (await response.json()) as {
      error: { param: string; input_index: number; message: string }
    }
    expect(error).toMatchObject({ param: 'input[1]', input_index: 1, code: 'invalid_token_id' })
    expect(error.message).toMatch(/outside the vocabulary/)
  })
})
