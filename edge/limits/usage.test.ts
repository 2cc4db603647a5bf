import { describe, expect, it } from 'vitest'
import type { CreatedKey, UsageView } from '../admin/api-types.ts'
import { admin, tenantWithKey } from '../../test/support/admin-harness.ts'
import {
  DEFAULT_MODEL,
  postEmbeddings,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'
import { endRateWindow } from '../../test/support/end-rate-window.ts'

const TENANT = 'usage-tenant'

async function embed(key: string, input: string | string[]) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key })
  const text = await response.text()
  expect(response.status, text).toBe(200)
  return {
    cache: response.headers.get('x-cache'),
    tokens: (JSON.parse(text) as EmbeddingsBody).usage.total_tokens,
  }
}

describe('usage per tenant and per key', () => {
  it('counts requests, tokens, cache hits and misses after a mix of both', async () => {
    const a = await tenantWithKey({
      id: TENANT,
      limits: { requests_per_minute: 5, tokens_per_minute: null },
    })
    const b = await admin<CreatedKey>('POST', `/tenants/${TENANT}/keys`, { name: 'b' }, 201)

    const a1 = await embed(a.key, ['usage: one', 'usage: two']) // 2 misses
    const a2 = await embed(a.key, ['usage: one', 'usage: two', 'usage: one']) // 2 distinct hits
    const b1 = await embed(b.key, ['usage: two', 'usage: three']) // 1 hit, 1 miss
    expect([a1.cache, a2.cache, b1.cache]).toEqual(['miss', 'hit', 'partial'])
    const bad = await postEmbeddings({ model: DEFAULT_MODEL, input: [''] }, { key: b.key }) // admitted, no tokens
    expect(bad.status).toBe(400)
    const four = await embed(b.key, 'usage: four') // 1 miss; the 5th request of the window
    const refused = await postEmbeddings(
      { model: DEFAULT_MODEL, input: 'usage: five' },
      { key: b.key },
    )
    expect(refused.status).toBe(429) // not counted
    expect(await endRateWindow(TENANT)).toBe(true)
    const fourAgain = await embed(b.key, 'usage: four') // 1 hit, the first of a new window
    expect(fourAgain).toEqual({ ...four, cache: 'hit' })

    const usage = await admin<UsageView>('GET', `/tenants/${TENANT}/usage`)
    const byKey = Object.fromEntries(usage.keys.map((k) => [k.id, k]))
    expect(byKey[a.id]).toMatchObject({
      prefix: a.prefix,
      requests: 2,
      tokens: a1.tokens + a2.tokens,
      cache_hits: 2,
      cache_misses: 2,
    })
    const fourTokens = four.tokens
    expect(byKey[b.id]).toMatchObject({
      prefix: b.prefix,
      requests: 4,
      tokens: b1.tokens + 2 * fourTokens,
      cache_hits: 2,
      cache_misses: 2,
    })
    expect(usage.totals).toEqual({
      requests: 6,
      tokens: a1.tokens + a2.tokens + b1.tokens + 2 * fourTokens,
      cache_hits: 4,
      cache_misses: 4,
    })
    expect(Number.isNaN(Date.parse(usage.since!))).toBe(false)
    expect(usage.window).toMatchObject({ requests: 1, tokens: fourTokens })
  })

  it('reads zeros for a tenant that has sent nothing', async () => {
    const quiet = await tenantWithKey({ id: 'usage-quiet' })
    const usage = await admin<UsageView>('GET', '/tenants/usage-quiet/usage')
    expect(usage.totals).toEqual({ requests: 0, tokens: 0, cache_hits: 0, cache_misses: 0 })
    expect(usage.keys).toEqual([
      {
        id: quiet.id,
        prefix: quiet.prefix,
        name: 'first',
        revoked_at: null,
        requests: 0,
        tokens: 0,
        cache_hits: 0,
        cache_misses: 0,
      },
    ])
    expect(usage.since).toBeNull()
  })
})
