/**
 * Which node failures are retried on the next node (real nodes behind gates):
 * a node's verdict on the input itself (400, 413, 422) is the client's and is
 * never retried, so exactly one node receives the call; a 401 (that node's
 * NODE_SECRET differs from the edge's) is, and the request succeeds on the
 * other node.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import { DEFAULT_MODEL, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import {
  nodeStats,
  resetNodeStats,
  restartNodeWithEnv,
  startNode,
} from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

const key = 'sk-test-retry-rules-0001'

beforeAll(async () => {
  await seedTenant({ id: 'retry-rules' }, key)
})

async function embed(body: Record<string, unknown>, overrides: Partial<Env>) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, ...body }, { key, overrides })
  const json = (await response.json()) as { error?: { code: string | null; param: string | null } }
  return { status: response.status, json }
}

const fresh = (label: string, count: number) =>
  Array.from({ length: count }, (_, i) => `retry rules: ${label} ${i} ${crypto.randomUUID()}`)

describe("a node's input errors", () => {
  // Both nodes refuse bodies over 2 KiB (413), as the edge itself would accept them.
  const nodes = ['retry-rules-a', 'retry-rules-b']
  let pool: Partial<Env>

  beforeAll(async () => {
    const env = { MAX_BODY_BYTES: '2048' }
    const urls = [
      await startNode(nodes[0], 'default', env),
      await startNode(nodes[1], 'default', env),
    ]
    // No periodic /ready checks: the nodes stay healthy, so only the retry rules decide.
    pool = poolOverrides(urls, { healthIntervalMs: 600_000 })
    expect((await embed({ input: 'retry rules: warm the pool' }, pool)).status).toBe(200)
  })

  /** Embed calls both nodes received since the last reset. */
  const callsOnBoth = async () =>
    (await Promise.all(nodes.map(nodeStats))).reduce((sum, stats) => sum + stats.embedCalls, 0)

  it('400 (a token id outside the vocabulary) reaches one node, once', async () => {
    await resetNodeStats(...nodes)
    const refused = await embed({ input: [[101, 9_999_999]] }, pool)
    expect(refused.status).toBe(400)
    expect(refused.json.error?.code).toBe('invalid_token_id')
    expect(await callsOnBoth()).toBe(1)
  })

  it('413 (a body over the node MAX_BODY_BYTES) reaches one node, once', async () => {
    await resetNodeStats(...nodes)
    const long = `${fresh('too large', 1)[0]} ${'many words here '.repeat(200)}`
    const refused = await embed({ input: long }, pool)
    expect(refused.status).toBe(413)
    expect(await callsOnBoth()).toBe(1)
  })

  it("422 (over the model's maximum with truncate: false) reaches one node, once", async () => {
    await resetNodeStats(...nodes)
    const long = `${fresh('too long', 1)[0]} ${'word '.repeat(200)}`
    const refused = await embed({ input: long, truncate: false }, pool)
    expect(refused.status).toBe(422)
    expect(refused.json.error?.code).toBe('input_too_long')
    expect(await callsOnBoth()).toBe(1)
  })
})

describe("a node that refuses the edge's signature (401)", () => {
  const [wrong, right] = ['retry-rules-wrong-secret', 'retry-rules-right-secret']
  let pool: Partial<Env>

  beforeAll(async () => {
    pool = poolOverrides([await startNode(wrong), await startNode(right)], {
      healthIntervalMs: 600_000,
    })
    // The edge reads both nodes' /info (so both get their share of the keys)...
    expect((await embed({ input: 'retry rules: warm the secrets pool' }, pool)).status).toBe(200)
    // ...then one comes back on the same URL with a NODE_SECRET of its own.
    await restartNodeWithEnv(wrong, { NODE_SECRET: 'a-secret-the-edge-does-not-have' })
  })

  it('is retried on the next node, and the request succeeds', async () => {
    await resetNodeStats(wrong, right)
    const inputs = fresh('secret', 24)
    const answer = await embed({ input: inputs }, pool)
    expect(answer.status).toBe(200)
    // The node with the other secret was asked first for its share of the keys, and refused it...
    expect((await nodeStats(wrong)).embedCalls).toBeGreaterThan(0)
    // ...which the other node computed: every input reached it.
    const onRight = new Set((await nodeStats(right)).inputs)
    for (const input of inputs) expect(onRight.has(`text:${input}`)).toBe(true)
  })
})
