/**
 * Every node at capacity: each answers 429 with a Retry-After (its gate
 * answers for it, as a full node does), so no node is left to retry on, and
 * the client gets 503 with the Retry-After of the node that will take traffic
 * soonest, not a made-up one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import { DEFAULT_MODEL, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import { fillNode, nodeStats, resetNodeStats, startNode } from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

const key = 'sk-test-full-pool-0001'
const [soon, later] = ['full-pool-a', 'full-pool-b']
let pool: Partial<Env>

beforeAll(async () => {
  await seedTenant({ id: 'full-pool' }, key)
  pool = poolOverrides([await startNode(soon), await startNode(later)], {
    healthIntervalMs: 600_000,
  })
  const warm = await postEmbeddings(
    { model: DEFAULT_MODEL, input: 'full pool: warm' },
    { key, overrides: pool },
  )
  expect(warm.status).toBe(200)
})

afterAll(async () => {
  await Promise.all([fillNode(soon, null), fillNode(later, null)])
})

describe('every node at capacity', () => {
  it('answers 503 with the Retry-After of the node that is back first', async () => {
    await fillNode(soon, 20)
    await fillNode(later, 25)
    await resetNodeStats(soon, later)
    const inputs = Array.from({ length: 16 }, (_, i) => `full pool: ${i} ${crypto.randomUUID()}`)
    const response = await postEmbeddings(
      { model: DEFAULT_MODEL, input: inputs },
      { key, overrides: pool },
    )
    const json = (await response.json()) as { error?: { code: string } }
    expect(response.status).toBe(503)
    expect(json.error?.code).toBe('origin_unavailable')
    // Both were asked (each for its own keys), and both said they were full.
    expect((await nodeStats(soon)).embedCalls).toBeGreaterThan(0)
    expect((await nodeStats(later)).embedCalls).toBeGreaterThan(0)
    // 20 s from when the first node said so: whole seconds, never more, and far from the 1 s
    // the edge says when no node named a time.
    const retryAfter = Number(response.headers.get('retry-after'))
    expect(retryAfter).toBeLessThanOrEqual(20)
    expect(retryAfter).toBeGreaterThan(10)
  })
})
