/**
 * Tenant and API-key records as stored in CONTROL_KV.
 *
 * `key:{sha256(api key)}` → ApiKeyRecord: the raw key is never stored, so a
 * leaked KV dump does not leak keys. `tenant:{id}` → Tenant.
 */
import { z } from 'zod'

const TemplateSchema = z.object({
  id: z.string().min(1),
  query: z.string().includes('{text}'),
  document: z.string().includes('{text}'),
  default_instruction: z.string().optional(),
})

export const TenantSchema = z.object({
  id: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_-]+$/, 'tenant ids are [A-Za-z0-9_-]'),
  name: z.string().default(''),
  /** Model ids this tenant may call; `*` allows every model the nodes serve. */
  allowed_models: z.array(z.string()).default(['*']),
  /** Named templates of this tenant's own; they shadow built-ins of the same name. */
  templates: z.record(z.string(), TemplateSchema).default({}),
  default_template: z.string().optional(),
  /** `tenant`: only this tenant's requests hit its entries; `shared`: a cross-tenant pool. */
  cache_scope: z.enum(['tenant', 'shared']).default('tenant'),
  cache_ttl_seconds: z
    .number()
    .int()
    .min(60)
    .default(30 * 24 * 3600),
})
export type Tenant = z.infer<typeof TenantSchema>

export const ApiKeyRecordSchema = z.object({
  tenant_id: z.string(),
  key_id: z.string(),
  /** The first characters of the key, so people can tell their keys apart. */
  prefix: z.string(),
  created_at: z.string(),
  revoked_at: z.string().nullable().default(null),
})
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>

export const keyRecordName = (keyHash: string) => `key:${keyHash}`
export const tenantRecordName = (tenantId: string) => `tenant:${tenantId}`

/** The cache scope a tenant's entries live in. */
export function cacheScopeOf(tenant: Tenant): string {
  return tenant.cache_scope === 'shared' ? 'shared' : `t-${tenant.id}`
}
