/**
 * Admin: a tenant's API keys (`/admin/tenants/:tenantId/keys`). Create and
 * rotate answer with the raw key, the only time it is ever shown; only its
 * SHA-256 is stored. Revocation goes to the tenant's Durable Object first,
 * which refuses the key from its next request on, wherever it is sent; the
 * KV record follows for the record's sake (and as a second check).
 */
import { Hono, type Context } from 'hono'
import { ApiError } from '../../shared/errors.ts'
import type { AppEnv } from '../env.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'
import { limiterFor } from '../limits/tenant-limiter.ts'
import { newApiKey, newKeyId } from '../tenants/api-keys.ts'
import { apiKeyEntries } from '../tenants/tenant-records.ts'
import {
  findTenantKey,
  listTenantKeys,
  writeEntries,
  writeKeyRecord,
  type StoredKey,
} from '../tenants/tenant-store.ts'
import type { ApiKeyRecord, Tenant } from '../tenants/tenant.ts'
import { NewKeySchema, type CreatedKey, type KeyList, type KeyView } from './api-types.ts'
import { parseWith, readJsonObject } from './admin-body.ts'
import { requireTenant } from './tenants-route.ts'

export const keysRoute = new Hono<AppEnv>()

export function keyView(record: ApiKeyRecord): KeyView {
  return {
    id: record.key_id,
    tenant_id: record.tenant_id,
    prefix: record.prefix,
    name: record.name,
    created_at: record.created_at,
    revoked_at: record.revoked_at,
  }
}

async function createKey(c: Context<AppEnv>, tenant: Tenant, name: string): Promise<CreatedKey> {
  const key = newApiKey()
  const { record, entries } = await apiKeyEntries(tenant.id, key, { keyId: newKeyId(), name })
  await writeEntries(c.env.CONTROL_KV, entries)
  return { key, ...keyView(record) }
}

async function requireKey(c: Context<AppEnv>, tenant: Tenant): Promise<StoredKey> {
  const keyId = c.req.param('keyId') ?? ''
  const key = await findTenantKey(c.env.CONTROL_KV, tenant.id, keyId)
  if (!key) {
    throw new ApiError(404, `tenant '${tenant.id}' has no key '${keyId}'`, {
      code: 'key_not_found',
    })
  }
  return key
}

async function revoke(c: Context<AppEnv>, key: StoredKey): Promise<KeyView> {
  if (key.record.revoked_at !== null) return keyView(key.record)
  const at = new Date().toISOString()
  await limiterFor(c.env, key.record.tenant_id).revokeKey(key.hash, at)
  // This isolate refuses the key at once; others when their lease ends (lease-policy.ts).
  isolateMemory.admissionLeases.forget(key.record.tenant_id)
  const revoked = { hash: key.hash, record: { ...key.record, revoked_at: at } }
  await writeKeyRecord(c.env.CONTROL_KV, revoked)
  return keyView(revoked.record)
}

keysRoute.post('/tenants/:tenantId/keys', async (c) => {
  const tenant = await requireTenant(c)
  const { name } = parseWith(NewKeySchema, await readJsonObject(c))
  return c.json(await createKey(c, tenant, name), 201)
})

keysRoute.get('/tenants/:tenantId/keys', async (c) => {
  const tenant = await requireTenant(c)
  const keys = await listTenantKeys(c.env.CONTROL_KV, tenant.id)
  const body: KeyList = { object: 'list', data: keys.map((key) => keyView(key.record)) }
  return c.json(body)
})

keysRoute.post('/tenants/:tenantId/keys/:keyId/revoke', async (c) => {
  const tenant = await requireTenant(c)
  return c.json(await revoke(c, await requireKey(c, tenant)))
})

/** A new key for the old one's holder, and the old one revoked at once. */
keysRoute.post('/tenants/:tenantId/keys/:keyId/rotate', async (c) => {
  const tenant = await requireTenant(c)
  const old = await requireKey(c, tenant)
  if (old.record.revoked_at !== null) {
    throw new ApiError(409, `key '${old.record.key_id}' is already revoked; create a new key`, {
      code: 'key_revoked',
    })
  }
  const created = await createKey(c, tenant, old.record.name)
  const body: CreatedKey = { ...created, replaces: await revoke(c, old) }
  return c.json(body, 201)
})
