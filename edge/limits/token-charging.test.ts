/**
 * Charging the token budget fairly, through the real edge (token-reservation.ts): a request
 * reserves an upper bound of its tokens before any work, is refused if the budget cannot take
 * it, keeps the charge if it fails after reserving, and is settled to its real count if not.
 * With use-lite-en and ASCII text, the bound of one input is its length + 3, at most the
 * model's 128 tokens. A tenant of 1000 tokens a minute gets leases of a tenth of what is left,
 * so an input of 40 characters is reserved on the isolate's lease, and one of 128 tokens
 * through the tenant's object: each test goes both ways.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest'
import {
  DEFAULT_MODEL,
  env,
  postEmbeddings,
  seedTenant,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'
import { limiterFor } from './tenant-limiter.ts'

const dead = { NODE_URL: inject('deadNodeUrl') }
const stalling = { NODE_URL: inject('stallingNodeUrl'), NODE_TIMEOUT_MS: '500' }

const boundOf = (text: string) => Math.min(text.length + 3, 128)
/** 40 characters: reserved on a lease. */
const SHORT = 'charging: forty characters of text here.'
/** Past 128 tokens, truncated to them: its bound (128) is more than a lease's share. */
const LONG = 'words '.repeat(200)

async function tenantWithTokens(id: string, tokensPerMinute: number): Promise<string> {
  const key = `sk-test-${id}`
  await seedTenant(
    { id, limits: { requests_per_minute: null, tokens_per_minute: tokensPerMinute } },
    key,
  )
  return key
}

/** The tokens the tenant's window holds once every lease has gone back, and its usage total. */
async function charged(tenantId: string) {
  const report = await limiterFor(env, tenantId).usageReport()
  expect(report.window?.tokens_leased).toBe(0)
  return { window: report.window?.tokens, usage: report.totals.tokens }
}

const remainingTokens = (response: Response) =>
  Number(response.headers.get('x-ratelimit-remaining-tokens'))

beforeAll(async () => {
  // The model catalog, for the requests sent to dead or stalling nodes.
  await seedTenant({ id: 'charging-warm' }, 'sk-test-charging-warm')
  const warm = await postEmbeddings(
    { model: DEFAULT_MODEL, input: 'charging: warm the catalog' },
    { key: 'sk-test-charging-warm' },
  )
  expect(warm.status).toBe(200)
})

describe('the token budget', () => {
  it('refuses a request whose bound is more than what is left with a 429, before any node call', async () => {
    const key = await tenantWithTokens('charging-refused', 300)
    const first = await postEmbeddings({ model: DEFAULT_MODEL, input: LONG }, { key })
    expect(first.status).toBe(200)
    expect(remainingTokens(first)).toBe(300 - 128)

    // 256 tokens at most, 172 left. The node is dead: a request that reached it would be a 503.
    const refused = await postEmbeddings(
      { model: DEFAULT_MODEL, input: [LONG, `${LONG}again`] },
      { key, overrides: dead },
    )
    const text = await refused.text()
    expect(refused.status, text).toBe(429)
    const { error } = JSON.parse(text)
    expect(error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' })
    expect(error.message).toContain('tokens per minute')
    expect(error.message).toContain('requested up to 256')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(refused.headers.get('x-ratelimit-limit-tokens')).toBe('300')
    expect(remainingTokens(refused)).toBe(172)
    // Nothing was charged for it, and what is left still serves a request that fits.
    expect(await charged('charging-refused')).toEqual({ window: 128, usage: 128 })
    const fits = await postEmbeddings({ model: DEFAULT_MODEL, input: SHORT }, { key })
    expect(fits.status).toBe(200)

    // More than the whole budget: it could never pass, and says so.
    const tooLarge = await postEmbeddings(
      { model: DEFAULT_MODEL, input: [LONG, LONG, LONG] },
      { key, overrides: dead },
    )
    expect(tooLarge.status).toBe(429)
    expect(((await tooLarge.json()) as { error: { message: string } }).error.message).toMatch(
      /^Request too large for tokens per minute/,
    )
  })

  it('is spent by requests that fail with 503 or 504: their whole bound stays charged', async () => {
    const key = await tenantWithTokens('charging-failed', 1000)
    const down = await postEmbeddings(
      { model: DEFAULT_MODEL, input: SHORT },
      { key, overrides: dead },
    )
    expect(down.status).toBe(503)
    expect(remainingTokens(down)).toBe(1000 - boundOf(SHORT))
    expect(await charged('charging-failed')).toEqual({
      window: boundOf(SHORT),
      usage: boundOf(SHORT),
    })

    const slow = await postEmbeddings(
      { model: DEFAULT_MODEL, input: LONG },
      { key, overrides: stalling },
    )
    expect(slow.status).toBe(504)
    expect(remainingTokens(slow)).toBe(1000 - boundOf(SHORT) - 128)
    expect(await charged('charging-failed')).toEqual({
      window: boundOf(SHORT) + 128,
      usage: boundOf(SHORT) + 128,
    })
  })

  it('charges a request that succeeds its real tokens, not its bound', async () => {
    const key = await tenantWithTokens('charging-settled', 1000)
    let spent = 0
    for (const input of [SHORT, 'words '.repeat(24)]) {
      const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key })
      const { usage } = (await response.json()) as EmbeddingsBody
      expect(usage.total_tokens).toBeLessThan(boundOf(input))
      spent += usage.total_tokens
      expect(remainingTokens(response)).toBe(1000 - spent)
      expect(await charged('charging-settled')).toEqual({ window: spent, usage: spent })
    }
  })
})
