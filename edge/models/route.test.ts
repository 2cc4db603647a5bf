import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MODEL, callEdge, seedTenant } from '../../test/support/edge-harness.ts'

beforeAll(async () => {
  await seedTenant({ id: 'models-all' }, 'sk-test-models-all')
  await seedTenant({ id: 'models-none', allowed_models: ['something-else'] }, 'sk-test-models-none')
})

const list = async (key: string) =>
  (await (
    await callEdge('/v1/models', { headers: { authorization: `Bearer ${key}` } })
  ).json()) as {
    object: string
    data: { id: string; object: string; dimensions: number; revision: string; variant: string }[]
  }

describe('GET /v1/models', () => {
  it('lists the served models with their size, in the OpenAI list shape', async () => {
    const body = await list('sk-test-models-all')
    expect(body.object).toBe('list')
    expect(body.data).toContainEqual(
      expect.objectContaining({ id: DEFAULT_MODEL, object: 'model', dimensions: 512 }),
    )
    // The precision variant served, and the revision that names it (and keys the cache).
    const served = body.data.find((model) => model.id === DEFAULT_MODEL)!
    expect(served.variant).toBe('fp32')
    expect(served.revision).toMatch(/\+fp32$/)
  })

  it('lists only what the key may use', async () => {
    expect((await list('sk-test-models-none')).data).toEqual([])
  })
})
