/**
 * Who starts the edge's background health checks of the nodes: only the requests that send
 * them work. Reading the model catalog (every embeddings request does, and GET /v1/models) and
 * answering from the cache send a node nothing, so they probe nothing either. One real node
 * behind a gate that counts its /ready calls.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import {
  DEFAULT_MODEL,
  callEdge,
  postEmbeddings,
  seedTenant,
} from '../../test/support/edge-harness.ts'
import { nodeStats, resetNodeStats, startNode } from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

const key = 'sk-test-health-triggers-0001'
const node = 'health-triggers-node'
const HEALTH_INTERVAL_MS = 100
let pool: Partial<Env>

beforeAll(async () => {
  await seedTenant({ id: 'health-triggers' }, key)
  pool = poolOverrides([await startNode(node)], { healthIntervalMs: HEALTH_INTERVAL_MS })
})

/** Resolves once the request and its background work (any health check it started) are done. */
async function embed(input: string[]): Promise<void> {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key, overrides: pool })
  expect(response.status).toBe(200)
  await response.body?.cancel()
}

async function listModels(): Promise<void> {
  const response = await callEdge(
    '/v1/models',
    { headers: { authorization: `Bearer ${key}` } },
    pool,
  )
  expect(response.status).toBe(200)
  await response.body?.cancel()
}

describe('background health checks', () => {
  it('are started by requests that send a node work, not by cache hits or model lists', async () => {
    const cached = `health triggers: cached ${crypto.randomUUID()}`
    await embed([cached]) // a miss: the node computes it, and the edge keeps it

    await resetNodeStats(node)
    for (let round = 0; round < 4; round++) {
      // Each round comes after a full health interval: a check would be due at every request.
      await new Promise((resolve) => setTimeout(resolve, 2 * HEALTH_INTERVAL_MS))
      await embed([cached])
      await listModels()
    }
    const quiet = await nodeStats(node)
    expect(quiet.embedCalls).toBe(0) // every round was answered from the cache
    expect(quiet.readyCalls).toBe(0)

    await new Promise((resolve) => setTimeout(resolve, 2 * HEALTH_INTERVAL_MS))
    await embed([`health triggers: new ${crypto.randomUUID()}`])
    const busy = await nodeStats(node)
    expect(busy.embedCalls).toBe(1)
    expect(busy.readyCalls).toBeGreaterThan(0)
  })
})
