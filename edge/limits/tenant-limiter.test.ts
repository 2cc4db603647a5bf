/**
 * The tenant's Durable Object on its own, called as the edge calls it: its alarm, how it keeps
 * revoked keys, what a lease carries of them, and how it settles reservations of tokens.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { env } from '../../test/support/edge-harness.ts'
import type { Limits } from '../tenants/tenant.ts'
import { endRateWindow } from '../../test/support/end-rate-window.ts'
import { limiterFor, type Admission } from './tenant-limiter.ts'
import type { UsageBatch } from './usage-batch.ts'

const AT = '2026-01-01T00:00:00.000Z'
const unlimited: Limits = { requests_per_minute: null, tokens_per_minute: null }
const tokenLimit: Limits = { requests_per_minute: null, tokens_per_minute: 1000 }
const key = { id: 'key_one', hash: 'hash-of-a-live-key' }

function leaseOf(admission: Admission) {
  if (!admission.admitted || !admission.lease) throw new Error('no lease granted')
  return admission.lease
}

/** A batch of one request of `key` that reserved in the window that started at `startedAt`. */
function settling(
  startedAt: number,
  charged: number,
  held: { reserved?: number; leased?: number },
) {
  return {
    keys: {
      [key.id]: { usage: { tokens: charged, cacheHits: 0, cacheMisses: 1 }, leasedRequests: 0 },
    },
    leasedFrom: {},
    settledFrom: { [startedAt]: { reserved: 0, leased: 0, ...held, charged } },
  } satisfies UsageBatch
}

describe("the tenant object's alarm", () => {
  it('leaves a window that has not ended as it is, and sets its alarm again', async () => {
    const limiter = limiterFor(env, 'limiter-early-alarm')
    await limiter.admit(key, { requests_per_minute: 5, tokens_per_minute: null })
    await limiter.admit(key, { requests_per_minute: 5, tokens_per_minute: null })
    // Run long before the window is up, as a retried or late alarm of an earlier window would.
    expect(await runDurableObjectAlarm(limiter)).toBe(true)
    expect((await limiter.usageReport()).window).toMatchObject({ requests: 2 })
    // ...and the window still ends: its alarm is set again, and clears it once it has ended.
    expect(await endRateWindow('limiter-early-alarm')).toBe(true)
    expect((await limiter.usageReport()).window).toBeNull()
    const stored = await runInDurableObject(limiter, (_, state) => state.storage.get('window'))
    expect(stored).toBeUndefined()
  })
})

