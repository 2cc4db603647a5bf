import { beforeAll, describe, expect, it } from 'vitest'
import {
  countingKv,
  KV_OPERATIONS_PER_INVOCATION,
  kvCalls,
  type KvCalls,
} from '../../test/support/counting-kv.ts'
import {
  DEFAULT_MODEL,
  env,
  postEmbeddings,
  seedTenant,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'
import { cacheApi, cacheApiUrl } from './cache-api-tier.ts'
import { resetIsolateMemory } from '../isolate/isolate-memory.ts'
import { MAX_KV_WRITES } from './kv-budget.ts'

/**
 * Cloudflare allows one invocation 1,000 KV operations, and a request may carry
 * 2048 inputs. Every request here goes through the real edge with both KV
 * bindings behind one counter that refuses calls past the platform's limit, as
 * the platform does; the tiers would turn a refusal into a miss, so each
 * request asserts that none was refused.
 */
const ORIGIN = 'http://edge.test'
const TENANT = 'kv-ops'
const key = 'sk-test-kv-ops-0001'
const INPUTS = Array.from({ length: 2048 }, (_, i) => `kv operations: distinct input ${i}`)

beforeAll(async () => {
  await seedTenant({ id: TENANT }, key)
})

async function embedCounted(input: string[]) {
  const calls = kvCalls()
  const limit = KV_OPERATIONS_PER_INVOCATION
  // The vector cache's own calls too: a fresh isolate also writes the model catalog to CONTROL_KV.
  const vectorCache = countingKv(countingKv(env.VECTOR_CACHE, { calls, limit }).kv)
  const overrides = {
    VECTOR_CACHE: vectorCache.kv,
    CONTROL_KV: countingKv(env.CONTROL_KV, { calls, limit }).kv,
  }
  const response = await postEmbeddings(
    { model: DEFAULT_MODEL, input, encoding_format: 'base64' },
    { key, overrides },
  )
  const text = await response.text()
  expect(response.status, text.slice(0, 300)).toBe(200)
  expect(calls.refused, `KV calls refused past the limit: ${describeCalls(calls)}`).toBe(0)
  const body = JSON.parse(text) as EmbeddingsBody
  return {
    cache: response.headers.get('x-cache'),
    calls,
    vectorCacheCalls: vectorCache.calls,
    vectors: body.data.map((d) => d.embedding),
  }
}

const describeCalls = (calls: KvCalls) =>
  `${calls.operations} operations (${calls.reads} reads, ${calls.writes} writes), ${calls.refused} refused`

/** Every KV entry of the tenant (its scope is `t-{id}`). */
async function storedKeys(): Promise<string[]> {
  const names: string[] = []
  let cursor: string | undefined
  do {
    const page = await env.VECTOR_CACHE.list({ prefix: `v1:t-${TENANT}:`, cursor })
    names.push(...page.keys.map((k) => k.name))
    cursor = page.list_complete ? undefined : page.cursor
  } while (cursor)
  return names
}

describe('KV operations per request', () => {
  it('stay under the platform limit for 2048 distinct misses, and for 2048 KV hits', async () => {
    const first = await embedCounted(INPUTS)
    expect(first.cache).toBe('miss')

    // Each repeat from a fresh isolate is answered from what earlier requests stored, and
    // stores up to MAX_KV_WRITES more: KV holds every vector once `missing` requests missed.
    const missing = Math.ceil(INPUTS.length / MAX_KV_WRITES)
    for (let request = 2; request <= missing + 1; request++) {
      resetIsolateMemory()
      const again = await embedCounted(INPUTS)
      expect(again.cache, `request ${request}`).toBe(request <= missing ? 'partial' : 'hit')
      expect(again.vectors).toEqual(first.vectors)
    }
    const names = await storedKeys()
    expect(names).toHaveLength(INPUTS.length)

    // Now KV alone holds them: no isolate memory, no Cache API copies.
    resetIsolateMemory()
    await Promise.all(names.map((name) => cacheApi()!.delete(cacheApiUrl(ORIGIN, name))))
    const fromKv = await embedCounted(INPUTS)
    expect(fromKv.cache).toBe('hit')
    expect(fromKv.vectorCacheCalls.writes).toBe(0)
    expect(fromKv.vectors).toEqual(first.vectors)
  })
})
