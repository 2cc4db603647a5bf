import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MODEL, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import {
  killNode,
  nodeMetric,
  nodeStats,
  resetNodeStats,
  startNode,
} from '../../test/support/node-control.ts'
import { eventually, poolOverrides } from '../../test/support/pool-overrides.ts'

/**
 * Real nodes killed (SIGKILL) while the edge is serving, and started again,
 * with the same worker isolate throughout: no worker restart in between; and
 * a real node at capacity (429 + Retry-After).
 */
const key = 'sk-test-failover-0001'

beforeAll(async () => {
  await seedTenant({ id: 'failover' }, key)
})

async function post(input: string | string[], overrides: object) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key, overrides })
  const json = (await response.json()) as { error?: { code: string; message: string } }
  return { status: response.status, cache: response.headers.get('x-cache'), json }
}

const fresh = (label: string, count: number) =>
  Array.from({ length: count }, (_, i) => `failover: ${label} ${i} ${crypto.randomUUID()}`)

/**
 * Waits until the gate in front of the node `name` has forwarded an embed call since its stats
 * were reset: from then until the node answers, a kill cuts a request in flight. (The edge's
 * call reaches the gate some time after `post` is called; a sleep does not say when.)
 */
async function untilForwarded(name: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while ((await nodeStats(name)).embedCalls === 0) {
    if (Date.now() > deadline) throw new Error(`no embed call reached ${name} within 30 s`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

describe('two nodes, one killed mid-run', () => {
  const [a, b] = ['failover-a', 'failover-b']
  let pool: object

  beforeAll(async () => {
    // No periodic /ready checks: only the retry on the other node may save the requests.
    pool = poolOverrides([await startNode(a), await startNode(b)], { healthIntervalMs: 600_000 })
  })

  it('fails over to the other node with no failed request, and uses the node again once it is back', async () => {
    expect((await post('failover: warm the catalog', pool)).status).toBe(200)
    await resetNodeStats(a, b)
    expect((await post(fresh('before', 16), pool)).status).toBe(200)
    expect((await nodeStats(a)).inputs.length).toBeGreaterThan(0) // a owns a share of the keys

    // Requests in flight while `a` dies (killed once it has been sent one), then more while it
    // is dead.
    await resetNodeStats(a, b)
    const during = Array.from({ length: 4 }, (_, i) => post(fresh(`during ${i}`, 8), pool))
    await untilForwarded(a)
    await killNode(a)
    const afterInputs = Array.from({ length: 4 }, (_, i) => fresh(`after ${i}`, 8))
    const after = await Promise.all(afterInputs.map((inputs) => post(inputs, pool)))
    const statuses = [...(await Promise.all(during)), ...after].map((r) => r.status)
    expect(statuses).toEqual(Array(8).fill(200))
    const onA = (await nodeStats(a)).inputs
    const onB = new Set((await nodeStats(b)).inputs)
    // The kill cut a call `a` had been sent: its inputs were computed again, by b.
    expect(onA.filter((input) => onB.has(input)).length).toBeGreaterThan(0)
    // Every input sent after the kill was computed by b, a's keys included.
    for (const input of afterInputs.flat()) expect(onB.has(`text:${input}`)).toBe(true)

    await startNode(a)
    await resetNodeStats(a)
    const usedAgain = await eventually(async () => {
      expect((await post(fresh('recovered', 8), pool)).status).toBe(200)
      return (await nodeStats(a)).embedCalls > 0
    })
    expect(usedAgain).toBe(true)
  })
})

describe('the only node killed mid-run', () => {
  const solo = 'failover-solo'
  let pool: object

  beforeAll(async () => {
    pool = poolOverrides([await startNode(solo)])
  })

  it('keeps answering cached inputs, answers 503 for new ones, and recovers after a restart', async () => {
    const cached = ['failover: cached one', 'failover: cached two']
    expect((await post(cached, pool)).status).toBe(200)

    await resetNodeStats(solo)
    const during = Array.from({ length: 4 }, (_, i) => post(fresh(`solo ${i}`, 16), pool))
    await untilForwarded(solo)
    await killNode(solo)
    const outcomes = await Promise.all(during)
    for (const outcome of outcomes) {
      expect([200, 503]).toContain(outcome.status) // finished before the kill, or refused: never a crash
      if (outcome.status === 503) expect(outcome.json.error?.code).toBe('origin_unavailable')
    }
    // The kill cut at least one of them mid-request, and no other node could take it over.
    expect(outcomes.filter((outcome) => outcome.status === 503).length).toBeGreaterThan(0)

    for (let i = 0; i < 3; i++) {
      const hit = await post(cached, pool)
      expect(hit).toMatchObject({ status: 200, cache: 'hit' })
      const miss = await post(fresh('while down', 1), pool)
      expect(miss.status).toBe(503)
      expect(miss.json.error?.code).toBe('origin_unavailable')
      expect(miss.json.error?.message).toMatch(
        /no inference node .*reachable.*cached inputs are still served/,
      )
    }
    expect((await post([cached[0], ...fresh('partly cached', 1)], pool)).status).toBe(503)

    await startNode(solo)
    await resetNodeStats(solo)
    const recovered = fresh('after restart', 1)
    const back = await eventually(async () => (await post(recovered, pool)).status === 200)
    expect(back).toBe(true)
    expect((await nodeStats(solo)).inputs).toContain(`text:${recovered[0]}`)
    expect(await post(cached, pool)).toMatchObject({ status: 200, cache: 'hit' })
  })
})

describe('a node at capacity', () => {
  const [busy, roomy] = ['failover-busy', 'failover-b'] // b: the survivor of the first block
  let busyUrl: string
  let pool: object

  beforeAll(async () => {
    // One request at a time: the real node answers 429 + Retry-After to the rest.
    busyUrl = await startNode(busy, 'default', { MAX_CONCURRENT_REQUESTS: '1' })
    pool = poolOverrides([busyUrl, await startNode(roomy)], { healthIntervalMs: 600_000 })
  })

  it("retries the 429'd inputs on the other node: no request fails", async () => {
    expect((await post('failover: warm the busy pool', pool)).status).toBe(200)
    const rejectedBefore = await nodeMetric(busyUrl, 'te_request_rejected')
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post(fresh(`crowd ${i}`, 16), pool)),
    )
    expect(outcomes.map((o) => o.status)).toEqual(Array(8).fill(200))
    expect(await nodeMetric(busyUrl, 'te_request_rejected')).toBeGreaterThan(rejectedBefore)
  })
})
