/**
 * GPU regions (NODE_POOLS): a miss goes to the region nearest the colo that took the request
 * (`request.cf`), and to the next nearest when that region cannot take it. Two real nodes,
 * one per region, named in a different order than either caller's nearest.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import { DEFAULT_MODEL, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import {
  fillNode,
  killNode,
  nodeStats,
  resetNodeStats,
  startNode,
} from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

const key = 'sk-test-regions-0001'
const [asia, europe] = ['regions-asia', 'regions-europe']
const SYDNEY = { latitude: '-33.86880', longitude: '151.20930', colo: 'SYD', continent: 'OC' }
const FRANKFURT = { latitude: '50.11090', longitude: '8.68213', colo: 'FRA', continent: 'EU' }
let pools: Partial<Env>

beforeAll(async () => {
  await seedTenant({ id: 'regions' }, key)
  const [asiaUrl, europeUrl] = [await startNode(asia), await startNode(europe)]
  pools = {
    ...poolOverrides([]),
    NODE_POOLS: JSON.stringify([
      { region: 'eu-central', lat: 50.11, lon: 8.68, urls: [europeUrl] },
      { region: 'ap-southeast', lat: 1.35, lon: 103.82, urls: [asiaUrl] },
    ]),
  }
})

/** Sends `count` new inputs as from `cf`; resolves with the status and each node's embed calls. */
async function missesFrom(
  cf: Record<string, string>,
  label: string,
  overrides = pools,
  count = 12,
) {
  await resetNodeStats(asia, europe)
  const input = Array.from(
    { length: count },
    (_, i) => `regions: ${label} ${i} ${crypto.randomUUID()}`,
  )
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key, overrides, cf })
  const body = await response.text()
  return {
    status: response.status,
    body,
    asia: (await nodeStats(asia)).embedCalls,
    europe: (await nodeStats(europe)).embedCalls,
  }
}

describe('GPU regions', () => {
  it("sends a colo's misses to its nearest region, whatever order the regions are listed in", async () => {
    const fromSydney = await missesFrom(SYDNEY, 'sydney')
    expect(fromSydney.status, fromSydney.body).toBe(200)
    expect([fromSydney.asia > 0, fromSydney.europe]).toEqual([true, 0])

    const fromFrankfurt = await missesFrom(FRANKFURT, 'frankfurt')
    expect(fromFrankfurt.status, fromFrankfurt.body).toBe(200)
    expect([fromFrankfurt.europe > 0, fromFrankfurt.asia]).toEqual([true, 0])

    // The same regions written in wrangler.toml as a TOML array reach the worker parsed.
    const asArray = { ...pools, NODE_POOLS: JSON.parse(pools.NODE_POOLS as string) as unknown[] }
    const fromSydneyAgain = await missesFrom(SYDNEY, 'sydney, toml', asArray)
    expect([fromSydneyAgain.status, fromSydneyAgain.asia > 0, fromSydneyAgain.europe]).toEqual([
      200,
      true,
      0,
    ])
  })

  it('spills over to the next region when every node of the nearest one is full, however many it has', async () => {
    // Three full nodes (429): as many as the tries an input gets in one region.
    const full = ['regions-asia-full-1', 'regions-asia-full-2', 'regions-asia-full-3']
    const fullUrls = await Promise.all(full.map((name) => startNode(name)))
    const europeUrl = JSON.parse(pools.NODE_POOLS as string)[0].urls[0] as string
    const overrides = {
      ...pools,
      NODE_POOLS: JSON.stringify([
        { region: 'ap-southeast', lat: 1.35, lon: 103.82, urls: fullUrls },
        { region: 'eu-central', lat: 50.11, lon: 8.68, urls: [europeUrl] },
      ]),
    }
    // The pool reads every node's /info first, so all three are known to serve the model.
    await missesFrom(FRANKFURT, 'frankfurt, warming the pool', overrides)
    await Promise.all(full.map((name) => fillNode(name, 30)))
    try {
      await resetNodeStats(...full)
      // One input: it alone must try all three before it may move on.
      const fromSydney = await missesFrom(SYDNEY, 'sydney, near region full', overrides, 1)
      expect(fromSydney.status, fromSydney.body).toBe(200)
      expect(fromSydney.europe).toBeGreaterThan(0)
      // Each full node was asked and said 429 before the input moved on.
      const asked = await Promise.all(full.map(async (name) => (await nodeStats(name)).embedCalls))
      expect(asked.every((calls) => calls > 0)).toBe(true)
    } finally {
      await Promise.all(full.map((name) => fillNode(name, null)))
      await Promise.all(full.map((name) => killNode(name)))
    }
  })

  it('fails over to the next nearest region when the nearest is down, with no failed request', async () => {
    await killNode(asia)
    for (let round = 0; round < 3; round++) {
      const fromSydney = await missesFrom(SYDNEY, `sydney, asia down ${round}`)
      expect(fromSydney.status, fromSydney.body).toBe(200)
      expect(fromSydney.europe).toBeGreaterThan(0)
    }
  })

  it('refuses a NODE_POOLS it cannot use with a 503 that names the problem', async () => {
    for (const [bad, problem] of [
      ['not json', 'NODE_POOLS is not JSON'],
      [JSON.stringify([{ region: 'x', lat: 1, urls: ['https://x.example'] }]), 'lon'],
      [
        JSON.stringify([
          { region: 'x', lat: 1, lon: 2, urls: ['https://x.example'] },
          { region: 'x', lat: 3, lon: 4, urls: ['https://y.example'] },
        ]),
        'names a region twice',
      ],
    ]) {
      const response = await postEmbeddings(
        { model: DEFAULT_MODEL, input: 'regions: misconfigured' },
        { key, overrides: { ...pools, NODE_POOLS: bad }, cf: SYDNEY },
      )
      const text = await response.text()
      expect(response.status, text).toBe(503)
      expect(JSON.parse(text).error.code).toBe('edge_misconfigured')
      expect(JSON.parse(text).error.message).toContain(problem)
    }
  })
})
