/**
 * The CONTROL_KV entries that make a tenant and its keys. The admin API, the
 * development seed and the tests all write these same shapes.
 */
import { sha256Hex } from '../../shared/hashing.ts'
import { visiblePrefix } from './api-keys.ts'
import {
  TenantSchema,
  keyRecordName,
  tenantKeyIndexName,
  tenantRecordName,
  type ApiKeyRecord,
  type Tenant,
} from './tenant.ts'

export interface KvEntry {
  key: string
  value: string
}

export function tenantEntry(tenant: Tenant): KvEntry {
  return { key: tenantRecordName(tenant.id), value: JSON.stringify(tenant) }
}

/** The key record (by hash) and its place in the tenant's key index. */
export async function apiKeyEntries(
  tenantId: string,
  apiKey: string,
  options: { keyId: string; name?: string; createdAt?: string },
): Promise<{ record: ApiKeyRecord; keyHash: string; entries: KvEntry[] }> {
  const keyHash = await sha256Hex(apiKey)
  const record: ApiKeyRecord = {
    tenant_id: tenantId,
    key_id: options.keyId,
    prefix: visiblePrefix(apiKey),
    name: options.name ?? '',
    created_at: options.createdAt ?? new Date().toISOString(),
    revoked_at: null,
  }
  return {
    record,
    keyHash,
    entries: [
      { key: keyRecordName(keyHash), value: JSON.stringify(record) },
      { key: tenantKeyIndexName(tenantId, options.keyId), value: keyHash },
    ],
  }
}

/** A tenant with one key, as the development seed and the tests create them. */
export async function tenantWithKeyEntries(
  tenant: Partial<Tenant> & Pick<Tenant, 'id'>,
  apiKey: string,
  keyId = 'key-1',
): Promise<KvEntry[]> {
  const record = TenantSchema.parse(tenant)
  const { entries } = await apiKeyEntries(record.id, apiKey, { keyId })
  return [tenantEntry(record), ...entries]
}
