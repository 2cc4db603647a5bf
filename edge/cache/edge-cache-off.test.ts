/**
 * A tenant with `edge_cache: false` (vectors that may not be stored at the edge): the edge keeps
 * none of its vectors or answers, in any tier, and every request's inputs go to a node; another
 * tenant sending the same text is still answered from the cache. One real node behind a gate
 * that counts its embed calls, and the real KV.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import { isolateMemory, resetIsolateMemory } from '../isolate/isolate-memory.ts'
import { DEFAULT_MODEL, env, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import { nodeStats, resetNodeStats, startNode } from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

const offKey = 'sk-test-edge-cache-off-0001'
const onKey = 'sk-test-edge-cache-on-0001'
const node = 'edge-cache-off-node'
let pool: Partial<Env>

beforeAll(async () => {
  await seedTenant({ id: 'edge-cache-off', edge_cache: false }, offKey)
  await seedTenant({ id: 'edge-cache-on' }, onKey)
  pool = poolOverrides([await startNode(node)])
})

async function embed(key: string, input: string[]) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key, overrides: pool })
  const text = await response.text()
  expect(response.status, text).toBe(200)
  return { cache: response.headers.get('x-cache'), body: JSON.parse(text) }
}

/** The tenant's entries in KV (its scope is `t-{id}`). */
async function kvEntries(tenantId: string): Promise<number> {
  return (await env.VECTOR_CACHE.list({ prefix: `v1:t-${tenantId}:` })).keys.length
}

describe('edge_cache: false', () => {
  it('keeps nothing at the edge: the same request goes to a node every time', async () => {
    const input = [`edge cache off ${crypto.randomUUID()}`, `edge cache off ${crypto.randomUUID()}`]
    await embed(offKey, ['edge cache off: the tenant record and the catalog, read once'])
    await resetNodeStats(node)
    resetIsolateMemory()
    const first = await embed(offKey, input)
    const again = await embed(offKey, input)
    expect([first.cache, again.cache]).toEqual(['miss', 'miss'])
    expect(again.body.data).toEqual(first.body.data) // the node's own cache answered alike
    expect((await nodeStats(node)).embedCalls).toBe(2)
    expect(await kvEntries('edge-cache-off')).toBe(0)
    // Nor in this isolate's memory: no vector, no answer, no embedding's text.
    const { vectors, answers, embeddingJson, inFlight } = isolateMemory
    expect([vectors?.size ?? 0, answers.size, embeddingJson.size, inFlight.size]).toEqual([
      0, 0, 0, 0,
    ])
  })

  it("leaves other tenants' caching as it is", async () => {
    const input = [`edge cache on ${crypto.randomUUID()}`]
    await resetNodeStats(node)
    expect((await embed(onKey, input)).cache).toBe('miss')
    expect((await embed(onKey, input)).cache).toBe('hit')
    expect((await nodeStats(node)).embedCalls).toBe(1)
    expect(await kvEntries('edge-cache-on')).toBeGreaterThan(0)
  })
})
