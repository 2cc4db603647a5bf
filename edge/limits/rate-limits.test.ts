import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import {
  DEFAULT_MODEL,
  callEdge,
  env,
  postEmbeddings,
  seedTenant,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'
import type { Limits } from '../tenants/tenant.ts'
import { endRateWindow, windowMs } from '../../test/support/end-rate-window.ts'
import { limiterFor } from './tenant-limiter.ts'

/** Milliseconds in a reset header as Go writes durations (`20ms`, `8.64s`, `1m0s`, `1h0m0s`). */
function resetMs(header: string | null): number {
  const millis = header?.match(/^(\d+)ms$/)
  if (millis) return Number(millis[1])
  const parts = header?.match(/^(?:(\d+)h)?(?:(\d+)m)?(\d+(?:\.\d+)?)s$/)
  if (!parts) return NaN
  const [, hours = '0', minutes = '0', seconds] = parts
  return Math.round(((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000)
}

/** A reset header that counts down the window in force (an hour in these tests, not a minute). */
function expectReset(header: string | null) {
  expect(resetMs(header), String(header)).toBeGreaterThan(0)
  expect(resetMs(header), String(header)).toBeLessThanOrEqual(windowMs)
}

async function tenantWithLimits(id: string, limits: Partial<Limits>): Promise<string> {
  const key = `sk-test-${id}`
  await seedTenant(
    { id, limits: { requests_per_minute: null, tokens_per_minute: null, ...limits } },
    key,
  )
  return key
}

const listModels = (key: string) =>
  callEdge('/v1/models', { headers: { authorization: `Bearer ${key}` } })

async function expectRateLimited(response: Response, budget: 'requests' | 'tokens') {
  const text = await response.text()
  expect(response.status, text).toBe(429)
  const { error } = JSON.parse(text)
  expect(error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' })
  expect(error.message).toContain(
    budget === 'requests' ? 'requests per minute' : 'tokens per minute',
  )
  expect(response.headers.get(`x-ratelimit-remaining-${budget}`)).toBe('0')
  const reset = response.headers.get(`x-ratelimit-reset-${budget}`)
  expectReset(reset)
  // Whole seconds, at least 1, until that reset.
  const retryAfter = response.headers.get('retry-after')
  expect(retryAfter).toBe(String(Math.max(1, Math.ceil(resetMs(reset) / 1000))))
  expect(response.headers.get('x-request-id')).toBeTruthy()
}

describe('requests per minute', () => {
  it('admits exactly the limit, answers 429 with Retry-After, and admits again once the window closes', async () => {
    const key = await tenantWithLimits('rl-requests', { requests_per_minute: 3 })
    for (const remaining of ['2', '1', '0']) {
      const response = await listModels(key)
      expect(response.status).toBe(200)
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3')
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe(remaining)
      expectReset(response.headers.get('x-ratelimit-reset-requests'))
    }
    await expectRateLimited(await listModels(key), 'requests')
    await expectRateLimited(
      await postEmbeddings({ model: DEFAULT_MODEL, input: 'rl: refused' }, { key }),
      'requests',
    )

    expect(await endRateWindow('rl-requests')).toBe(true)
    const after = await listModels(key)
    expect(after.status).toBe(200)
    expect(after.headers.get('x-ratelimit-remaining-requests')).toBe('2')
  })

  it('is exact under concurrency: of 12 requests at once against a limit of 5, exactly 5 pass', async () => {
    const key = await tenantWithLimits('rl-concurrent', { requests_per_minute: 5 })
    const responses = await Promise.all(Array.from({ length: 12 }, () => listModels(key)))
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(7)
    const remaining = responses
      .filter((r) => r.status === 200)
      .map((r) => r.headers.get('x-ratelimit-remaining-requests'))
      .sort()
    expect(remaining).toEqual(['0', '1', '2', '3', '4'])
  })

  it('writes the window and usage to durable storage, for a restarted object to find', async () => {
    const key = await tenantWithLimits('rl-durable', { requests_per_minute: 2 })
    await listModels(key)
    await listModels(key)
    const stored = () =>
      runInDurableObject(limiterFor(env, 'rl-durable'), async (_, state) => ({
        window: await state.storage.get<{ requests: number }>('window'),
        usage: await state.storage.get<{ totals: { requests: number } }>('usage'),
      }))
    // Written by the object's own flush timer, without being asked.
    await vi.waitFor(async () => expect((await stored()).window?.requests).toBe(2), {
      timeout: 15_000,
      interval: 100,
    })
    expect((await stored()).usage?.totals.requests).toBe(2)
  })
})

describe('tokens per minute', () => {
  it('counts the tokens the node reports, exactly, in the remaining-tokens header', async () => {
    const key = await tenantWithLimits('rl-token-count', { tokens_per_minute: 10_000 })
    let spent = 0
    for (const input of ['rl: one short text', ['rl: two', 'rl: texts, one a little longer']]) {
      const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key })
      const body = (await response.json()) as EmbeddingsBody
      spent += body.usage.total_tokens
      expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('10000')
      expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(10_000 - spent))
    }
  })

  it('refuses up front once the tokens are spent, and admits again when the window closes', async () => {
    const key = await tenantWithLimits('rl-tokens', { tokens_per_minute: 128 })
    // Past the model's 128 tokens, truncated to them: its bound and its count are both 128.
    const long = 'words '.repeat(200)
    const spender = await postEmbeddings({ model: DEFAULT_MODEL, input: long }, { key })
    expect(spender.status).toBe(200)
    expect(((await spender.json()) as EmbeddingsBody).usage.total_tokens).toBe(128)
    expect(spender.headers.get('x-ratelimit-remaining-tokens')).toBe('0')

    await expectRateLimited(
      await postEmbeddings({ model: DEFAULT_MODEL, input: 'rl: small' }, { key }),
      'tokens',
    )
    // Refused before any work: the request was not counted in the tenant's usage.
    const usage = await limiterFor(env, 'rl-tokens').usageReport()
    expect(usage.totals.requests).toBe(1)

    expect(await endRateWindow('rl-tokens')).toBe(true)
    const after = await postEmbeddings({ model: DEFAULT_MODEL, input: 'rl: small' }, { key })
    expect(after.status).toBe(200)
  })
})

describe('x-ratelimit headers', () => {
  const headersOf = (response: Response, budget: 'requests' | 'tokens') =>
    ['limit', 'remaining', 'reset'].map((part) =>
      response.headers.get(`x-ratelimit-${part}-${budget}`),
    )

  it("carry the tenant's limits and what is left, on successes and on errors alike", async () => {
    const key = await tenantWithLimits('rl-headers', {
      requests_per_minute: 100,
      tokens_per_minute: 5000,
    })
    const ok = await postEmbeddings({ model: DEFAULT_MODEL, input: 'rl: headers' }, { key })
    const spent = ((await ok.clone().json()) as EmbeddingsBody).usage.total_tokens
    const bad = await postEmbeddings({ model: DEFAULT_MODEL, input: '' }, { key })
    const models = await listModels(key)
    expect([ok.status, bad.status, models.status]).toEqual([200, 400, 200])
    // Each request counts, refused or not; only the one that was embedded spent tokens.
    for (const [response, requestsLeft] of [
      [ok, 99],
      [bad, 98],
      [models, 97],
    ] as const) {
      const [limit, remaining, reset] = headersOf(response, 'requests')
      expect([limit, remaining]).toEqual(['100', String(requestsLeft)])
      expectReset(reset)
      const [tokenLimit, tokensLeft, tokenReset] = headersOf(response, 'tokens')
      expect([tokenLimit, tokensLeft]).toEqual(['5000', String(5000 - spent)])
      expectReset(tokenReset)
    }
  })

  it('are left out for a budget the tenant does not have, which never refuses', async () => {
    const noTokenBudget = await tenantWithLimits('rl-requests-only', { requests_per_minute: 100 })
    const embedded = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        postEmbeddings(
          { model: DEFAULT_MODEL, input: `rl: no token budget ${i} ${'words '.repeat(200)}` },
          { key: noTokenBudget },
        ),
      ),
    )
    for (const response of embedded) {
      expect(response.status).toBe(200)
      expect(headersOf(response, 'requests')[0]).toBe('100')
      expect(headersOf(response, 'tokens')).toEqual([null, null, null])
    }

    const unlimited = await tenantWithLimits('rl-unlimited', {})
    const responses = await Promise.all(Array.from({ length: 8 }, () => listModels(unlimited)))
    for (const response of responses) {
      expect(response.status).toBe(200)
      expect(headersOf(response, 'requests')).toEqual([null, null, null])
      expect(headersOf(response, 'tokens')).toEqual([null, null, null])
    }
  })
})
