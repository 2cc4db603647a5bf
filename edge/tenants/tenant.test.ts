import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../shared/hashing.ts'
import { env, seedTenant } from '../../test/support/edge-harness.ts'
import { newApiKey, newKeyId, visiblePrefix } from './api-keys.ts'
import { dimensionsFor } from './dimensions-policy.ts'
import { apiKeyEntries } from './tenant-records.ts'
import { credentialsForApiKey, listTenantKeys } from './tenant-store.ts'
import { TenantSchema, keyRecordName, tenantKeyIndexName } from './tenant.ts'

describe('tenant records', () => {
  it('fills defaults for a stored tenant that predates limits and max_dimensions', () => {
    const tenant = TenantSchema.parse({ id: 'old', allowed_models: ['*'] })
    expect(tenant.limits).toEqual({ requests_per_minute: null, tokens_per_minute: null })
    expect(tenant.max_dimensions).toBeNull()
    expect(tenant.cache_scope).toBe('tenant')
  })

  it('makes unguessable keys and distinct ids', () => {
    const keys = new Set(Array.from({ length: 50 }, newApiKey))
    const ids = new Set(Array.from({ length: 50 }, newKeyId))
    expect(keys.size).toBe(50)
    expect(ids.size).toBe(50)
    const key = [...keys][0]
    expect(visiblePrefix(key)).toBe(key.slice(0, 12))
  })

  it('writes a key as its hash, indexed under its tenant', async () => {
    const key = newApiKey()
    const { entries, keyHash } = await apiKeyEntries('records', key, { keyId: 'key_a', name: 'n' })
    expect(keyHash).toBe(await sha256Hex(key))
    expect(entries.map((e) => e.key)).toEqual([
      keyRecordName(keyHash),
      tenantKeyIndexName('records', 'key_a'),
    ])
    expect(JSON.stringify(entries)).not.toContain(key)
  })

  it('resolves a key to its tenant and identity, and lists the keys of a tenant', async () => {
    await seedTenant(
      { id: 'records', limits: { requests_per_minute: 7, tokens_per_minute: null } },
      'sk-test-records-1',
    )
    const credentials = await credentialsForApiKey(env.CONTROL_KV, 'sk-test-records-1')
    expect(credentials?.tenant.limits.requests_per_minute).toBe(7)
    expect(credentials?.key).toEqual({
      id: 'key-1',
      prefix: 'sk-test-reco',
      hash: await sha256Hex('sk-test-records-1'),
    })
    expect(await credentialsForApiKey(env.CONTROL_KV, 'sk-test-records-2')).toBeNull()
    const listed = await listTenantKeys(env.CONTROL_KV, 'records')
    expect(listed.map((k) => k.record.key_id)).toEqual(['key-1'])
  })
})

describe('max_dimensions', () => {
  const capped = TenantSchema.parse({ id: 'capped', max_dimensions: 256 })
  const open = TenantSchema.parse({ id: 'open' })

  it('serves the cap when a request names no dimensions, the model size without a cap', () => {
    expect(dimensionsFor(capped, undefined, 512)).toBe(256)
    expect(dimensionsFor(capped, undefined, 128)).toBe(128)
    expect(dimensionsFor(open, undefined, 512)).toBe(512)
  })

  it('serves what was asked up to the cap and refuses more with 403 naming dimensions', () => {
    expect(dimensionsFor(capped, 64, 512)).toBe(64)
    expect(dimensionsFor(capped, 256, 512)).toBe(256)
    expect(() => dimensionsFor(capped, 257, 512)).toThrow(
      expect.objectContaining({ status: 403, param: 'dimensions' }),
    )
    expect(dimensionsFor(open, 512, 512)).toBe(512)
  })
})
