/**
 * Steering by measured round trip (region-order.ts): a near region that turns slow loses its
 * misses to a healthy one farther away within a few requests, and wins them back once its
 * probes are fast again; each decision is visible in Server-Timing and in GET /admin/pool.
 * Distance is simulated by the node gates (test/support/node-gate.ts), which hold every
 * request to a "far" node for as long as its round trip would take.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { PoolView } from '../admin/api-types.ts'
import type { Env } from '../env.ts'
import { TEST_ADMIN_SECRET } from '../../test/support/admin-harness.ts'
import {
  DEFAULT_MODEL,
  callEdge,
  postEmbeddings,
  seedTenant,
} from '../../test/support/edge-harness.ts'
import {
  nodeStats,
  resetNodeStats,
  setNodeDistance,
  startNode,
} from '../../test/support/node-control.ts'
import { eventually, poolOverrides } from '../../test/support/pool-overrides.ts'

const key = 'sk-test-steering-0001'
const SYDNEY = { latitude: '-33.86880', longitude: '151.20930', colo: 'SYD', continent: 'OC' }
const [asia1, asia2, europe] = ['steering-asia-1', 'steering-asia-2', 'steering-europe']
let urls: Record<string, string>

beforeAll(async () => {
  // Nothing kept at the edge: every request's inputs go to a node.
  await seedTenant({ id: 'steering', edge_cache: false }, key)
  urls = Object.fromEntries(
    await Promise.all([asia1, asia2, europe].map(async (name) => [name, await startNode(name)])),
  )
})

let pools = 0

/** A pool of its own (its own isolate state) with Asia's nodes `asiaNodes` and one in Europe. */
function poolWith(asiaNodes: string[]): Partial<Env> {
  return {
    ...poolOverrides([]),
    // Only to tell this pool apart from the others: a pool is found by its settings.
    NODE_TIMEOUT_MS: String(20_000 + pools++),
    NODE_POOLS: JSON.stringify([
      { region: 'eu-central', lat: 50.11, lon: 8.68, urls: [urls[europe]] },
      { region: 'ap-southeast', lat: 1.35, lon: 103.82, urls: asiaNodes.map((n) => urls[n]) },
    ]),
  }
}

/** One request of `input` from `cf`, to the nodes (no edge cache); its Server-Timing origin entries. */
async function missesFrom(cf: Record<string, string>, input: string[], overrides: Partial<Env>) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key, overrides, cf })
  const body = await response.text()
  expect(response.status, body).toBe(200)
  const timing = response.headers.get('server-timing') ?? ''
  const origins = [...timing.matchAll(/origin;dur=([\d.]+);desc="region=([^ ]+) node=([^"]+)"/g)]
  return origins.map(([, ms, region, node]) => ({ ms: Number(ms), region, node }))
}

const fromSydney = (input: string[], overrides: Partial<Env>) =>
  missesFrom(SYDNEY, input, overrides)

async function poolView(overrides: Partial<Env>): Promise<PoolView> {
  const response = await callEdge(
    '/admin/pool',
    { cf: SYDNEY, headers: { authorization: `Bearer ${TEST_ADMIN_SECRET}` } },
    { ...overrides, ADMIN_SECRET: TEST_ADMIN_SECRET },
  )
  const text = await response.text()
  expect(response.status, text).toBe(200)
  return JSON.parse(text) as PoolView
}

