import { describe, expect, it } from 'vitest'
import { LEASE_FRACTION, MAX_LEASE_REQUESTS, leaseSize } from './lease-policy.ts'

const window = (requests: number, tokens = 0, leased = 0) => ({
  startedAt: 0,
  requests,
  leased,
  tokens,
})

describe('the lease an isolate gets with an admission', () => {
  it('is open-ended for a tenant without limits: there is nothing to count', () => {
    const unlimited = { requests_per_minute: null, tokens_per_minute: null }
    expect(leaseSize(window(1e9, 1e12), unlimited)).toEqual({ requests: null, tokens: null })
  })

  it('takes a tenth of the requests left, counting requests already out on leases', () => {
    const limits = { requests_per_minute: 500, tokens_per_minute: null }
    expect(leaseSize(window(100), limits)).toEqual({ requests: 40, tokens: null })
    expect(leaseSize(window(100, 0, 300), limits)).toEqual({ requests: 10, tokens: null })
    expect(leaseSize(window(0), { ...limits, requests_per_minute: 1_000_000 })?.requests).toBe(
      MAX_LEASE_REQUESTS,
    )
  })

  it('is not granted near the limit, so the last requests are admitted one by one', () => {
    const limits = { requests_per_minute: 100, tokens_per_minute: null }
    expect(leaseSize(window(100 - LEASE_FRACTION), limits)).toEqual({ requests: 1, tokens: null })
    expect(leaseSize(window(100 - LEASE_FRACTION + 1), limits)).toBeNull()
    expect(leaseSize(window(100), limits)).toBeNull()
  })

  it('shares a tenth of the tokens left, with a bounded count of requests', () => {
    const limits = { requests_per_minute: null, tokens_per_minute: 10_000 }
    expect(leaseSize(window(0, 2_000), limits)).toEqual({
      requests: MAX_LEASE_REQUESTS,
      tokens: 800,
    })
    expect(leaseSize(window(0, 9_995), limits)).toBeNull()
    expect(leaseSize(window(0, 12_000), limits)).toBeNull()
  })
})
