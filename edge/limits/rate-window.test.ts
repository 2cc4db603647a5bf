import { describe, expect, it } from 'vitest'
import { formatDuration, rateLimitHeaders, retryAfterSeconds } from './rate-limit-headers.ts'
import { exhausted, hasTokensFor, statusOf, windowAt } from './rate-window.ts'

const limits = { requests_per_minute: 3, tokens_per_minute: 100 }
const MINUTE = 60_000

describe('the rate window', () => {
  it('keeps a window for its length from its first request, then opens a fresh one', () => {
    const first = windowAt(null, 1_000, MINUTE)
    first.requests = 3
    expect(windowAt(first, 1_000 + MINUTE - 1, MINUTE)).toBe(first)
    expect(windowAt(first, 1_000 + 999, 1_000)).toBe(first)
    expect(windowAt(first, 1_000 + 1_000, 1_000)).not.toBe(first)
    expect(windowAt(first, 1_000 + MINUTE, MINUTE)).toEqual({
      startedAt: 1_000 + MINUTE,
      requests: 0,
      leased: 0,
      tokens: 0,
      tokensLeased: 0,
    })
  })

  it('refuses on requests at the limit, on tokens once they are spent, and never when unlimited', () => {
    expect(exhausted({ startedAt: 0, requests: 2, tokens: 99 }, limits)).toBeNull()
    expect(exhausted({ startedAt: 0, requests: 3, tokens: 0 }, limits)).toBe('requests')
    expect(exhausted({ startedAt: 0, requests: 0, tokens: 100 }, limits)).toBe('tokens')
    expect(exhausted({ startedAt: 0, requests: 0, tokens: 250 }, limits)).toBe('tokens')
    const unlimited = { requests_per_minute: null, tokens_per_minute: null }
    expect(exhausted({ startedAt: 0, requests: 1e9, tokens: 1e12 }, unlimited)).toBeNull()
  })

  it('takes a reservation only if all of it fits, counting tokens out on leases', () => {
    const window = { startedAt: 0, requests: 0, tokens: 60, tokensLeased: 20 }
    expect(hasTokensFor(window, limits, 20)).toBe(true)
    expect(hasTokensFor(window, limits, 21)).toBe(false)
    expect(hasTokensFor(window, { ...limits, tokens_per_minute: null }, 1e12)).toBe(true)
  })

  it('reports what is left and when the window closes, never below zero', () => {
    const window = { startedAt: 10_000, requests: 1, tokens: 250 }
    expect(statusOf(window, limits, 25_000, MINUTE)).toEqual({
      requests: { limit: 3, remaining: 2 },
      tokens: { limit: 100, remaining: 0 },
      resetMs: 45_000,
    })
    // The window in force, whatever its length.
    expect(statusOf(window, limits, 25_000, 3_600_000).resetMs).toBe(3_585_000)
    expect(statusOf(window, limits, 25_000, 1_000).resetMs).toBe(0)
  })
})

describe('x-ratelimit headers', () => {
  it('writes durations as OpenAI does', () => {
    expect(formatDuration(20)).toBe('20ms')
    expect(formatDuration(999.2)).toBe('1s')
    expect(formatDuration(1_000)).toBe('1s')
    expect(formatDuration(8_640)).toBe('8.64s')
    expect(formatDuration(60_000)).toBe('1m0s')
    expect(formatDuration(3_599_999)).toBe('59m59.999s')
    expect(formatDuration(3_600_000)).toBe('1h0m0s')
    expect(formatDuration(3_661_500)).toBe('1h1m1.5s')
    expect(formatDuration(-5)).toBe('0ms')
  })

  it('gives the trio for each limited budget, with this request’s tokens taken off', () => {
    const status = {
      requests: { limit: 3, remaining: 2 },
      tokens: { limit: 100, remaining: 60 },
      resetMs: 1_500,
    }
    expect(rateLimitHeaders(status, 25)).toEqual({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '2',
      'x-ratelimit-reset-requests': '1.5s',
      'x-ratelimit-limit-tokens': '100',
      'x-ratelimit-remaining-tokens': '35',
      'x-ratelimit-reset-tokens': '1.5s',
    })
    expect(rateLimitHeaders({ ...status, tokens: null })).not.toHaveProperty(
      'x-ratelimit-limit-tokens',
    )
  })

  it('asks for a retry after at least a second, rounding up', () => {
    expect(retryAfterSeconds({ requests: null, tokens: null, resetMs: 0 })).toBe(1)
    expect(retryAfterSeconds({ requests: null, tokens: null, resetMs: 12_001 })).toBe(13)
  })
})
