/**
 * How a request's misses reach the nodes (real nodes behind gates): in parts
 * that fit one batch of the node, never past MAX_REQUEST_TOKENS, and a timeout
 * that a healthy node's large work caused does not open its breaker.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MODEL, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import {
  holdNodeEmbeds,
  nodeStats,
  resetNodeStats,
  startNode,
} from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'
import { utf8Length } from '../embeddings/token-bounds.ts'

const key = 'sk-test-node-calls-0001'

beforeAll(async () => {
  await seedTenant({ id: 'node-calls' }, key)
})

async function embed(body: Record<string, unknown>, overrides: object) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, ...body }, { key, overrides })
  return { response, json: (await response.json()) as { error?: { code: string } } }
}

describe('node calls', () => {
  it("splits a request into calls that fit the node's MAX_BATCH_TOKENS (1024 at least)", async () => {
    const url = await startNode('calls-small-batches', 'default', { MAX_BATCH_TOKENS: '1024' })
    const pool = poolOverrides([url])
    expect((await embed({ input: 'calls: warm the catalog' }, pool)).response.status).toBe(200)
    await resetNodeStats('calls-small-batches')
    const inputs = Array.from({ length: 100 }, (_, i) => `calls: split into parts, input ${i}`)
    expect((await embed({ input: inputs }, pool)).response.status).toBe(200)
    // At most one token per byte, plus three, per input: in order, as many as fit 1024 a call.
    let calls = 1
    let tokens = 0
    for (const input of inputs) {
      const most = utf8Length(input) + 3
      if (tokens + most > 1024) [calls, tokens] = [calls + 1, 0]
      tokens += most
    }
    expect(calls).toBeGreaterThan(3)
    expect((await nodeStats('calls-small-batches')).embedCalls).toBe(calls)
  })

  it("sends a node's parts two at a time, so its own parts never fill the node's queue", async () => {
    const url = await startNode('calls-tight-queue', 'default', {
      MAX_BATCH_TOKENS: '1024',
      MAX_QUEUED_TOKENS: '1024',
    })
    const pool = poolOverrides([url])
    expect((await embed({ input: 'calls: warm the tight queue' }, pool)).response.status).toBe(200)
    await resetNodeStats('calls-tight-queue')
    // About 18 parts of some 250 real tokens: sent at once, they would pass 1024 queued tokens.
    const inputs = Array.from({ length: 400 }, (_, i) => `calls: one of many parts, input ${i}`)
    const { response, json } = await embed({ input: inputs }, pool)
    expect(response.status, JSON.stringify(json)).toBe(200)
    expect((await nodeStats('calls-tight-queue')).embedCalls).toBeGreaterThan(8)
  })

  it('keeps a request split into parts within MAX_REQUEST_TOKENS, all parts together', async () => {
    const url = await startNode('calls-small-batches', 'default', { MAX_BATCH_TOKENS: '1024' })
    const limited = { ...poolOverrides([url]), MAX_REQUEST_TOKENS: '500' }
    // 100 texts of about 25 tokens: each part is far under 500, all of them far over.
    const texts = Array.from(
      { length: 100 },
      (_, i) => `calls: ${i} ${'several words more '.repeat(7)}`,
    )
    const refused = await embed({ input: texts }, limited)
    expect(refused.response.status).toBe(400)
    expect(refused.json.error?.code).toBe('request_too_many_tokens')
  })

  it('refuses token ids over MAX_REQUEST_TOKENS at the edge, without calling a node', async () => {
    const url = await startNode('calls-token-limit')
    const limited = { ...poolOverrides([url]), MAX_REQUEST_TOKENS: '100' }
    expect((await embed({ input: 'calls: warm the limit node' }, limited)).response.status).toBe(
      200,
    )
    await resetNodeStats('calls-token-limit')
    const ids = Array.from({ length: 3 }, () => Array.from({ length: 40 }, (_, i) => 1000 + i))
    const refused = await embed({ input: ids }, limited)
    expect(refused.response.status).toBe(400)
    expect(refused.json.error?.code).toBe('request_too_many_tokens')
    expect((await nodeStats('calls-token-limit')).embedCalls).toBe(0)
  })

  it('has the node refuse text over MAX_REQUEST_TOKENS that only tokenizing can show', async () => {
    const url = await startNode('calls-token-limit')
    const limited = { ...poolOverrides([url]), MAX_REQUEST_TOKENS: '100' }
    const long = Array.from({ length: 3 }, (_, i) => `calls: ${i} ${'many words here '.repeat(15)}`)
    const refused = await embed({ input: long }, limited)
    expect(refused.response.status).toBe(400)
    expect(refused.json.error?.code).toBe('request_too_many_tokens')
  })
})

describe('a timeout on a healthy node', () => {
  it("does not open the node's breaker: /ready still answers, so it keeps its traffic", async () => {
    const url = await startNode('calls-slow-but-ready')
    // One node, a breaker that would stay open for a minute, and too little time for big work.
    const pool = {
      ...poolOverrides([url], { healthIntervalMs: 600_000 }),
      NODE_BREAKER_COOLDOWN_MS: '60000',
    }
    expect((await embed({ input: 'calls: warm the slow node' }, pool)).response.status).toBe(200)
    // Its embeds take longer than the request's budget, as large work would; its /ready still
    // answers at once. (A budget of a few ms and real large work made /ready itself miss the
    // budget on a busy machine: the probe shares it.)
    await holdNodeEmbeds('calls-slow-but-ready', 'forever')
    const tight = { ...pool, NODE_TIMEOUT_MS: '1000' }
    try {
      for (let round = 0; round < 4; round++) {
        const { response } = await embed({ input: `calls: round ${round}, slow work` }, tight)
        expect(response.status).toBe(504)
      }
    } finally {
      await holdNodeEmbeds('calls-slow-but-ready', 0)
    }
    // The node was never at fault: the next request is served by it.
    const small = await embed({ input: 'calls: small after the timeouts' }, pool)
    expect(small.response.status).toBe(200)
  })
})
