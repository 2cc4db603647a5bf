/**
 * Admission, before the route: on this isolate's lease for the tenant when
 * it holds one (edge/limits/lease-policy.ts), else by the tenant's Durable
 * Object, which may grant a new lease with its answer. A revoked key is a
 * 401, a spent budget a 429 with `Retry-After`.
 *
 * In the route: `reserveTokens` charges the token budget an upper bound of
 * the request's tokens before the request does any work, on the lease while
 * its share has room, else through the object (the lease then ends, and what
 * it left goes along); a budget that cannot take it is a 429
 * (edge/limits/token-reservation.ts).
 *
 * After the route: the reservation is settled to what the request is charged
 * (its real tokens, or all of the reservation if it failed after reserving),
 * and that, with its cache hits and misses, is gathered for the object (usage
 * and the token budget; usage-batch.ts). Every response carries OpenAI's
 * x-ratelimit-* headers.
 *
 * The README's request walk: step 3.
 */
import type { MiddlewareHandler } from 'hono'
import { ApiError } from '../../shared/errors.ts'
import { edgeConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'
import {
  rateLimitHeaders,
  retryAfterSeconds,
  formatDuration,
} from '../limits/rate-limit-headers.ts'
import type { RateLimitStatus } from '../limits/rate-window.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'
import { limiterFor, type Admission, type LeaseReturn } from '../limits/tenant-limiter.ts'
import { chargeOf, type TokenReservation } from '../limits/token-reservation.ts'
import type { Settling, UsageBatch } from '../limits/usage-batch.ts'
import { invalidKeyError } from './tenant-auth.ts'

const BUDGET_NAMES = { requests: 'requests per minute (RPM)', tokens: 'tokens per minute (TPM)' }

/** A 429; `requested`: the tokens a reservation asked for, when one was refused. */
function rateLimitError(
  tenantId: string,
  budget: 'requests' | 'tokens',
  status: RateLimitStatus,
  requested?: number,
) {
  const { limit, remaining } = status[budget] ?? {}
  const retry = `Please try again in ${formatDuration(status.resetMs)}.`
  const message =
    requested === undefined
      ? `Rate limit reached for ${BUDGET_NAMES[budget]} of tenant '${tenantId}': limit ${limit}. ${retry}`
      : limit !== undefined && requested > limit
        ? `Request too large for ${BUDGET_NAMES[budget]} of tenant '${tenantId}': limit ${limit}, ` +
          `requested up to ${requested} (a bound on its tokens, from the length of its inputs). ` +
          'Send fewer or shorter inputs, or truncate them.'
        : `Rate limit reached for ${BUDGET_NAMES[budget]} of tenant '${tenantId}': limit ${limit}, ` +
          `remaining ${remaining}, requested up to ${requested}. ${retry}`
  return new ApiError(429, message, {
    code: 'rate_limit_exceeded',
    headers: {
      ...rateLimitHeaders(status),
      'retry-after': String(retryAfterSeconds(status)),
    },
  })
}

/** Failing open would make the limits and revocations unenforceable whenever the object is down. */
function limiterUnavailable(cause: unknown) {
  return new ApiError(503, 'the rate limiter is unavailable; retry shortly', {
    code: 'limiter_unavailable',
    headers: { 'retry-after': '1' },
    cause,
  })
}

export const tenantLimits: MiddlewareHandler<AppEnv> = async (c, next) => {
  const tenant = c.get('tenant')
  const key = c.get('apiKey')
  const { admissionLeases, usageBatcher } = isolateMemory
  // Made only when needed: a request admitted on a lease may never call the object.
  const limiter = () => limiterFor(c.env, tenant.id)
  const local = admissionLeases.admit(tenant.id, tenant.limits, key.hash, Date.now())
  if (local && !local.admitted) throw invalidKeyError()
  let status: RateLimitStatus
  if (local) {
    status = local.status
  } else {
    const leaseRequest = admissionLeases.request(tenant.id)
    let admission: Admission | null = null
    try {
      admission = await limiter().admit(
        { id: key.id, hash: key.hash },
        tenant.limits,
        leaseRequest,
        usageBatcher.take(tenant.id),
      )
    } catch (err) {
      throw limiterUnavailable(err)
    } finally {
      admissionLeases.settle(tenant.id, tenant.limits, leaseRequest, admission, Date.now())
    }
    if (!admission.admitted) {
      if (admission.reason === 'revoked') throw invalidKeyError()
      throw rateLimitError(tenant.id, admission.reason, admission.status)
    }
    status = admissionLeases.statusFor(tenant.id, admission)
    if (admission.lease) {
      const giveBack = (leftovers: LeaseReturn) =>
        limiter()
          .giveBack(leftovers)
          .catch((err: unknown) =>
            console.error(`lease of tenant ${tenant.id} not given back:`, err),
          )
      c.executionCtx.waitUntil(admissionLeases.expire(tenant.id, admission.lease, giveBack))
    }
  }

  let reservation = null as TokenReservation | null
  /** Tokens of this request that `status` already counts as spent. */
  let counted = 0
  c.set('reserveTokens', async (tokens) => {
    if (reservation) throw new Error('a request reserves its tokens once')
    if (tenant.limits.tokens_per_minute === null) {
      reservation = { tokens, holder: { kind: 'none' } }
      return
    }
    reservation = admissionLeases.reserve(tenant.id, tenant.limits, tokens, Date.now())
    if (reservation) return
    const sentAlong = {
      giveBack: admissionLeases.yieldLease(tenant.id),
      usage: usageBatcher.take(tenant.id),
    }
    let answer
    try {
      answer = await limiter().reserve(tokens, tenant.limits, sentAlong)
    } catch (err) {
      throw limiterUnavailable(err)
    }
    status = answer.status
    if (!answer.reserved) throw rateLimitError(tenant.id, 'tokens', answer.status, tokens)
    counted = tokens
    const { windowStartedAt } = answer
    reservation = { tokens, holder: { kind: 'window', windowStartedAt, field: 'tokens' } }
  })

  await next()

  const usage = c.get('usage')
  let charged = usage?.tokens ?? 0
  let settling: Settling | null = null
  if (reservation) {
    charged = chargeOf(reservation, usage)
    settling = admissionLeases.release(reservation, charged)
  } else if (usage) {
    admissionLeases.spend(tenant.id, usage.tokens)
  }
  // A failed request's usage is its charge alone: what it hit or missed is unknown.
  const spent = usage ?? (reservation ? { tokens: charged, cacheHits: 0, cacheMisses: 0 } : null)
  const leasedFrom = local?.leasedFrom ?? null
  // A request admitted on a lease is counted only here, so it is recorded even without usage.
  if (spent || leasedFrom !== null) {
    const send = (batch: UsageBatch) =>
      limiter()
        .record(batch)
        .catch((err: unknown) => {
          console.error(`usage of tenant ${tenant.id} not recorded:`, err)
        })
    const delayMs = edgeConfig(c.env).USAGE_FLUSH_MS
    const sending = usageBatcher.add(tenant.id, key.id, spent ?? NO_USAGE, leasedFrom, settling, {
      delayMs,
      send,
    })
    if (sending) c.executionCtx.waitUntil(sending)
  }
  for (const [name, value] of Object.entries(rateLimitHeaders(status, charged - counted)))
    c.res.headers.set(name, value)
}

const NO_USAGE = { tokens: 0, cacheHits: 0, cacheMisses: 0 }
