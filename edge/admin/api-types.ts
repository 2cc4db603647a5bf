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

/** One inference node in `GET /admin/pool`, as the isolate that answered sees it. */
export interface PoolNodeView {
  id: string
  url: string
  /** `closed` takes traffic; `open` is resting after failures; `half-open` awaits its probe. */
  breaker: 'closed' | 'open' | 'half-open'
  /** It answered 429/503: no traffic before this time (ISO), or null. */
  resting_until: string | null
  /** True when it may take traffic now: breaker closed and not resting. */
  takes_traffic: boolean
  /** Its round trip from this isolate (median of recent calls and probes), or null if unmeasured. */
  round_trip_ms: number | null
  /** The models its last /info listed (null: not read yet). */
  models: string[] | null
  /** Inputs it computed for this isolate, and their share of all the pool computed for it. */
  inputs_sent: number
  share: number
}

/** One GPU region in `GET /admin/pool`. */
export interface PoolRegionView {
  name: string
  place: { lat: number; lon: number } | null
  /** Great-circle distance from this request's place (request.cf), or null. */
  distance_km: number | null
  /** Its measured round trip (mean over nodes taking traffic), or null. */
  round_trip_ms: number | null
  /** What a miss from this request's place expects (region-order.ts): ranks the regions. */
  expected_round_trip_ms: number | null
  nodes: PoolNodeView[]
}

export interface PoolView {
  /** Everything here is one isolate's view: each isolate measures and counts for itself. */
  scope: 'isolate'
  /** The colo that took this request (request.cf.colo), or null. */
  colo: string | null
  /** Where this request came from (request.cf), which the order below is for; null if unknown. */
  from: { lat: number; lon: number } | null
  /** Region names in the order a miss from here tries them. */
  order: string[]
  regions: PoolRegionView[]
}
