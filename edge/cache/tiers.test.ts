import { inject } from 'vitest'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { countingKv } from '../../test/support/counting-kv.ts'
import { DEFAULT_MODEL, env, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import { cacheApi, cacheApiUrl } from './cache-api-tier.ts'
import { isolateMemory, resetIsolateMemory } from '../isolate/isolate-memory.ts'

const ORIGIN = 'http://edge.test' // the harness's request origin
const key = 'sk-test-tiers-0001'
const shortTtlKey = 'sk-test-tiers-short-0001'
const budgetKey = 'sk-test-tiers-budget-0001'
const dead = { NODE_URL: inject('deadNodeUrl') }

beforeAll(async () => {
  await seedTenant({ id: 'tiers' }, key)
  await seedTenant({ id: 'tiers-short', cache_ttl_seconds: 120 }, shortTtlKey)
  await seedTenant({ id: 'tiers-budget' }, budgetKey)
})

afterEach(() => {
  vi.useRealTimers()
})

async function embed(
  input: string | string[],
  options: { apiKey?: string; overrides?: object } = {},
) {
  const response = await postEmbeddings(
    { model: DEFAULT_MODEL, input },
    { key: options.apiKey ?? key, overrides: options.overrides },
  )
  const text = await response.text()
  return {
    response,
    status: response.status,
    cache: response.headers.get('x-cache'),
    tier: response.headers.get('x-cache-tier'),
    text,
  }
}

/** A tenant's KV entries (its scope is `t-{id}`). */
async function kvKeysOf(tenantId: string): Promise<{ name: string; expiration?: number }[]> {
  return (await env.VECTOR_CACHE.list({ prefix: `v1:t-${tenantId}:` })).keys
}

async function onlyNewKey(tenantId: string, before: Set<string>): Promise<string> {
  const added = (await kvKeysOf(tenantId)).filter((k) => !before.has(k.name))
  expect(added).toHaveLength(1)
  return added[0].name
}

const namesOf = async (tenantId: string) => new Set((await kvKeysOf(tenantId)).map((k) => k.name))

describe('cache tiers', () => {
  it('answers an isolate-LRU hit without touching KV', async () => {
    const first = await embed('tiers: lru only')
    expect([first.cache, first.tier]).toEqual(['miss', 'node'])
    const { kv, calls } = countingKv(env.VECTOR_CACHE)
    const again = await embed('tiers: lru only', { overrides: { VECTOR_CACHE: kv } })
    expect([again.cache, again.tier]).toEqual(['hit', 'memo'])
    expect(calls.reads).toBe(0)
    // A new body for the same input: the answer memo cannot replay it, the isolate tier answers.
    const reordered = await embed(['tiers: lru only'], { overrides: { VECTOR_CACHE: kv } })
    expect([reordered.cache, reordered.tier]).toEqual(['hit', 'isolate'])
    expect(calls.reads).toBe(0)
  })

  it('writes a computed vector to memory and KV; a KV hit fills the LRU and the Cache API', async () => {
    const before = await namesOf('tiers')
    await embed('tiers: from kv')
    const cacheKey = await onlyNewKey('tiers', before)
    expect(await cacheApi()!.match(cacheApiUrl(ORIGIN, cacheKey))).toBeUndefined()
    resetIsolateMemory()

    const { kv, calls } = countingKv(env.VECTOR_CACHE)
    const fromKv = await embed('tiers: from kv', { overrides: { VECTOR_CACHE: kv } })
    expect([fromKv.cache, fromKv.tier]).toEqual(['hit', 'lower'])
    expect(calls.reads).toBe(1)
    expect(await cacheApi()!.match(cacheApiUrl(ORIGIN, cacheKey))).toBeDefined()
    const fromMemory = await embed('tiers: from kv', { overrides: { VECTOR_CACHE: kv } })
    expect(fromMemory.cache).toBe('hit')
    expect(calls.reads).toBe(1)
    expect(JSON.parse(fromMemory.text).data).toEqual(JSON.parse(fromKv.text).data)
  })

  it('answers from the Cache API without KV and copies the entry back into the LRU', async () => {
    const before = await namesOf('tiers')
    const first = await embed('tiers: from cache api')
    const cacheKey = await onlyNewKey('tiers', before)
    resetIsolateMemory()
    await embed('tiers: from cache api') // from KV, which fills the Cache API
    resetIsolateMemory()

    const { kv, calls } = countingKv(env.VECTOR_CACHE)
    const fromCacheApi = await embed('tiers: from cache api', { overrides: { VECTOR_CACHE: kv } })
    expect([fromCacheApi.cache, fromCacheApi.tier]).toEqual(['hit', 'lower'])
    expect(calls.reads).toBe(0)
    await cacheApi()!.delete(cacheApiUrl(ORIGIN, cacheKey))
    const fromMemory = await embed('tiers: from cache api', { overrides: { VECTOR_CACHE: kv } })
    expect(fromMemory.cache).toBe('hit')
    expect(calls.reads).toBe(0)
    expect(JSON.parse(fromMemory.text).data).toEqual(JSON.parse(first.text).data)
  })

  it("stores each entry for its tenant's TTL in KV and in the Cache API", async () => {
    const before = await namesOf('tiers-short')
    const startedAt = Date.now() / 1000
    await embed('tiers: short ttl', { apiKey: shortTtlKey })
    const cacheKey = await onlyNewKey('tiers-short', before)
    const [entry] = (await kvKeysOf('tiers-short')).filter((k) => k.name === cacheKey)
    expect(entry.expiration! - startedAt).toBeGreaterThan(110)
    expect(entry.expiration! - startedAt).toBeLessThan(130)
    resetIsolateMemory()
    await embed('tiers: short ttl', { apiKey: shortTtlKey }) // from KV, into the Cache API
    const stored = await cacheApi()!.match(cacheApiUrl(ORIGIN, cacheKey))
    const maxAge = Number(/max-age=(\d+)/.exec(stored!.headers.get('cache-control') ?? '')?.[1])
    expect(maxAge).toBeGreaterThan(110)
    expect(maxAge).toBeLessThanOrEqual(120)

    const beforeLong = await namesOf('tiers')
    await embed('tiers: long ttl')
    const longKey = await onlyNewKey('tiers', beforeLong)
    const [long] = (await kvKeysOf('tiers')).filter((k) => k.name === longKey)
    expect(long.expiration! - startedAt).toBeGreaterThan(29 * 24 * 3600)
  })

  it("stops serving an entry from every tier once its tenant's TTL has passed", async () => {
    for (const [input, apiKey] of [
      ['tiers: expires', shortTtlKey],
      ['tiers: outlives it', key],
    ]) {
      await embed(input, { apiKey }) // computed: memory and KV
      resetIsolateMemory()
      await embed(input, { apiKey }) // read from KV: the Cache API and memory again
    }
    // Every tier holds both entries now. With the node gone, only a served entry can answer.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 121_000)
    const expired = await embed('tiers: expires', { apiKey: shortTtlKey, overrides: dead })
    expect(expired.status).toBe(503)
    const alive = await embed('tiers: outlives it', { overrides: dead })
    expect(alive.status).toBe(200)
    expect(alive.cache).toBe('hit')
  })

  it('keeps the isolate LRU within its byte budget, dropping the least recently used', async () => {
    const budget = { ISOLATE_CACHE_BYTES: String(3 * 2400) } // about three 512-d vectors
    const inputs = Array.from({ length: 6 }, (_, i) => `tiers: budget ${i}`)
    const before = await namesOf('tiers-budget')
    await embed(inputs[0], { apiKey: budgetKey, overrides: budget })
    const oldestKey = await onlyNewKey('tiers-budget', before)
    for (const input of inputs.slice(1))
      await embed(input, { apiKey: budgetKey, overrides: budget })
    const vectors = isolateMemory.vectors!
    expect(vectors.calculatedSize).toBeLessThanOrEqual(3 * 2400)
    expect(vectors.size).toBeLessThanOrEqual(3)

    const { kv, calls } = countingKv(env.VECTOR_CACHE)
    const overrides = { ...budget, VECTOR_CACHE: kv }
    expect((await embed(inputs[5], { apiKey: budgetKey, overrides })).cache).toBe('hit')
    expect(calls.reads).toBe(0) // the newest is in memory
    await cacheApi()!.delete(cacheApiUrl(ORIGIN, oldestKey))
    expect((await embed(inputs[0], { apiKey: budgetKey, overrides })).cache).toBe('hit')
    expect(calls.reads).toBe(1) // the oldest was dropped from memory: KV answered
  })
})
