/**
 * All of a request's node calls share one time budget, NODE_TIMEOUT_MS: past
 * it the client gets 504 `origin_timeout`. Two real nodes behind gates that
 * hold embed calls: both stalling ends in a 504; and a retry gets only what
 * the first node left of the budget, so a node that would answer in time on
 * a budget of its own times out as the retry. Only status and code are
 * asserted; the holds are set far enough from the budget that a loaded
 * machine does not change the outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import { DEFAULT_MODEL, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import {
  fillNode,
  holdNodeEmbeds,
  nodeStats,
  resetNodeStats,
  startNode,
} from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

const key = 'sk-test-retry-budget-0001'
const [first, second] = ['retry-budget-a', 'retry-budget-b']
const urls: Record<string, string> = {}

beforeAll(async () => {
  await seedTenant({ id: 'retry-budget', edge_cache: false }, key)
  urls[first] = await startNode(first)
  urls[second] = await startNode(second)
})

afterAll(async () => {
  await Promise.all([first, second].map((name) => holdNodeEmbeds(name, 0)))
  await fillNode(first, null)
})

/** Both nodes, with a budget of `timeoutMs` and no periodic /ready checks. */
const poolOf = (names: string[], timeoutMs: number): Partial<Env> => ({
  ...poolOverrides(
    names.map((name) => urls[name]),
    { healthIntervalMs: 600_000 },
  ),
  NODE_TIMEOUT_MS: String(timeoutMs),
})

/** Always sent to a node: the tenant keeps nothing at the edge. */
async function embed(input: string | string[], overrides: Partial<Env>) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key, overrides })
  const json = (await response.json()) as { error?: { code: string } }
  return { status: response.status, code: json.error?.code }
}

describe('one time budget for all node calls', () => {
  it('ends in 504 origin_timeout when both nodes stall', async () => {
    const pool = poolOf([first, second], 500)
    expect((await embed('retry budget: warm the stalling pool', pool)).status).toBe(200)
    await Promise.all([holdNodeEmbeds(first, 'forever'), holdNodeEmbeds(second, 'forever')])
    try {
      const inputs = Array.from({ length: 8 }, (_, i) => `retry budget: stalled ${i}`)
      expect(await embed(inputs, pool)).toEqual({ status: 504, code: 'origin_timeout' })
    } finally {
      await Promise.all([holdNodeEmbeds(first, 0), holdNodeEmbeds(second, 0)])
    }
  })

  it('gives a retry only what is left: a node that answers in time alone times out as the retry', async () => {
    // 3 s in all; each node takes 2 s to answer: one fits, a second one after it does not.
    const budgetMs = 3_000
    const holdMs = 2_000
    const pool = poolOf([first, second], budgetMs)
    expect((await embed('retry budget: warm the pool', pool)).status).toBe(200)

    // An input whose first node is `first`: rendezvous order stays put while both are healthy.
    await resetNodeStats(first)
    const candidates = Array.from(
      { length: 16 },
      (_, i) => `retry budget: ${i} ${crypto.randomUUID()}`,
    )
    expect((await embed(candidates, pool)).status).toBe(200)
    const owned = (await nodeStats(first)).inputs.find((input) => input.startsWith('text:'))
    expect(owned).toBeDefined()
    const input = owned!.slice('text:'.length)

    await holdNodeEmbeds(second, holdMs)
    // On its own, with a whole budget, the second node answers in time despite its hold.
    expect((await embed(input, poolOf([second], budgetMs))).status).toBe(200)

    // The first node holds the call as long, then says it is full (429: retried elsewhere).
    await holdNodeEmbeds(first, holdMs)
    await fillNode(first, 1)
    await resetNodeStats(first, second)
    expect(await embed(input, pool)).toEqual({ status: 504, code: 'origin_timeout' })
    // Both were tried, in that order: the 504 is the retry's, on what the first call left.
    expect((await nodeStats(first)).inputs).toEqual([`text:${input}`])
    expect((await nodeStats(second)).inputs).toEqual([`text:${input}`])
  })
})
