/**
 * GPU regions (NODE_POOLS): a miss goes to the region nearest the colo that took the request
 * (`request.cf`), and to the next nearest when that region cannot take it. Two real nodes,
 * one per region, named in a different order than either caller's nearest.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import { DEFAULT_MODEL, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import { killNode, nodeStats, resetNodeStats, startNode } from '../../test/support/node-control.ts'
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

/** Sends 12 new inputs as from `cf`; resolves with the status and each node's embed calls. */
async function missesFrom(cf: Record<string, string>, label: string, overrides = pools) {
  await resetNodeStats(asia, europe)
  const input = Array.from(
    { length: 12 },
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
      expect(JSON.parse(text).error.code).toBe('origin_misconfigured')
      expect(JSON.parse(text).error.message).toContain(problem)
    }
  })
})
