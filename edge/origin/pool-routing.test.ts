import { beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_MODEL,
  callEdge,
  postEmbeddings,
  seedTenant,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'
import { nodeStats, resetNodeStats, startNode } from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

/** Routing over real nodes: rendezvous placement of keys, and routing by model id. */
const key = 'sk-test-routing-0001'
/** The same cache keys (both tenants' scope is `shared`), with nothing kept at the edge. */
const pastTheEdgeKey = 'sk-test-routing-no-edge-cache-0001'
const qwenOnlyKey = 'sk-test-routing-qwen-only-0001'
const TINY_QWEN3 = 'qwen3-tiny'

beforeAll(async () => {
  await seedTenant({ id: 'routing', cache_scope: 'shared' }, key)
  await seedTenant(
    { id: 'routing-no-edge-cache', cache_scope: 'shared', edge_cache: false },
    pastTheEdgeKey,
  )
  await seedTenant({ id: 'routing-qwen', allowed_models: [TINY_QWEN3] }, qwenOnlyKey)
})

async function embed(body: Record<string, unknown>, overrides: object, as = key) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, ...body }, { key: as, overrides })
  const text = await response.text()
  expect(response.status, text).toBe(200)
  return JSON.parse(text) as EmbeddingsBody
}

/** Which node received each input (`text:…`), from the gates' records. */
async function placement(names: string[]): Promise<Map<string, string>> {
  const where = new Map<string, string>()
  for (const name of names)
    for (const input of (await nodeStats(name)).inputs) where.set(input, name)
  return where
}

describe('rendezvous routing over two nodes', () => {
  const names = ['routing-a', 'routing-b']
  let pool: object

  beforeAll(async () => {
    pool = poolOverrides(await Promise.all(names.map((name) => startNode(name))))
  })

  it('splits one request by node, calls each node once, and sends a key to the same node again', async () => {
    const inputs = Array.from({ length: 24 }, (_, i) => `routing: placement ${i}`)
    await embed({ input: 'routing: warm the catalog' }, pool)
    await resetNodeStats(...names)
    await embed({ input: inputs }, pool)
    for (const name of names) expect((await nodeStats(name)).embedCalls).toBe(1)
    const first = await placement(names)
    expect(new Set(first.values())).toEqual(new Set(names)) // both nodes took a share
    expect(first.size).toBe(inputs.length)

    // The same keys again, regrouped and reordered, past the edge's cache: the same nodes take
    // them.
    await resetNodeStats(...names)
    const reordered = [...inputs].reverse()
    for (let i = 0; i < reordered.length; i += 8) {
      await embed({ input: reordered.slice(i, i + 8) }, pool, pastTheEdgeKey)
    }
    expect(await placement(names)).toEqual(first)
  })
})

describe('several models', () => {
  const lite = 'routing-a' // the use-lite-en node of the block above, reused
  const qwen = 'routing-qwen'
  let pool: object

  beforeAll(async () => {
    pool = poolOverrides([await startNode(lite), await startNode(qwen, 'tiny-qwen3')])
  })

  const listModels = async (apiKey: string) => {
    const response = await callEdge(
      '/v1/models',
      { headers: { authorization: `Bearer ${apiKey}` } },
      pool,
    )
    return ((await response.json()) as { data: { id: string; dimensions: number }[] }).data
  }

  it('lists the union of what the nodes serve, filtered by what the key may use', async () => {
    const all = await listModels(key)
    expect(all.map((m) => m.id).sort()).toEqual([TINY_QWEN3, DEFAULT_MODEL].sort())
    expect(all.find((m) => m.id === TINY_QWEN3)?.dimensions).toBe(64)
    expect((await listModels(qwenOnlyKey)).map((m) => m.id)).toEqual([TINY_QWEN3])
  })

  it('routes each request to a node that serves its model', async () => {
    await resetNodeStats(lite, qwen)
    const small = await embed({ model: TINY_QWEN3, input: 'routing: to the qwen node' }, pool)
    expect(small.model).toBe(TINY_QWEN3)
    expect(small.data[0].embedding).toHaveLength(64)
    const large = await embed({ input: 'routing: to the lite node' }, pool)
    expect(large.data[0].embedding).toHaveLength(512)
    expect((await nodeStats(qwen)).inputs).toEqual(['text:routing: to the qwen node'])
    expect((await nodeStats(lite)).inputs).toEqual(['text:routing: to the lite node'])
  })
})
