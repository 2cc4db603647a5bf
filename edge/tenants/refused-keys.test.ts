import { afterEach, describe, expect, it, vi } from 'vitest'
import type { CreatedKey } from '../admin/api-types.ts'
import { admin, tenantWithKey } from '../../test/support/admin-harness.ts'
import { countingKv } from '../../test/support/counting-kv.ts'
import { callEdge, env } from '../../test/support/edge-harness.ts'
import type { Env } from '../env.ts'

const listModels = (key: string, overrides: Partial<Env> = {}) =>
  callEdge('/v1/models', { headers: { authorization: `Bearer ${key}` } }, overrides)

afterEach(() => {
  vi.restoreAllMocks()
})

describe('refused keys', () => {
  it('reads KV once for a flood of the same unknown key, and answers each with 401', async () => {
    const { kv, calls } = countingKv(env.CONTROL_KV)
    for (let i = 0; i < 20; i++) {
      const response = await listModels('sk-emb-flood-of-one-unknown-key', { CONTROL_KV: kv })
      expect(response.status).toBe(401)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'invalid_api_key',
      )
    }
    expect(calls.reads).toBe(1)
  })

  it('still reads KV for each distinct unknown key (one read each, then none)', async () => {
    const { kv, calls } = countingKv(env.CONTROL_KV)
    for (const round of [1, 2]) {
      for (const key of ['sk-emb-distinct-a', 'sk-emb-distinct-b', 'sk-emb-distinct-c'])
        expect((await listModels(key, { CONTROL_KV: kv })).status).toBe(401)
      expect(calls.reads, `after round ${round}`).toBe(3)
    }
  })

  it('lets a key the admin API creates work at once, though it was refused a moment before', async () => {
    await tenantWithKey({ id: 'refused-then-created' })
    // The next key the admin API makes, known in advance: every random byte is 0x2a.
    const upcoming = `sk-emb-${'2a'.repeat(24)}`
    expect((await listModels(upcoming)).status).toBe(401)
    vi.spyOn(crypto, 'getRandomValues').mockImplementation((array) => {
      new Uint8Array(array!.buffer).fill(0x2a)
      return array
    })
    const created = await admin<CreatedKey>('POST', '/tenants/refused-then-created/keys', {}, 201)
    vi.restoreAllMocks()
    expect(created.key).toBe(upcoming)
    expect((await listModels(upcoming)).status).toBe(200)
  })
})
