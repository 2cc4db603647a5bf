/**
 * A node whose vectors drifted from their baseline (real nodes: the tiny
 * Qwen3 against a baseline of other weights under the same id): the edge
 * still answers with its vectors, but keeps them out of every cache tier and
 * out of the answer memo, and /admin/monitor shows every node's state.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { callAdmin } from '../../test/support/admin-harness.ts'
import { postEmbeddings, seedTenant, type EmbeddingsBody } from '../../test/support/edge-harness.ts'
import { startNode } from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

const key = 'sk-test-drifted-node-0001'
const MODEL = 'qwen3-tiny'
let drifted: object
let healthy: object
let both: object

beforeAll(async () => {
  await seedTenant({ id: 'drifted-node' }, key)
  const [driftedUrl, healthyUrl] = await Promise.all([
    startNode('drift-drifted', 'tiny-qwen3-drifted'),
    startNode('drift-healthy', 'tiny-qwen3'),
  ])
  drifted = poolOverrides([driftedUrl])
  healthy = poolOverrides([healthyUrl])
  both = poolOverrides([driftedUrl, healthyUrl])
})

async function embed(input: string, overrides: object) {
  const response = await postEmbeddings({ model: MODEL, input }, { key, overrides })
  const text = await response.text()
  expect(response.status, text).toBe(200)
  return { cache: response.headers.get('x-cache'), body: JSON.parse(text) as EmbeddingsBody }
}

describe('a drifted node', () => {
  it('is answered from, but nothing it computes is cached', async () => {
    const input = 'drift: asked twice of a drifted node'
    const first = await embed(input, drifted)
    const second = await embed(input, drifted)
    expect([first.cache, second.cache]).toEqual(['miss', 'miss'])
    expect(second.body.data[0].embedding).toEqual(first.body.data[0].embedding)
  })

  it('leaves a healthy node serving the same model cached as usual', async () => {
    const input = 'drift: asked twice of a healthy node'
    expect((await embed(input, healthy)).cache).toBe('miss')
    expect((await embed(input, healthy)).cache).toBe('hit')
  })

  it('shows on /admin/monitor, beside a healthy node', async () => {
    const response = await callAdmin('GET', '/monitor', undefined, { overrides: both })
    expect(response.status).toBe(200)
    const { nodes } = (await response.json()) as {
      nodes: { url: string; state: string; figures: { probe_distance: number } }[]
    }
    expect(nodes.map((node) => node.state)).toEqual(['drifted', 'ok'])
    expect(nodes[0].figures.probe_distance).toBeGreaterThan(0.02)
  })
})