describe('revoked keys', () => {
  it('are kept one storage row per key, numbered in the order revoked', async () => {
    const limiter = limiterFor(env, 'limiter-revoked-rows')
    await limiter.revokeKey('hash-a', AT)
    await limiter.revokeKey('hash-b', '2026-01-02T00:00:00.000Z')
    await limiter.revokeKey('hash-a', '2026-01-03T00:00:00.000Z') // the first time stays
    const rows = await runInDurableObject(limiter, async (_, state) =>
      Object.fromEntries(await state.storage.list()),
    )
    expect(rows).toEqual({
      'revoked:hash-a': { at: AT, version: 1 },
      'revoked:hash-b': { at: '2026-01-02T00:00:00.000Z', version: 2 },
    })
    expect(await limiter.admit({ id: 'key_a', hash: 'hash-a' }, unlimited)).toEqual({
      admitted: false,
      reason: 'revoked',
    })
  })

  it('stored the old way, as one list, are moved to rows when the object starts', async () => {
    await runInDurableObject(limiterFor(env, 'limiter-revoked-legacy'), (_, state) =>
      state.storage.put('revoked', { 'hash-x': AT, 'hash-y': AT }),
    )
    await abortAllDurableObjects() // the object starts again and reads its storage
    const limiter = limiterFor(env, 'limiter-revoked-legacy')
    expect(await limiter.admit({ id: 'key_y', hash: 'hash-y' }, unlimited)).toMatchObject({
      reason: 'revoked',
    })
    const rows = await runInDurableObject(limiter, async (_, state) =>
      Object.fromEntries(await state.storage.list({ prefix: 'revoked' })),
    )
    expect(rows).toEqual({
      'revoked:hash-x': { at: AT, version: 1 },
      'revoked:hash-y': { at: AT, version: 2 },
    })
    expect(
      leaseOf(await limiter.admit(key, unlimited, { giveBack: null, revokedSince: 0 })).revoked,
    ).toEqual({ since: 0, version: 2, keyHashes: ['hash-x', 'hash-y'] })
  })

  it('reach an isolate with its leases only once: each lease carries those after its version', async () => {
    const limiter = limiterFor(env, 'limiter-revoked-since')
    await limiter.revokeKey('hash-a', AT)
    await limiter.revokeKey('hash-b', AT)
    const ask = (revokedSince: number) =>
      limiter.admit(key, unlimited, { giveBack: null, revokedSince }).then(leaseOf)
    expect((await ask(0)).revoked).toEqual({
      since: 0,
      version: 2,
      keyHashes: ['hash-a', 'hash-b'],
    })
    await limiter.revokeKey('hash-c', AT)
    expect((await ask(2)).revoked).toEqual({ since: 2, version: 3, keyHashes: ['hash-c'] })
    expect((await ask(3)).revoked).toEqual({ since: 3, version: 3, keyHashes: [] })
    // A version the object never reached (its storage was emptied): the whole list again.
    expect((await ask(9)).revoked).toEqual({
      since: 0,
      version: 3,
      keyHashes: ['hash-a', 'hash-b', 'hash-c'],
    })
  })
})

describe('reserved tokens', () => {
  it('are charged to the window at once, and settled there to what the request was charged', async () => {
    const limiter = limiterFor(env, 'limiter-settle')
    const none = { giveBack: null, usage: null }
    const reservation = await limiter.reserve(400, tokenLimit, none)
    if (!reservation.reserved) throw new Error('refused')
    expect(reservation.status.tokens).toEqual({ limit: 1000, remaining: 600 })
    expect(await limiter.reserve(601, tokenLimit, none)).toMatchObject({ reserved: false })

    await limiter.record(settling(reservation.windowStartedAt, 30, { reserved: 400 }))
    const report = await limiter.usageReport()
    expect(report.window?.tokens).toBe(30)
    expect(report.totals.tokens).toBe(30)
  })

  it('that a lease held when it ended stay leased until their request settles', async () => {
    const limiter = limiterFor(env, 'limiter-settle-leased')
    const lease = leaseOf(await limiter.admit(key, tokenLimit, { giveBack: null, revokedSince: 0 }))
    expect(lease.tokens).toBe(100)
    // The lease ended with a request holding 40 of its tokens: the other 60 go back.
    const { windowStartedAt } = lease
    await limiter.giveBack({ windowStartedAt, requests: lease.requests ?? 0, tokens: 60 })
    expect((await limiter.usageReport()).window).toMatchObject({ tokens: 0, tokens_leased: 40 })
    await limiter.record(settling(windowStartedAt, 12, { leased: 40 }))
    expect((await limiter.usageReport()).window).toMatchObject({ tokens: 12, tokens_leased: 0 })
  })

  it('are counted once: a request settled after its window closed costs the next one nothing', async () => {
    const limiter = limiterFor(env, 'limiter-settle-late')
    const reservation = await limiter.reserve(50, tokenLimit, { giveBack: null, usage: null })
    if (!reservation.reserved) throw new Error('refused')
    await endRateWindow('limiter-settle-late')
    await limiter.record(settling(reservation.windowStartedAt, 20, { reserved: 50 }))
    const report = await limiter.usageReport()
    expect(report.window?.tokens).toBe(0)
    expect(report.totals.tokens).toBe(20)
  })
})
