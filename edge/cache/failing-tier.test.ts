/**
 * A cache tier that fails counts as a miss, never as an error: with KV
 * throwing on every call the request is still answered by the node (200,
 * `x-cache: miss`), even for an input KV holds; with the Cache API throwing,
 * the tier below it (KV) answers instead.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Env } from '../env.ts'
import {
  DEFAULT_MODEL,
  env,
  postEmbeddings,
  seedTenant,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'
import { cacheApi } from './cache-api-tier.ts'
import { resetIsolateMemory } from '../isolate/isolate-memory.ts'

const key = 'sk-test-failing-tier-0001'

beforeAll(async () => {
  await seedTenant({ id: 'failing-tier' }, key)
})

afterEach(() => {
  vi.restoreAllMocks()
})

/** VECTOR_CACHE whose every operation fails, as KV's do when it is down or over its limits. */
function failingKv(): { kv: KVNamespace; calls: string[] } {
  const calls: string[] = []
  const kv = new Proxy(env.VECTOR_CACHE, {
    get(target, property) {
      const value = Reflect.get(target, property)
      if (typeof value !== 'function') return value
      return () => {
        calls.push(String(property))
        return Promise.reject(new Error(`KV ${String(property)} failed: 503 Service Unavailable`))
      }
    },
  })
  return { kv, calls }
}

async function embed(input: string, overrides: Partial<Env> = {}) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key, overrides })
  const json = (await response.json()) as EmbeddingsBody
  return { status: response.status, cache: response.headers.get('x-cache'), json }
}

describe('a failing cache tier', () => {
  it('is a miss when KV throws: the node answers a new input', async () => {
    const { kv, calls } = failingKv()
    const answer = await embed(`failing tier: new ${crypto.randomUUID()}`, { VECTOR_CACHE: kv })
    expect(answer.status).toBe(200)
    expect(answer.cache).toBe('miss')
    expect(answer.json.data[0].embedding.length).toBeGreaterThan(0)
    expect(calls).toContain('getWithMetadata') // KV was asked, and failed
  })

  it('is a miss when KV throws, even for an input KV holds: computed again, not an error', async () => {
    const input = `failing tier: in kv ${crypto.randomUUID()}`
    const first = await embed(input) // computed: into memory and KV
    expect(first.cache).toBe('miss')
    // As in a fresh isolate: only KV holds it (only a read from KV fills the Cache API).
    resetIsolateMemory()
    const { kv, calls } = failingKv()
    const again = await embed(input, { VECTOR_CACHE: kv })
    expect(again.status).toBe(200)
    expect(again.cache).toBe('miss')
    expect(calls).toContain('getWithMetadata')
    expect(again.json.data[0].embedding).toEqual(first.json.data[0].embedding)
  })

  it('is a miss when the Cache API throws: KV answers in its place', async () => {
    const input = `failing tier: cache api ${crypto.randomUUID()}`
    expect((await embed(input)).cache).toBe('miss')
    resetIsolateMemory()
    expect((await embed(input)).cache).toBe('hit') // read from KV, copied into the Cache API
    resetIsolateMemory()
    const match = vi
      .spyOn(cacheApi()!, 'match')
      .mockRejectedValue(new Error('Cache API read failed: 500'))
    const again = await embed(input)
    expect(match).toHaveBeenCalled()
    expect(again.status).toBe(200)
    expect(again.cache).toBe('hit')
  })
})
