/**
 * Admission on an isolate's lease (lease-policy.ts), seen from outside: what stays exact, and
 * the one thing a lease gives up, the speed of a revocation made in another isolate.
 */
import { describe, expect, it, vi } from 'vitest'
import { callEdge, env, seedTenant, startEdgeCall } from '../../test/support/edge-harness.ts'
import { sha256Hex } from '../../shared/hashing.ts'
import { AdmissionLeases } from './admission-leases.ts'
import type { RevocationsSince } from './revoked-keys.ts'
import { limiterFor, type Admission } from './tenant-limiter.ts'

const withKey = (key: string) => ({ headers: { authorization: `Bearer ${key}` } })
const listModels = (key: string) => callEdge('/v1/models', withKey(key))

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

  it('admit exactly the limit to waves of concurrent requests, whenever their leases end', async () => {
    const key = await tenantWithLimits('lease-concurrent', 200)
    const statuses: number[] = []
    for (let wave = 0; wave < 5; wave++) {
      const responses = await Promise.all(Array.from({ length: 60 }, () => listModels(key)))
      statuses.push(...responses.map((r) => r.status))
    }
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
    // Within a wave, a request can be refused while the unused share of an ended lease is still
    // out. But a wave ends only once its leases are back (the harness waits for them), and once
    // fewer than LEASE_FRACTION requests are left no lease is granted: the last wave admits
    // exactly what is left, whenever the leases before it ended.
    expect(statuses.filter((s) => s === 200)).toHaveLength(200)
  })

  it('count requests of a tenant without limits, though none waits on its object', async () => {
    const key = await tenantWithLimits('lease-unlimited', null)
    for (let i = 0; i < 6; i++) expect((await listModels(key)).status).toBe(200)
    expect((await limiterFor(env, 'lease-unlimited').usageReport()).totals.requests).toBe(6)
  })

  it('refuse a key revoked in another isolate once the lease ends', async () => {
    const key = await tenantWithLimits('lease-revoked', null)
    // Not waited out: the lease this request got still lives when the key is revoked.
    const first = await startEdgeCall('/v1/models', withKey(key))
    expect(first.response.status).toBe(200)
    // What the admin API in another isolate does: tell the tenant's object, not this isolate.
    await limiterFor(env, 'lease-revoked').revokeKey(await sha256Hex(key), new Date().toISOString())
    // Admitted on the lease while it lives (the lease book's tests below say so without a clock),
    // refused once it has ended (LEASE_TTL_MS, 100 ms here): a wait for that, capped far past it.
    await vi.waitFor(async () => expect((await listModels(key)).status).toBe(401), {
      timeout: 30_000,
      interval: 20,
    })
    await first.settled
    const refused = await listModels(key)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'invalid_api_key',
    )
  })

  it('give back what an ended lease left unused, so the window is whole again', async () => {
    const key = await tenantWithLimits('lease-returned', 1000)
    // One request takes a lease of a tenth of what is left; the harness waits for its end.
    expect((await listModels(key)).status).toBe(200)
    const window = (await limiterFor(env, 'lease-returned').usageReport()).window
    expect(window).toMatchObject({ requests: 1, leased: 0 })
  })
})

describe("an isolate's lease book", () => {
  const limits = { requests_per_minute: 1000, tokens_per_minute: null }
  const granted = (now: number): Admission => ({
    admitted: true,
    status: { requests: { limit: 1000, remaining: 900 }, tokens: null, resetMs: 60_000 },
    lease: {
      requests: 99,
      tokens: null,
      expiresAt: now + 1000,
      windowStartedAt: 5,
      revoked: { since: 0, version: 0, keyHashes: [] },
    },
  })

  it('asks for one lease at a time, and asks again if an ask never settled', () => {
    const book = new AdmissionLeases()
    expect(book.request('t', 0)).toEqual({ giveBack: null, revokedSince: 0 })
    expect(book.request('t', 10)).toBeUndefined()
    // A request cancelled mid-ask never settles; after a while another may ask.
    expect(book.request('t', 10_000)).toEqual({ giveBack: null, revokedSince: 0 })
  })

  it('admits a key revoked elsewhere while the lease lives, and leaves it to the object after', () => {
    const book = new AdmissionLeases()
    const asked = book.request('t', 0)
    book.settle('t', limits, asked, granted(0), 0) // the lease ends at 1000
    // The key was revoked through another isolate: only the tenant's object knows.
    expect(book.admit('t', limits, 'hash-revoked-elsewhere', 999)).toMatchObject({ admitted: true })
    expect(book.admit('t', limits, 'hash-revoked-elsewhere', 1000)).toBeNull()
  })

  it('does not keep a lease that arrives after a revocation made here, and gives it back', () => {
    const book = new AdmissionLeases()
    const asked = book.request('t', 0)
    book.forget('t') // a key of the tenant revoked through this isolate's admin API meanwhile
    book.settle('t', limits, asked, granted(0), 0)
    expect(book.admit('t', limits, 'some-key-hash', 1)).toBeNull()
    expect(book.request('t', 2)).toEqual({
      giveBack: { windowStartedAt: 5, requests: 99, tokens: 0 },
      revokedSince: 0,
    })
  })

  it('admits on a lease it keeps, then hands back what is left once the lease ends', async () => {
    const book = new AdmissionLeases()
    const now = Date.now()
    const asked = book.request('t', now)
    const admission = granted(now)
    book.settle('t', limits, asked, admission, now)
    expect(book.admit('t', limits, 'k', now)).toMatchObject({ admitted: true, leasedFrom: 5 })
    const returned: unknown[] = []
    if (!admission.admitted || !admission.lease) throw new Error('no lease')
    await book.expire('t', { ...admission.lease, expiresAt: now }, async (l) => {
      returned.push(l)
    })
    // Not this grant object: the held lease stays; nothing had ended, nothing goes back.
    expect(returned).toEqual([])
    await book.expire('t', admission.lease, async (l) => void returned.push(l))
    expect(returned).toEqual([{ windowStartedAt: 5, requests: 98, tokens: 0 }])
    expect(book.admit('t', limits, 'k', Date.now())).toBeNull()
  })
})