describe('steering misses by measured round trip', () => {
  it('names the region and node that computed the misses, and keeps each key on its node', async () => {
    const overrides = poolWith([asia1, asia2])
    const input = Array.from({ length: 16 }, (_, i) => `steering: stable ${i}`)
    await resetNodeStats(asia1, asia2, europe)
    const first = await fromSydney(input, overrides)
    expect(first.length).toBeGreaterThan(0)
    expect(new Set(first.map((o) => o.region))).toEqual(new Set(['ap-southeast']))
    const onNode = async () => ({
      [asia1]: (await nodeStats(asia1)).inputs,
      [asia2]: (await nodeStats(asia2)).inputs,
    })
    const before = await onNode()
    // Sixteen keys over two nodes: both take some (rendezvous spreads them).
    expect(before[asia1].length).toBeGreaterThan(0)
    expect(before[asia2].length).toBeGreaterThan(0)
    expect((await nodeStats(europe)).embedCalls).toBe(0)

    // The same keys again, from a pool that lists Asia's nodes the other way round.
    await resetNodeStats(asia1, asia2)
    await fromSydney(input, poolWith([asia2, asia1]))
    const after = await onNode()
    expect(new Set(after[asia1])).toEqual(new Set(before[asia1]))
    expect(new Set(after[asia2])).toEqual(new Set(before[asia2]))
  })

  it('moves misses away from a near region that turns slow, and back once it is fast', async () => {
    const overrides = poolWith([asia1])
    expect((await fromSydney(['steering: slow, warm-up'], overrides))[0].region).toBe(
      'ap-southeast',
    )
    let view = await poolView(overrides)
    expect(view.order).toEqual(['ap-southeast', 'eu-central'])

    // Asia is now 600 ms away, far more than Frankfurt's 165 ms floor from Sydney.
    await setNodeDistance(asia1, 600)
    try {
      const served: string[] = []
      for (let i = 0; i < 8; i++) {
        const [origin] = await fromSydney([`steering: slow ${i} ${crypto.randomUUID()}`], overrides)
        served.push(origin.region)
      }
      // Within a bounded number of requests (the median of five samples flips after three
      // slow ones; each request brings one call and, past the interval, one probe)...
      const firstEurope = served.indexOf('eu-central')
      expect(firstEurope, served.join(', ')).toBeGreaterThanOrEqual(0)
      expect(firstEurope, served.join(', ')).toBeLessThanOrEqual(4)
      // ...and it stays there: the slow region is not tried again while it is slow.
      expect(served.slice(firstEurope), served.join(', ')).not.toContain('ap-southeast')
      view = await poolView(overrides)
      expect(view.order).toEqual(['eu-central', 'ap-southeast'])
      const asiaView = view.regions.find((region) => region.name === 'ap-southeast')!
      expect(asiaView.round_trip_ms).toBeGreaterThanOrEqual(500)
      expect(asiaView.distance_km).toBeGreaterThan(6_000)
      expect(asiaView.distance_km).toBeLessThan(6_600)
    } finally {
      await setNodeDistance(asia1, 0)
    }

    // Fast again: the background /ready probes (every 200 ms here) bring the estimate down.
    const back = await eventually(async () => {
      const [origin] = await fromSydney([`steering: back ${crypto.randomUUID()}`], overrides)
      return origin.region === 'ap-southeast'
    })
    expect(back).toBe(true)
    view = await poolView(overrides)
    expect(view.scope).toBe('isolate')
    expect(view.colo).toBe('SYD')
    const nodes = view.regions.flatMap((region) => region.nodes)
    expect(nodes.every((node) => node.breaker === 'closed' && node.takes_traffic)).toBe(true)
    expect(nodes.reduce((sum, node) => sum + node.share, 0)).toBeCloseTo(1, 5)
    expect(nodes.every((node) => node.inputs_sent > 0)).toBe(true)
  })

  it('learns from the calls alone, and does not take a large batch for distance', async () => {
    // From Singapore: Asia next door, the other region (Europe's node) placed in Hong Kong,
    // about 2,600 km (a 26 ms floor) away. No background probes: only calls are measured.
    const SINGAPORE = { latitude: '1.35', longitude: '103.99', colo: 'SIN', continent: 'AS' }
    const overrides = {
      ...poolWith([asia1]),
      NODE_HEALTH_INTERVAL_MS: '3600000',
      NODE_POOLS: JSON.stringify([
        { region: 'ap-east', lat: 22.32, lon: 114.17, urls: [urls[europe]] },
        { region: 'ap-southeast', lat: 1.35, lon: 103.82, urls: [urls[asia1]] },
      ]),
    }
    const fromSingapore = (input: string[]) => missesFrom(SINGAPORE, input, overrides)
    // Three calls of about 14,000 tokens each: the node's own work, far more than 26 ms.
    const long = (call: number) =>
      Array.from(
        { length: 110 },
        (_, i) => `steering: long ${call} ${i} ${'a sentence of ordinary words '.repeat(24)}`,
      )
    for (let call = 0; call < 3; call++) {
      const origins = await fromSingapore(long(call))
      expect(origins.map((o) => o.region)).toEqual(['ap-southeast'])
    }
    // The node's time is taken out of each sample: Asia still leads.
    expect((await fromSingapore(['steering: calls, after the long ones']))[0].region).toBe(
      'ap-southeast',
    )

    // Now Asia's link is slow: the calls themselves show it within a few requests.
    await setNodeDistance(asia1, 300)
    try {
      const served: string[] = []
      for (let i = 0; i < 6; i++)
        served.push(
          (await fromSingapore([`steering: calls ${i} ${crypto.randomUUID()}`]))[0].region,
        )
      const moved = served.indexOf('ap-east')
      expect(moved, served.join(', ')).toBeGreaterThanOrEqual(0)
      expect(moved, served.join(', ')).toBeLessThanOrEqual(3)
    } finally {
      await setNodeDistance(asia1, 0)
    }
  })

  it('is for admins only', async () => {
    const response = await callEdge(
      '/admin/pool',
      {},
      {
        ...poolWith([asia1]),
        ADMIN_SECRET: TEST_ADMIN_SECRET,
      },
    )
    expect(response.status).toBe(401)
  })
})
