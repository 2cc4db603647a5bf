/**
 * The per-tenant rate window: a fixed minute (another length only in tests:
 * RATE_WINDOW_MS, edge/config.ts) that opens with the first request after the
 * previous one closed. Within it at most `requests_per_minute` requests are admitted, and
 * the tokens charged never pass `tokens_per_minute`: a request reserves an
 * upper bound of its tokens before it does any work, and is settled to its real
 * count after (token-reservation.ts). Pure functions of the state, a clock and
 * the window's length, so the Durable Object that owns the state stays thin.
 */
import type { Limits } from '../tenants/tenant.ts'

export interface RateWindow {
  startedAt: number
  /** Requests admitted in this window. */
  requests: number
  /**
   * Requests granted to isolates as admission leases (lease-policy.ts) and not yet used or
   * given back: they count against the budget as if admitted, so no lease can overrun it.
   */
  leased?: number
  /**
   * Tokens charged to this window: reserved by requests still running, what ended requests
   * were charged, and the tokens of requests that reserved none (answers recalled whole).
   */
  tokens: number
  /** Tokens reserved by leases that have not ended: they count as spent until given back. */
  tokensLeased?: number
}

/** Requests the window has admitted or promised in leases. */
export function committedRequests(window: RateWindow): number {
  // Windows stored before leases existed have no `leased`.
  return window.requests + (window.leased ?? 0)
}

/** Tokens the window's requests reported, and those reserved by leases. */
export function committedTokens(window: RateWindow): number {
  return window.tokens + (window.tokensLeased ?? 0)
}

/** When `window` closes, for windows `windowMs` long. */
export function windowEnd(window: RateWindow, windowMs: number): number {
  return window.startedAt + windowMs
}

/** The window in force at `now`: the current one, or a fresh one if it closed. */
export function windowAt(window: RateWindow | null, now: number, windowMs: number): RateWindow {
  return window !== null && now < windowEnd(window, windowMs)
    ? window
    : { startedAt: now, requests: 0, leased: 0, tokens: 0, tokensLeased: 0 }
}

/**
 * Which budget refuses the next request, if any. A request's tokens are
 * reserved after admission, once its inputs are known (`hasTokensFor`), so at
 * admission a request is refused on tokens only when the budget is spent.
 */
export function exhausted(window: RateWindow, limits: Limits): 'requests' | 'tokens' | null {
  if (
    limits.requests_per_minute !== null &&
    committedRequests(window) >= limits.requests_per_minute
  )
    return 'requests'
  if (limits.tokens_per_minute !== null && committedTokens(window) >= limits.tokens_per_minute)
    return 'tokens'
  return null
}

/** Whether the window's token budget can take `tokens` more. */
export function hasTokensFor(window: RateWindow, limits: Limits, tokens: number): boolean {
  return (
    limits.tokens_per_minute === null ||
    committedTokens(window) + tokens <= limits.tokens_per_minute
  )
}

/** What the x-ratelimit-* headers report; a null budget is unlimited. */
export interface RateLimitStatus {
  requests: { limit: number; remaining: number } | null
  tokens: { limit: number; remaining: number } | null
  /** Milliseconds until the window closes and both budgets are whole again. */
  resetMs: number
}

export function statusOf(
  window: RateWindow,
  limits: Limits,
  now: number,
  windowMs: number,
): RateLimitStatus {
  const budget = (limit: number | null, used: number) =>
    limit === null ? null : { limit, remaining: Math.max(0, limit - used) }
  return {
    requests: budget(limits.requests_per_minute, committedRequests(window)),
    tokens: budget(limits.tokens_per_minute, committedTokens(window)),
    resetMs: Math.max(0, windowEnd(window, windowMs) - now),
  }
}
