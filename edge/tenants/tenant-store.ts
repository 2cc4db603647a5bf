/**
 * Reads and writes tenants and API keys in CONTROL_KV.
 *
 * What it read is held in the isolate's memory (edge/isolate/isolate-memory.ts): live
 * credentials by raw key, refused keys by hash, and one tenant object per tenant record. Writes
 * through this module forget the first two, so the isolate that made a change sees it at once
 * (a key the admin API just created works at once, though it was refused a moment before);
 * other isolates see it within CONTROL_CACHE_TTL_SECONDS, the bound KV's cache already sets, and
 * a new key they refused within the refusal's few seconds.
 */
import { sha256Hex } from '../../shared/hashing.ts'
import { CONTROL_CACHE_TTL_SECONDS, isolateMemory } from '../isolate/isolate-memory.ts'
import type { KvEntry } from './tenant-records.ts'
import {
  ApiKeyRecordSchema,
  TENANT_RECORD_PREFIX,
  TenantSchema,
  keyRecordName,
  tenantKeyIndexName,
  tenantKeyIndexPrefix,
  tenantRecordName,
  type ApiKeyRecord,
  type Tenant,
} from './tenant.ts'

/** Which key authenticated a request: what usage and revocation are tracked by. */
export interface KeyIdentity {
  id: string
  prefix: string
  /** SHA-256 of the raw key: unique even if two keys were given the same id. */
  hash: string
}

export interface Credentials {
  tenant: Tenant
  key: KeyIdentity
}

/**
 * Empties this isolate's credentials and its refused keys; writes here call it, so a refused key
 * is always one KV refused since the last write.
 */
export function forgetCredentials(): void {
  isolateMemory.credentials.clear()
  isolateMemory.refusedKeys.clear()
}

/** The tenant and key a raw API key stands for, or null for an unknown or revoked key. */
export async function credentialsForApiKey(
  kv: KVNamespace,
  apiKey: string,
): Promise<Credentials | null> {
  const { credentials: live, refusedKeys } = isolateMemory
  const cached = live.get(apiKey)
  if (cached) return cached
  live.purgeStale()
  const hash = await sha256Hex(apiKey)
  if (refusedKeys.has(hash)) return null
  const credentials = await readCredentials(kv, hash)
  if (credentials) live.set(apiKey, credentials)
  else refusedKeys.set(hash, true)
  return credentials
}

async function readCredentials(kv: KVNamespace, hash: string): Promise<Credentials | null> {
  const keyRecord = ApiKeyRecordSchema.safeParse(
    await kv.get(keyRecordName(hash), { type: 'json', cacheTtl: CONTROL_CACHE_TTL_SECONDS }),
  )
  if (!keyRecord.success || keyRecord.data.revoked_at !== null) return null
  const tenant = await readTenantObject(kv, keyRecord.data.tenant_id)
  if (!tenant) return null
  return { tenant, key: { id: keyRecord.data.key_id, prefix: keyRecord.data.prefix, hash } }
}

/** The tenant's record as an object, the same object as before while its text is unchanged. */
async function readTenantObject(kv: KVNamespace, tenantId: string): Promise<Tenant | null> {
  const text = await kv.get(tenantRecordName(tenantId), {
    type: 'text',
    cacheTtl: CONTROL_CACHE_TTL_SECONDS,
  })
  if (text === null) return null
  const { tenantObjects } = isolateMemory
  const known = tenantObjects.get(tenantId)
  if (known?.text === text) return known.tenant
  let record: unknown = null
  try {
    record = JSON.parse(text)
  } catch {
    // A corrupt record stands for no tenant, as a record of the wrong shape does.
  }
  const parsed = TenantSchema.safeParse(record)
  if (!parsed.success) return null
  tenantObjects.set(tenantId, { text, tenant: parsed.data })
  return parsed.data
}

export async function writeEntries(kv: KVNamespace, entries: KvEntry[]): Promise<void> {
  await Promise.all(entries.map(({ key, value }) => kv.put(key, value)))
  forgetCredentials()
}

/** A tenant as stored, read without the edge cache (the admin API wants the latest). */
export async function readTenant(kv: KVNamespace, tenantId: string): Promise<Tenant | null> {
  const parsed = TenantSchema.safeParse(await kv.get(tenantRecordName(tenantId), 'json'))
  return parsed.success ? parsed.data : null
}

/** Every KV name under a prefix, following list cursors. */
async function listNames(kv: KVNamespace, prefix: string): Promise<string[]> {
  const names: string[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await kv.list({ prefix, cursor })
    names.push(...page.keys.map((k) => k.name))
    if (page.list_complete) return names
    cursor = page.cursor
  }
}

export async function listTenantIds(kv: KVNamespace): Promise<string[]> {
  return (await listNames(kv, TENANT_RECORD_PREFIX)).map((name) =>
    name.slice(TENANT_RECORD_PREFIX.length),
  )
}

export interface StoredKey {
  hash: string
  record: ApiKeyRecord
}

async function readKey(kv: KVNamespace, hash: string): Promise<StoredKey | null> {
  const parsed = ApiKeyRecordSchema.safeParse(await kv.get(keyRecordName(hash), 'json'))
  return parsed.success ? { hash, record: parsed.data } : null
}

/** One key of a tenant by its id, or null. */
export async function findTenantKey(
  kv: KVNamespace,
  tenantId: string,
  keyId: string,
): Promise<StoredKey | null> {
  const hash = await kv.get(tenantKeyIndexName(tenantId, keyId))
  return hash ? readKey(kv, hash) : null
}

/** Every key of a tenant, revoked ones included, oldest first. */
export async function listTenantKeys(kv: KVNamespace, tenantId: string): Promise<StoredKey[]> {
  const prefix = tenantKeyIndexPrefix(tenantId)
  const keyIds = (await listNames(kv, prefix)).map((name) => name.slice(prefix.length))
  const keys = await Promise.all(keyIds.map((keyId) => findTenantKey(kv, tenantId, keyId)))
  return keys
    .filter((key): key is StoredKey => key !== null)
    .sort((a, b) => a.record.created_at.localeCompare(b.record.created_at))
}

export async function writeKeyRecord(kv: KVNamespace, key: StoredKey): Promise<void> {
  await kv.put(keyRecordName(key.hash), JSON.stringify(key.record))
  forgetCredentials()
}
