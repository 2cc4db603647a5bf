/**
 * Admission on an isolate's lease (lease-policy.ts), seen from outside: what stays exact, and
 * the one thing a lease gives up, the speed of a revocation made in another isolate.
 */
import { describe, expect, it } from 'vitest'
import { callEdge, env, seedTenant } from '../../test/support/edge-harness.ts'
import { sha256Hex } from '../../shared/hashing.ts'
import { LEASE_TTL_MS } from './lease-policy.ts'
import { limiterFor } from './tenant-limiter.ts'

const listModels = (key: string) =>
  callEdge('/v1/models', { headers: { authorization: `Bearer ${key}` } })

async function tenantWithLimits(id: string, requestsPerMinute: number | null): Promise<string> {
  const key = `sk-test-${id}`
  await seedTenant(
    { id, limits: { requests_per_minute: requestsPerMinute, tokens_per_minute: null } },
    key,
  )
  return key
}

describe('admission leases', () => {
  it('still admit exactly the limit, counting down the remaining requests one by one', async () => {
    const key = await tenantWithLimits('lease-exact', 100)
    const remaining: string[] = []
    for (let i = 0; i < 100; i++) {
      const response = await listModels(key)
      expect(response.status).toBe(200)
      remaining.push(response.headers.get('x-ratelimit-remaining-requests')!)
    }
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, i) => String(99 - i)))
    expect((await listModels(key)).status).toBe(429)
    // Every admitted request is counted as a request of the window and of the key.
    const usage = await limiterFor(env, 'lease-exact').usageReport()
    expect(usage.totals.requests).toBe(100)
    expect(usage.window).toMatchObject({ requests: 100, leased: 0 })
  })

  it('never let concurrent requests past the limit, whatever the leases out', async () => {
    const key = await tenantWithLimits('lease-concurrent', 200)
    const statuses: number[] = []
    for (let wave = 0; wave < 5; wave++) {
      const responses = await Promise.all(Array.from({ length: 60 }, () => listModels(key)))
      statuses.push(...responses.map((r) => r.status))
    }
    const admitted = statuses.filter((s) => s === 200).length
    expect(admitted).toBeLessThanOrEqual(200)
    // Leftovers of replaced leases go back to the window; the tenant loses at most a lease.
    expect(admitted).toBeGreaterThanOrEqual(200 - 20)
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
  })

  it('count requests of a tenant without limits, though none waits on its object', async () => {
    const key = await tenantWithLimits('lease-unlimited', null)
    for (let i = 0; i < 6; i++) expect((await listModels(key)).status).toBe(200)
    expect((await limiterFor(env, 'lease-unlimited').usageReport()).totals.requests).toBe(6)
  })

  it('refuse a key revoked in another isolate once the lease ends, within a second', async () => {
    const key = await tenantWithLimits('lease-revoked', null)
    expect((await listModels(key)).status).toBe(200)
    // What the admin API in another isolate does: tell the tenant's object, not this isolate.
    await limiterFor(env, 'lease-revoked').revokeKey(await sha256Hex(key), new Date().toISOString())
    expect((await listModels(key)).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS + 50))
    const refused = await listModels(key)
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'invalid_api_key',
    )
  })
})
