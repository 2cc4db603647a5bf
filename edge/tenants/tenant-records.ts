/**
 * The CONTROL_KV entries that create a tenant and one API key. Used by the
 * development seed and the tests; the operator tooling writes the same shape.
 */
import { sha256Hex } from '../../shared/hashing.ts'
import {
  TenantSchema,
  keyRecordName,
  tenantRecordName,
  type ApiKeyRecord,
  type Tenant,
} from './tenant.ts'

export interface KvEntry {
  key: string
  value: string
}

export async function tenantWithKeyEntries(
  tenant: Partial<Tenant> & Pick<Tenant, 'id'>,
  apiKey: string,
  keyId = 'key-1',
): Promise<KvEntry[]> {
  const record = TenantSchema.parse(tenant)
  const keyRecord: ApiKeyRecord = {
    tenant_id: record.id,
    key_id: keyId,
    prefix: apiKey.slice(0, 10),
    created_at: new Date().toISOString(),
    revoked_at: null,
  }
  return [
    { key: tenantRecordName(record.id), value: JSON.stringify(record) },
    { key: keyRecordName(await sha256Hex(apiKey)), value: JSON.stringify(keyRecord) },
  ]
}
