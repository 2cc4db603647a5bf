import { inject } from 'vitest'
import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MODEL, env, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import { cacheApi, cacheApiUrl } from './cache-api-tier.ts'
import { resetIsolateMemory } from '../isolate/isolate-memory.ts'

/**
 * A tenant-scoped entry is never served to another tenant, whichever tier
 * holds it. Each case leaves the owner's entry in exactly one tier and points
 * the edge at a dead node: the owner still gets a hit from that tier, and any
 * other tenant gets the 503 of an input that needs inference, not the vector.
 */
const ORIGIN = 'http://edge.test'
const dead = { NODE_URL: inject('deadNodeUrl') }
const keys = {
  owner: 'sk-test-iso-owner-0001',
  other: 'sk-test-iso-other-0001',
  sharedA: 'sk-test-iso-shared-a-0001',
  sharedB: 'sk-test-iso-shared-b-0001',
}

beforeAll(async () => {
  await seedTenant({ id: 'iso-owner' }, keys.owner)
  await seedTenant({ id: 'iso-other' }, keys.other)
  await seedTenant({ id: 'iso-shared-a', cache_scope: 'shared' }, keys.sharedA)
  await seedTenant({ id: 'iso-shared-b', cache_scope: 'shared' }, keys.sharedB)
})

async function embed(input: string, apiKey: string, overrides: object = {}) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key: apiKey, overrides })
  await response.body?.cancel()
  return { status: response.status, cache: response.headers.get('x-cache') }
}

/** Embeds `input` as the owner and returns the single KV key that created. */
async function ownerEntry(input: string): Promise<string> {
  const prefix = 'v1:t-iso-owner:'
  const before = new Set((await env.VECTOR_CACHE.list({ prefix })).keys.map((k) => k.name))
  expect((await embed(input, keys.owner)).cache).toBe('miss')
  const added = (await env.VECTOR_CACHE.list({ prefix })).keys.filter((k) => !before.has(k.name))
  expect(added).toHaveLength(1)
  return added[0].name
}

async function expectOnlyOwnerServed(input: string): Promise<void> {
  expect(await embed(input, keys.other, dead)).toEqual({ status: 503, cache: null })
  expect(await embed(input, keys.owner, dead)).toEqual({ status: 200, cache: 'hit' })
}

describe('cache scope', () => {
  it('keeps an entry held only in the isolate LRU to its tenant', async () => {
    const key = await ownerEntry('isolation: in memory only')
    await env.VECTOR_CACHE.delete(key)
    expect(await cacheApi()!.match(cacheApiUrl(ORIGIN, key))).toBeUndefined()
    await expectOnlyOwnerServed('isolation: in memory only')
  })

  it('keeps an entry held only in the Cache API to its tenant', async () => {
    const key = await ownerEntry('isolation: in the cache api only')
    resetIsolateMemory()
    expect((await embed('isolation: in the cache api only', keys.owner)).cache).toBe('hit') // KV → Cache API
    await env.VECTOR_CACHE.delete(key)
    resetIsolateMemory()
    await expectOnlyOwnerServed('isolation: in the cache api only')
  })

  it('keeps an entry held only in KV to its tenant', async () => {
    const key = await ownerEntry('isolation: in kv only')
    expect(await cacheApi()!.match(cacheApiUrl(ORIGIN, key))).toBeUndefined()
    resetIsolateMemory()
    await expectOnlyOwnerServed('isolation: in kv only')
  })

  it('shares entries between tenants that opted into the shared scope, and only them', async () => {
    expect((await embed('isolation: shared pool', keys.sharedA)).cache).toBe('miss')
    expect(await embed('isolation: shared pool', keys.sharedB, dead)).toEqual({
      status: 200,
      cache: 'hit',
    })
    expect((await embed('isolation: shared pool', keys.owner, dead)).status).toBe(503)
  })
})
