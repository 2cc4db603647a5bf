/** The admin API's response shapes, shared with the keys CLI (scripts/keys/). */
import type { UsageCounters } from '../limits/usage-counters.ts'
import type { UsageReport } from '../limits/tenant-limiter.ts'
import type { Tenant } from '../tenants/tenant.ts'

/** A key as the admin API shows it: never the key itself, nor its hash. */
export interface KeyView {
  id: string
  tenant_id: string
  prefix: string
  name: string
  created_at: string
  revoked_at: string | null
}

/** The answer to creating or rotating a key: the only time the raw key is shown. */
export interface CreatedKey extends KeyView {
  key: string
  /** On rotation: the key this one replaces, now revoked. */
  replaces?: KeyView
}

export interface KeyList {
  object: 'list'
  data: KeyView[]
}

export interface TenantList {
  object: 'list'
  data: string[]
}

export type TenantView = Tenant

export interface KeyUsage extends UsageCounters {
  id: string
  /** Null for a key the usage counters know but the key index does not. */
  prefix: string | null
  name: string | null
  revoked_at: string | null
}

export interface UsageView {
  tenant_id: string
  since: string | null
  totals: UsageCounters
  keys: KeyUsage[]
  /** The rate window in force, with what is out on admission leases (edge/limits/lease-policy.ts). */
  window: UsageReport['window']
}
