/**
 * Admission leases: how much of a tenant's budget its Durable Object may hand to one isolate,
 * so that isolate admits the tenant's next requests itself instead of waiting on the object
 * for each one. A cached request is a few hundred microseconds of work; a round trip to the
 * tenant's object is more than that, and it is the part of every request that cannot be
 * cached.
 *
 * What stays exact: a lease is charged to the window when granted, so all isolates together
 * never admit more than the limit. What is given up, and bounded:
 * - a lease lives at most LEASE_TTL_MS (edge/config.ts), so a key revoked elsewhere is
 *   refused everywhere within that time, not on the very next request (the isolate that
 *   revoked it forgets at once);
 * - the share of the budget out on leases is a tenth of what is left (at most
 *   MAX_LEASE_REQUESTS), and none once fewer than LEASE_FRACTION requests remain: near the limit
 *   every request goes to the object again, so 429s come exactly at the limit. An isolate that
 *   dies with a lease takes that share out of the window until it closes;
 * - a request reserves an upper bound of its tokens before it does any work
 *   (token-reservation.ts): on the isolate's lease while the lease's share of the tokens has
 *   room for it, else through the tenant's object. The share is reserved in the window, so
 *   requests that reserve never overshoot the budget (docs/limits.md). Until a lease is given
 *   back, its whole share counts as spent, and the tokens its requests were charged count again
 *   in the window: the window may refuse a little early, never late.
 */
import type { Limits } from '../tenants/tenant.ts'
import type { RevocationsSince } from './revoked-keys.ts'
import { committedRequests, committedTokens, type RateWindow } from './rate-window.ts'

/** A lease takes at most 1/LEASE_FRACTION of what is left of each budget. */
export const LEASE_FRACTION = 10
/** Requests one lease may admit, so that tokens of requests admitted together stay bounded. */
export const MAX_LEASE_REQUESTS = 64

export interface LeaseGrant {
  /** Requests the isolate may admit on its own; null when the tenant has no request limit. */
  requests: number | null
  /**
   * Tokens its requests may reserve before it must ask again; null: no token limit. They are
   * reserved in the window until the lease is given back, like its requests.
   */
  tokens: number | null
  /** When the lease ends: LEASE_TTL_MS after the grant, never after the window closes. */
  expiresAt: number
  /** The window it was charged to, so leftovers are given back to that window only. */
  windowStartedAt: number
  /** The tenant's keys revoked since the version the isolate sent: it refuses them itself. */
  revoked: RevocationsSince
}

/** What to hand out of `window` after it admitted a request, or null when nothing should be. */
export function leaseSize(
  window: RateWindow,
  limits: Limits,
): { requests: number | null; tokens: number | null } | null {
  const unlimited = limits.requests_per_minute === null && limits.tokens_per_minute === null
  if (unlimited) return { requests: null, tokens: null }
  const share = (left: number) => Math.floor(Math.max(0, left) / LEASE_FRACTION)
  const requests =
    limits.requests_per_minute === null
      ? MAX_LEASE_REQUESTS
      : Math.min(MAX_LEASE_REQUESTS, share(limits.requests_per_minute - committedRequests(window)))
  const tokens =
    limits.tokens_per_minute === null
      ? null
      : share(limits.tokens_per_minute - committedTokens(window))
  if (requests < 1 || tokens === 0) return null
  return { requests, tokens }
}
