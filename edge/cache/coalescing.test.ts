import { beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_MODEL,
  postEmbeddings,
  seedTenant,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'
import { nodeStats, resetNodeStats, startNode } from '../../test/support/node-control.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'

/**
 * Identical misses in flight in one isolate are computed once. The edge talks
 * to a real node behind a gate that counts the embed calls and inputs it
 * forwards, so the node's own view of the work is what is asserted.
 */
const NODE = 'coalescing'
const key = 'sk-test-coalescing-0001'
let pool: { NODE_URLS: string }

beforeAll(async () => {
  pool = { NODE_URLS: await startNode(NODE) }
  await seedTenant({ id: 'coalescing' }, key)
})

async function embed(input: string | string[]) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key, overrides: pool })
  const text = await response.text()
  expect(response.status, text).toBe(200)
  return JSON.parse(text) as EmbeddingsBody
}

describe('coalescing', () => {
  it('computes eight concurrent identical misses once', async () => {
    await embed('coalescing: warm the catalog')
    await resetNodeStats(NODE)
    const input = 'coalescing: eight at once'
    const answers = await Promise.all(Array.from({ length: 8 }, () => embed(input)))
    const stats = await nodeStats(NODE)
    expect(stats.embedCalls).toBe(1)
    expect(stats.inputs).toEqual([`text:${input}`])
    for (const answer of answers) expect(answer.data).toEqual(answers[0].data)
    expect(isolateMemory.inFlight.size).toBe(0)
  })

  it('computes an input shared by overlapping concurrent requests once', async () => {
    await resetNodeStats(NODE)
    const [x, y, z] = ['coalescing: x', 'coalescing: y', 'coalescing: z']
    const [first, second] = await Promise.all([embed([x, y]), embed([y, z])])
    const stats = await nodeStats(NODE)
    expect([...stats.inputs].sort()).toEqual([`text:${x}`, `text:${y}`, `text:${z}`])
    expect(second.data[0].embedding).toEqual(first.data[1].embedding)
  })

  it("never hands a waiting request another request's 4xx: it looks its input up itself", async () => {
    const shared = 'coalescing: shared by a refused request and a good one'
    const tooLong = `coalescing: too long ${'many words in a row '.repeat(400)}`
    const post = (input: string[]) =>
      postEmbeddings({ model: DEFAULT_MODEL, input, truncate: false }, { key, overrides: pool })
    // The first claims `shared` and sends it with an input the node refuses (422, input[1]).
    const [refused, good] = await Promise.all([post([shared, tooLong]), post([shared])])
    expect(refused.status).toBe(422)
    expect(good.status, await good.clone().text()).toBe(200)
    expect(((await good.json()) as EmbeddingsBody).data).toHaveLength(1)
    expect(isolateMemory.inFlight.size).toBe(0)
  })
})
