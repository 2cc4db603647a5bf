/**
 * The admin API's request and response shapes, as zod schemas: the types the routes answer with and the
 * keys CLI (scripts/keys/) reads come from them, and so does GET /openapi.json
 * (edge/openapi/document.ts).
 */
import type { UsageCounters } from '../limits/usage-counters.ts'
import type { UsageReport } from '../limits/usage-counters.ts'
import { TenantSchema } from '../tenants/tenant.ts'
import * as z from '../../shared/zod-mini.ts'

/** A key as the admin API shows it: never the key itself, nor its hash. */
export const KeyViewSchema = z.object({
  id: z.string(),
  tenant_id: z.string(),
  prefix: z.string().check(z.meta({ description: 'the first characters of the key' })),
  name: z.string(),
  created_at: z.string().check(z.meta({ description: 'ISO 8601' })),
  revoked_at: z
    .nullable(z.string())
    .check(z.meta({ description: 'ISO 8601, or null while it works' })),
})
export type KeyView = z.infer<typeof KeyViewSchema>

/** The answer to creating or rotating a key: the only time the raw key is shown. */
export const CreatedKeySchema = z.extend(KeyViewSchema, {
  key: z.string().check(z.meta({ description: 'the API key itself, shown this once only' })),
  /** On rotation: the key this one replaces, now revoked. */
  replaces: z.optional(KeyViewSchema),
})
export type CreatedKey = z.infer<typeof CreatedKeySchema>

export const KeyListSchema = z.object({ object: z.literal('list'), data: z.array(KeyViewSchema) })
export type KeyList = z.infer<typeof KeyListSchema>

export const TenantListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.string()).check(z.meta({ description: 'tenant ids' })),
})
export type TenantList = z.infer<typeof TenantListSchema>

/** Tenant input from the admin API: unknown fields are refused rather than silently dropped. */
export const TenantInputSchema = z.strictObject(TenantSchema.shape)

/** The body of POST /admin/tenants/{id}/keys. */
export const NewKeySchema = z.strictObject({
  name: z._default(z.string().check(z.maxLength(100)), ''),
})

export const TenantViewSchema = TenantSchema
export type TenantView = z.infer<typeof TenantViewSchema>

const UsageCountersSchema = z.object({
  requests: z
    .number()
    .check(z.meta({ description: 'requests admitted (refused ones are not counted)' })),
  tokens: z.number().check(z.meta({ description: 'tokens of every input, cached ones included' })),
  cache_hits: z.number(),
  cache_misses: z.number(),
})

const KeyUsageSchema = z.extend(UsageCountersSchema, {
  id: z.string(),
  /** Null for a key the usage counters know but the key index does not. */
  prefix: z.nullable(z.string()),
  name: z.nullable(z.string()),
  revoked_at: z.nullable(z.string()),
})
export type KeyUsage = z.infer<typeof KeyUsageSchema>

const RateWindowSchema = z.nullable(
  z.object({
    started_at: z.string(),
    requests: z.number(),
    leased: z.number().check(z.meta({ description: 'requests out on admission leases' })),
    tokens: z.number(),
    tokens_leased: z
      .number()
      .check(z.meta({ description: 'tokens reserved by leases not yet ended' })),
  }),
)

export const UsageViewSchema = z.object({
  tenant_id: z.string(),
  since: z.nullable(z.string()),
  totals: UsageCountersSchema,
  keys: z.array(KeyUsageSchema),
  /** The rate window in force, with what is out on admission leases (edge/limits/lease-policy.ts). */
  window: RateWindowSchema,
})
export type UsageView = z.infer<typeof UsageViewSchema>

const PlaceSchema = z.object({ lat: z.number(), lon: z.number() })

/** One inference node in `GET /admin/pool`, as the isolate that answered sees it. */
const PoolNodeViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  breaker: z.enum(['closed', 'open', 'half-open']).check(
    z.meta({
      description:
        '`closed` takes traffic; `open` is resting after failures; `half-open` awaits its probe',
    }),
  ),
  resting_until: z
    .nullable(z.string())
    .check(z.meta({ description: 'after a 429/503: no traffic before' })),
  takes_traffic: z.boolean(),
  round_trip_ms: z.nullable(z.number()),
  models: z.nullable(z.array(z.string())),
  inputs_sent: z.number(),
  share: z.number(),
})
export type PoolNodeView = z.infer<typeof PoolNodeViewSchema>

/** One GPU region in `GET /admin/pool`. */
const PoolRegionViewSchema = z.object({
  name: z.string(),
  place: z.nullable(PlaceSchema),
  distance_km: z.nullable(z.number()),
  round_trip_ms: z.nullable(z.number()),
  expected_round_trip_ms: z.nullable(z.number()),
  nodes: z.array(PoolNodeViewSchema),
})
export type PoolRegionView = z.infer<typeof PoolRegionViewSchema>

export const PoolViewSchema = z.object({
  /** Everything here is one isolate's view: each isolate measures and counts for itself. */
  scope: z.literal('isolate'),
  colo: z.nullable(z.string()),
  from: z.nullable(PlaceSchema),
  order: z
    .array(z.string())
    .check(z.meta({ description: 'region names, in the order a miss tries them' })),
  regions: z.array(PoolRegionViewSchema),
})
export type PoolView = z.infer<typeof PoolViewSchema>

// The schemas above describe what the limiter reports: a change on either side fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const countersAgree: Same<z.infer<typeof UsageCountersSchema>, UsageCounters> = true
const windowAgrees: Same<z.infer<typeof RateWindowSchema>, UsageReport['window']> = true
void countersAgree
void windowAgrees
