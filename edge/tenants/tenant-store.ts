/** Reads tenants and API keys from CONTROL_KV. */
import { sha256Hex } from '../../shared/hashing.ts'
import {
  ApiKeyRecordSchema,
  TenantSchema,
  keyRecordName,
  tenantRecordName,
  type Tenant,
} from './tenant.ts'

/**
 * KV's edge cache for control records. A revoked key stops working within
 * this many seconds at a location that has it cached, plus KV's own
 * propagation (about 60 s).
 */
const CONTROL_CACHE_TTL_SECONDS = 60

/** The tenant a key belongs to, or null for an unknown or revoked key. */
export async function tenantForApiKey(kv: KVNamespace, apiKey: string): Promise<Tenant | null> {
  const keyRecord = ApiKeyRecordSchema.safeParse(
    await kv.get(keyRecordName(await sha256Hex(apiKey)), {
      type: 'json',
      cacheTtl: CONTROL_CACHE_TTL_SECONDS,
    }),
  )
  if (!keyRecord.success || keyRecord.data.revoked_at !== null) return null
  const tenant = TenantSchema.safeParse(
    await kv.get(tenantRecordName(keyRecord.data.tenant_id), {
      type: 'json',
      cacheTtl: CONTROL_CACHE_TTL_SECONDS,
    }),
  )
  return tenant.success ? tenant.data : null
}
