/**
 * A node that is alive but says it is not ready (its /ready answers 503, as
 * while loading or draining) gets no traffic once the edge's periodic health
 * check has seen it, although its embed endpoint still answers; and it gets
 * its share again once /ready says 200. Two real nodes behind gates; only the
 * gate's /ready answer changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import { DEFAULT_MODEL, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import {
  nodeStats,
  resetNodeStats,
  setNodeUnready,
  startNode,
} from '../../test/support/node-control.ts'
import { eventually, poolOverrides } from '../../test/support/pool-overrides.ts'

const key = 'sk-test-unready-node-0001'
const [unready, ready] = ['unready-node-a', 'unready-node-b']
let pool: Partial<Env>

beforeAll(async () => {
  await seedTenant({ id: 'unready-node' }, key)
  // Health checks every 200 ms, breaker cool-downs of 200 ms (each followed by a /ready probe).
  pool = poolOverrides([await startNode(unready), await startNode(ready)])
})

afterAll(async () => {
  await setNodeUnready(unready, false)
})

const fresh = (label: string) =>
  Array.from({ length: 24 }, (_, i) => `unready: ${label} ${i} ${crypto.randomUUID()}`)

/** Sends 24 new inputs; resolves with how many embed calls the not-ready node received. */
async function callsOnUnready(label: string): Promise<number> {
  await resetNodeStats(unready)
  const response = await postEmbeddings(
    { model: DEFAULT_MODEL, input: fresh(label) },
    { key, overrides: pool },
  )
  expect(response.status).toBe(200)
  await response.body?.cancel()
  return (await nodeStats(unready)).embedCalls
}

describe('a node whose /ready answers 503', () => {
  it('gets no embed calls once a health check has seen it, and its share again once ready', async () => {
    expect(await callsOnUnready('both ready')).toBeGreaterThan(0) // it owns a share of the keys

    await setNodeUnready(unready, true)
    // The next health check (at most 200 ms on, started by a request) takes it out of the order.
    expect(await eventually(async () => (await callsOnUnready('seen')) === 0)).toBe(true)
    // It stays out across several cool-downs, each ending in a /ready probe that fails again,
    // while its keys go to the other node: every request is answered.
    await resetNodeStats(ready)
    for (let round = 0; round < 6; round++) {
      expect(await callsOnUnready(`unready ${round}`)).toBe(0)
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
    expect((await nodeStats(ready)).embedCalls).toBeGreaterThan(0)

    await setNodeUnready(unready, false)
    expect(await eventually(async () => (await callsOnUnready('ready again')) > 0)).toBe(true)
  })
})