describe("an isolate's lease book: revocations and reserved tokens", () => {
  const limits = { requests_per_minute: null, tokens_per_minute: 1000 }
  const granted = (now: number, revoked: RevocationsSince, tokens = 100): Admission => ({
    admitted: true,
    status: { requests: null, tokens: { limit: 1000, remaining: 900 }, resetMs: 60_000 },
    lease: { requests: 64, tokens, expiresAt: now + 60_000, windowStartedAt: 5, revoked },
  })
  /** Asks for a lease and settles the answer; what the book sent. */
  function lease(book: AdmissionLeases, revoked: RevocationsSince, tokens?: number) {
    const asked = book.request('t', Date.now())
    book.settle('t', limits, asked, granted(Date.now(), revoked, tokens), Date.now())
    return asked
  }

  it('merges the revocations each lease brings, and asks only for those after', () => {
    const book = new AdmissionLeases()
    expect(lease(book, { since: 0, version: 2, keyHashes: ['a', 'b'] })?.revokedSince).toBe(0)
    expect(lease(book, { since: 2, version: 3, keyHashes: ['c'] })?.revokedSince).toBe(2)
    for (const revoked of ['a', 'b', 'c'])
      expect(book.admit('t', limits, revoked, Date.now())).toEqual({
        admitted: false,
        reason: 'revoked',
      })
    expect(book.admit('t', limits, 'live', Date.now())).toMatchObject({ admitted: true })
    expect(book.request('t', Date.now())?.revokedSince).toBe(3)
  })

  it('does not admit on a lease whose revocations do not follow on from what it knows', () => {
    const book = new AdmissionLeases()
    lease(book, { since: 0, version: 2, keyHashes: ['a', 'b'] })
    book.forget('t') // what it knew is gone
    lease(book, { since: 2, version: 3, keyHashes: ['c'] })
    expect(book.admit('t', limits, 'a', Date.now())).toBeNull() // the object must decide
  })

  it('reserves on a lease while its share has room, and settles what the request was charged', () => {
    const book = new AdmissionLeases()
    lease(book, { since: 0, version: 0, keyHashes: [] })
    const reservation = book.reserve('t', limits, 60, Date.now())!
    expect(book.reserve('t', limits, 41, Date.now())).toBeNull() // 40 left
    expect(book.release(reservation, 25)).toEqual({
      windowStartedAt: 5,
      settlement: { reserved: 0, leased: 0, charged: 25 },
    })
    expect(book.reserve('t', limits, 75, Date.now())).not.toBeNull() // 75 left
  })

  it('leaves what a request still running reserved in the window when its lease ends', () => {
    const book = new AdmissionLeases()
    lease(book, { since: 0, version: 0, keyHashes: [] })
    const reservation = book.reserve('t', limits, 40, Date.now())!
    // The lease ends (its time is up, or it is dropped): all but the 40 tokens go back...
    expect(book.yieldLease('t')).toEqual({ windowStartedAt: 5, requests: 64, tokens: 60 })
    // ...and the request, when it ends, settles them as the window's leased tokens.
    expect(book.release(reservation, 12)).toEqual({
      windowStartedAt: 5,
      settlement: { reserved: 0, leased: 40, charged: 12 },
    })
    expect(book.release(reservation, 12)).toBeNull() // once
  })
})
