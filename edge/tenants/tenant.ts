/**
 * Tenant and API-key records as stored in CONTROL_KV.
 *
 * `tenant:{id}` → Tenant. `key:{sha256(api key)}` → ApiKeyRecord: the raw key
 * is never stored, so a leaked KV dump does not leak keys.
 * `tenant-key:{tenant id}:{key id}` → the key's hash: the index that lists a
 * tenant's keys, since key records are named by hash.
 */
import { MIN_DIMENSIONS } from '../embeddings/embeddings-request.ts'
import * as z from '../../shared/zod-mini.ts'

const TemplateSchema = z.object({
  id: z.string().check(z.minLength(1)),
  query: z.string().check(z.includes('{text}')),
  document: z.string().check(z.includes('{text}')),
  default_instruction: z.optional(z.string()),
})

/** Per-minute budgets; null means no limit on that dimension. */
export const LimitsSchema = z.object({
  requests_per_minute: z._default(z.nullable(z.int().check(z.minimum(1))), null),
  tokens_per_minute: z._default(z.nullable(z.int().check(z.minimum(1))), null),
})
export type Limits = z.infer<typeof LimitsSchema>

export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

export const TenantSchema = z.object({
  id: z
    .string()
    .check(z.regex(TENANT_ID_PATTERN, 'tenant ids are 1 to 64 characters of [A-Za-z0-9_-]')),
  name: z._default(z.string(), ''),
  /** Model ids this tenant may call; `*` allows every model the nodes serve. */
  allowed_models: z._default(z.array(z.string()), ['*']),
  /** The largest `dimensions` this tenant may ask for; null: the model's full size. */
  max_dimensions: z._default(z.nullable(z.int().check(z.minimum(MIN_DIMENSIONS))), null),
  /** Named templates of this tenant's own; they shadow built-ins of the same name. */
  templates: z._default(z.record(z.string(), TemplateSchema), {}),
  default_template: z.optional(z.string()),
  /** `tenant`: only this tenant's requests hit its entries; `shared`: a cross-tenant pool. */
  cache_scope: z._default(z.enum(['tenant', 'shared']), 'tenant'),
  /**
   * false: the edge keeps none of this tenant's vectors or answers (isolate memory, the Cache
   * API, KV, which replicates worldwide) and joins no other request's lookup; every input goes
   * to a node, whose own in-memory cache, in its region, still answers repeats.
   */
  edge_cache: z._default(z.boolean(), true),
  cache_ttl_seconds: z._default(z.int().check(z.minimum(60)), 30 * 24 * 3600),
  // prefault, not default: an absent `limits` is parsed, so its fields get their defaults.
  limits: z.prefault(LimitsSchema, {}),
})
export type Tenant = z.infer<typeof TenantSchema>

export const ApiKeyRecordSchema = z.object({
  tenant_id: z.string(),
  key_id: z.string(),
  /** The first characters of the key, so people can tell their keys apart. */
  prefix: z.string(),
  /** A label the operator chose, e.g. `ci` or `search-backend`. */
  name: z._default(z.string(), ''),
  created_at: z.string(),
  revoked_at: z._default(z.nullable(z.string()), null),
})
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>

export const keyRecordName = (keyHash: string) => `key:${keyHash}`
export const tenantRecordName = (tenantId: string) => `tenant:${tenantId}`
export const TENANT_RECORD_PREFIX = 'tenant:'
export const tenantKeyIndexPrefix = (tenantId: string) => `tenant-key:${tenantId}:`
export const tenantKeyIndexName = (tenantId: string, keyId: string) =>
  `${tenantKeyIndexPrefix(tenantId)}${keyId}`

/** The cache scope a tenant's entries live in. */
export function cacheScopeOf(tenant: Tenant): string {
  return tenant.cache_scope === 'shared' ? 'shared' : `t-${tenant.id}`
}
