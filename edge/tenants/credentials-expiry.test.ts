/**
 * An isolate keeps the key and tenant records it found for 60 s
 * (CONTROL_CACHE_TTL_SECONDS in tenant-store.ts): a change that reaches KV
 * behind its back, as another location's change arrives, takes effect here
 * within that time. A deleted key keeps working until then and stops after; a
 * changed tenant record is followed after it.
 * Time is moved forward by spying on both clocks an expiry could read:
 * `Date.now` and `performance.now` (lru-cache's default).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { sha256Hex } from '../../shared/hashing.ts'
import { DEFAULT_MODEL, env, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import { keyRecordName, tenantRecordName } from './tenant.ts'

const key = 'sk-test-credentials-expiry-0001'
const changedKey = 'sk-test-credentials-expiry-changed-0001'
const CONTROL_CACHE_TTL_MS = 60_000

beforeAll(async () => {
  await seedTenant({ id: 'credentials-expiry' }, key)
  await seedTenant({ id: 'credentials-expiry-changed' }, changedKey)
})

afterEach(() => {
  vi.restoreAllMocks()
})

/** From now on, both clocks read `ms` later than they would. */
function moveClocksBy(ms: number): void {
  const dateNow = Date.now.bind(Date)
  const performanceNow = performance.now.bind(performance)
  vi.spyOn(Date, 'now').mockImplementation(() => dateNow() + ms)
  vi.spyOn(performance, 'now').mockImplementation(() => performanceNow() + ms)
}

/** One input throughout: after the first request it is cached, so no node call sees the clocks. */
async function status(apiKey = key): Promise<number> {
  const response = await postEmbeddings(
    { model: DEFAULT_MODEL, input: 'credentials expiry' },
    { key: apiKey },
  )
  await response.body?.cancel()
  return response.status
}

describe('cached credentials', () => {
  it('stop working once the cache TTL has passed for a key deleted from KV', async () => {
    expect(await status()).toBe(200) // the key's record is now cached
    // Deleted behind this isolate's back (not through tenant-store.ts, which would tell it).
    await env.CONTROL_KV.delete(keyRecordName(await sha256Hex(key)))

    expect(await status()).toBe(200)

    // lru-cache reuses its last clock reading for 1 ms: let that pass before the clock moves.
    await new Promise((resolve) => setTimeout(resolve, 10))
    moveClocksBy(CONTROL_CACHE_TTL_MS + 1_000)
    expect(await status()).toBe(401)
  })

  it('follow a tenant record changed in KV once the cache TTL has passed', async () => {
    expect(await status(changedKey)).toBe(200)
    // The operator narrowed the tenant's models; written past this isolate's caches.
    const narrowed = { id: 'credentials-expiry-changed', allowed_models: ['another-model'] }
    await env.CONTROL_KV.put(tenantRecordName(narrowed.id), JSON.stringify(narrowed))

    expect(await status(changedKey)).toBe(200)

    await new Promise((resolve) => setTimeout(resolve, 10))
    moveClocksBy(CONTROL_CACHE_TTL_MS + 1_000)
    expect(await status(changedKey)).toBe(403)
  })
})
