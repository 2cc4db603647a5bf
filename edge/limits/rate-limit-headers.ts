/**
 * OpenAI's rate-limit headers: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`,
 * with resets written as OpenAI writes them (`1s`, `6m0s`, `20ms`), and the
 * `Retry-After` of a 429 in whole seconds.
 */
import type { RateLimitStatus } from './rate-window.ts'

/**
 * A duration as Go prints it, which is what OpenAI sends: 20ms, 1.5s, 1m0s; and 1h0m0s, for the
 * windows of an hour that tests use (rate-window.ts).
 */
export function formatDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms))
  if (whole < 1000) return `${whole}ms`
  const hours = Math.floor(whole / 3_600_000)
  const minutes = Math.floor((whole % 3_600_000) / 60_000)
  const seconds = Number(((whole % 60_000) / 1000).toFixed(3))
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`
}

/** Seconds to wait before a retry can succeed; at least 1, since `Retry-After: 0` invites a hot loop. */
export function retryAfterSeconds(status: RateLimitStatus): number {
  return Math.max(1, Math.ceil(status.resetMs / 1000))
}

/**
 * Header values for a status. `spentTokens` are what this request was charged
 * beyond what the status already counts (negative when the status counted its
 * whole reservation and part of it was given back). An unlimited budget gets
 * no headers: there is no number to report.
 */
export function rateLimitHeaders(status: RateLimitStatus, spentTokens = 0): Record<string, string> {
  const headers: Record<string, string> = {}
  const reset = formatDuration(status.resetMs)
  if (status.requests) {
    headers['x-ratelimit-limit-requests'] = String(status.requests.limit)
    headers['x-ratelimit-remaining-requests'] = String(status.requests.remaining)
    headers['x-ratelimit-reset-requests'] = reset
  }
  if (status.tokens) {
    headers['x-ratelimit-limit-tokens'] = String(status.tokens.limit)
    headers['x-ratelimit-remaining-tokens'] = String(
      Math.max(0, status.tokens.remaining - spentTokens),
    )
    headers['x-ratelimit-reset-tokens'] = reset
  }
  return headers
}
