/**
 * Admission, before the route: on this isolate's lease for the tenant when
 * it holds one (edge/limits/lease-policy.ts), else by the tenant's Durable
 * Object, which may grant a new lease with its answer. A revoked key is a
 * 401, a spent budget a 429 with `Retry-After`. After the route: the tokens,
 * hits and misses it reports are gathered for the object (usage and the token
 * budget; usage-batch.ts), and every response carries OpenAI's x-ratelimit-*
 * headers.
 */
import type { MiddlewareHandler } from 'hono'
import { ApiError } from '../../shared/errors.ts'
import type { AppEnv } from '../env.ts'
import { nonNegativeVar } from '../env-vars.ts'
import {
  rateLimitHeaders,
  retryAfterSeconds,
  formatDuration,
} from '../limits/rate-limit-headers.ts'
import type { RateLimitStatus } from '../limits/rate-window.ts'
import { admissionLeases } from '../limits/admission-leases.ts'
import { limiterFor, type Admission, type LeaseReturn } from '../limits/tenant-limiter.ts'
import { usageBatcher, type UsageBatch } from '../limits/usage-batch.ts'
import { invalidKeyError } from './tenant-auth.ts'

const BUDGET_NAMES = { requests: 'requests per minute (RPM)', tokens: 'tokens per minute (TPM)' }

function rateLimitError(tenantId: string, budget: 'requests' | 'tokens', status: RateLimitStatus) {
  const limit = status[budget]?.limit
  return new ApiError(
    429,
    `Rate limit reached for ${BUDGET_NAMES[budget]} of tenant '${tenantId}': limit ${limit}. ` +
      `Please try again in ${formatDuration(status.resetMs)}.`,
    {
      code: 'rate_limit_exceeded',
      headers: {
        ...rateLimitHeaders(status),
        'retry-after': String(retryAfterSeconds(status)),
      },
    },
  )
}

export const tenantLimits: MiddlewareHandler<AppEnv> = async (c, next) => {
  const tenant = c.get('tenant')
  const key = c.get('apiKey')
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
      // Failing open would make the limits and revocations unenforceable whenever the object is down.
      throw new ApiError(503, 'the rate limiter is unavailable; retry shortly', {
        code: 'limiter_unavailable',
        headers: { 'retry-after': '1' },
        cause: err,
      })
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

  await next()

  const usage = c.get('usage')
  if (usage) admissionLeases.spend(tenant.id, usage.tokens)
  const leasedFrom = local?.leasedFrom ?? null
  // A request admitted on a lease is counted only here, so it is recorded even without usage.
  if (usage || leasedFrom !== null) {
    const send = (batch: UsageBatch) =>
      limiter()
        .record(batch)
        .catch((err: unknown) => {
          console.error(`usage of tenant ${tenant.id} not recorded:`, err)
        })
    const delayMs = nonNegativeVar(c.env.USAGE_FLUSH_MS, DEFAULT_USAGE_FLUSH_MS)
    const sending = usageBatcher.add(tenant.id, key.id, usage ?? NO_USAGE, leasedFrom, {
      delayMs,
      send,
    })
    if (sending) c.executionCtx.waitUntil(sending)
  }
  for (const [name, value] of Object.entries(rateLimitHeaders(status, usage?.tokens)))
    c.res.headers.set(name, value)
}

const NO_USAGE = { tokens: 0, cacheHits: 0, cacheMisses: 0 }
const DEFAULT_USAGE_FLUSH_MS = 200
