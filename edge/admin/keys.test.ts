import { runInDurableObject } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CreatedKey, KeyList, KeyView } from './api-types.ts'
import { admin, callAdmin, tenantWithKey } from '../../test/support/admin-harness.ts'
import { DEFAULT_MODEL, callEdge, env, postEmbeddings } from '../../test/support/edge-harness.ts'
import { limiterFor } from '../limits/tenant-limiter.ts'
import { keyRecordName } from '../tenants/tenant.ts'
import { sha256Hex } from '../../shared/hashing.ts'

const TENANT = 'keys-tenant'
let first: CreatedKey

beforeAll(async () => {
  first = await tenantWithKey({ id: TENANT, name: 'Keys Inc.' })
})

const listModels = (key: string) =>
  callEdge('/v1/models', { headers: { authorization: `Bearer ${key}` } })

async function listKeys(): Promise<KeyView[]> {
  return (await admin<KeyList>('GET', `/tenants/${TENANT}/keys`)).data
}

async function expectUnauthorized(response: Response) {
  const text = await response.text()
  expect(response.status, text).toBe(401)
  expect(JSON.parse(text).error.code).toBe('invalid_api_key')
}

describe('admin API: keys', () => {
  it('creates a key that works at once and is shown only in the create answer', async () => {
    expect(first.key).toMatch(/^sk-emb-[0-9a-f]{48}$/)
    expect(first.prefix).toBe(first.key.slice(0, 12))
    expect(first.tenant_id).toBe(TENANT)
    expect(first.revoked_at).toBeNull()
    const response = await postEmbeddings(
      { model: DEFAULT_MODEL, input: 'keys: hello' },
      { key: first.key },
    )
    expect(response.status).toBe(200)
    const { key: raw, ...view } = first
    const listed = await listKeys()
    expect(listed).toContainEqual(view)
    expect(JSON.stringify(listed)).not.toContain(raw)
  })

  it('never stores the raw key: not in KV (names, values, metadata), not in the Durable Object', async () => {
    const { keys } = await env.CONTROL_KV.list()
    for (const { name, metadata } of keys) {
      expect(name).not.toContain(first.key)
      expect(JSON.stringify(metadata ?? null)).not.toContain(first.key)
      expect((await env.CONTROL_KV.get(name)) ?? '').not.toContain(first.key)
    }
    expect(await env.CONTROL_KV.get(keyRecordName(await sha256Hex(first.key)))).not.toBeNull()
    const stored = await runInDurableObject(limiterFor(env, TENANT), async (_, state) =>
      JSON.stringify([...(await state.storage.list()).entries()]),
    )
    expect(stored).not.toContain(first.key)
  })

  it('holds several keys per tenant, each listed with its prefix and creation time', async () => {
    const second = await admin<CreatedKey>(
      'POST',
      `/tenants/${TENANT}/keys`,
      { name: 'second' },
      201,
    )
    expect(second.id).not.toBe(first.id)
    expect(second.key).not.toBe(first.key)
    expect((await listModels(first.key)).status).toBe(200)
    expect((await listModels(second.key)).status).toBe(200)
    const listed = await listKeys()
    const ids = listed.map((k) => k.id)
    expect(ids).toEqual(expect.arrayContaining([first.id, second.id]))
    for (const key of listed) {
      expect(key.prefix).toMatch(/^sk-emb-/)
      expect(Number.isNaN(Date.parse(key.created_at))).toBe(false)
    }
  })

  it('revokes a key: 401 from the next request on, with the revocation time listed', async () => {
    const doomed = await admin<CreatedKey>('POST', `/tenants/${TENANT}/keys`, {}, 201)
    expect((await listModels(doomed.key)).status).toBe(200)
    const revoked = await admin<KeyView>('POST', `/tenants/${TENANT}/keys/${doomed.id}/revoke`)
    expect(Number.isNaN(Date.parse(revoked.revoked_at!))).toBe(false)
    await expectUnauthorized(await listModels(doomed.key))
    await expectUnauthorized(
      await postEmbeddings({ model: DEFAULT_MODEL, input: 'keys: revoked' }, { key: doomed.key }),
    )
    expect((await listKeys()).find((k) => k.id === doomed.id)?.revoked_at).toBe(revoked.revoked_at)
    // Revoking again changes nothing, including the time.
    const again = await admin<KeyView>('POST', `/tenants/${TENANT}/keys/${doomed.id}/revoke`)
    expect(again.revoked_at).toBe(revoked.revoked_at)
  })

  it('refuses a revoked key even where KV still shows it live (the Durable Object decides)', async () => {
    const doomed = await admin<CreatedKey>('POST', `/tenants/${TENANT}/keys`, {}, 201)
    const name = keyRecordName(await sha256Hex(doomed.key))
    const liveRecord = await env.CONTROL_KV.get(name)
    await admin('POST', `/tenants/${TENANT}/keys/${doomed.id}/revoke`)
    // What a KV location that has not seen the revocation yet still serves:
    await env.CONTROL_KV.put(name, liveRecord!)
    await expectUnauthorized(await listModels(doomed.key))
  })

  it('rotates a key: the old one stops, the new one works, both are listed', async () => {
    const old = await admin<CreatedKey>('POST', `/tenants/${TENANT}/keys`, { name: 'ci' }, 201)
    const rotated = await admin<CreatedKey>(
      'POST',
      `/tenants/${TENANT}/keys/${old.id}/rotate`,
      undefined,
      201,
    )
    expect(rotated.key).not.toBe(old.key)
    expect(rotated.name).toBe('ci')
    expect(rotated.replaces?.id).toBe(old.id)
    expect(rotated.replaces?.revoked_at).not.toBeNull()
    await expectUnauthorized(await listModels(old.key))
    expect((await listModels(rotated.key)).status).toBe(200)
    const listed = await listKeys()
    const oldListed = listed.find((k) => k.id === old.id)!
    const newListed = listed.find((k) => k.id === rotated.id)!
    expect(oldListed).toMatchObject({ prefix: old.prefix, created_at: old.created_at })
    expect(oldListed.revoked_at).not.toBeNull()
    expect(newListed).toMatchObject({ prefix: rotated.prefix, revoked_at: null })
    expect(Date.parse(newListed.created_at)).toBeGreaterThanOrEqual(Date.parse(old.created_at))
  })

  it('refuses to rotate a revoked key, and answers 404 for unknown tenants and keys', async () => {
    const old = await admin<CreatedKey>('POST', `/tenants/${TENANT}/keys`, {}, 201)
    await admin('POST', `/tenants/${TENANT}/keys/${old.id}/revoke`)
    const rotate = await callAdmin('POST', `/tenants/${TENANT}/keys/${old.id}/rotate`)
    expect(rotate.status).toBe(409)
    expect((await callAdmin('POST', `/tenants/${TENANT}/keys/key_nope/revoke`)).status).toBe(404)
    expect((await callAdmin('POST', '/tenants/no-such-tenant/keys', {})).status).toBe(404)
    expect((await callAdmin('GET', '/tenants/no-such-tenant/keys')).status).toBe(404)
  })

  it("does not let one tenant's key id reach another tenant's key", async () => {
    const other = await tenantWithKey({ id: 'keys-other' })
    expect((await callAdmin('POST', `/tenants/${TENANT}/keys/${other.id}/revoke`)).status).toBe(404)
    expect((await listModels(other.key)).status).toBe(200)
  })
})
