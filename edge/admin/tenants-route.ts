/**
 * Admin: create, update, read and list tenants (`/admin/tenants`).
 * An update is a merge: fields given replace the stored ones, `limits`
 * merges field by field, and `null` puts a field back to its default.
 */
import { Hono, type Context } from 'hono'
import { ApiError } from '../../shared/errors.ts'
import type { AppEnv } from '../env.ts'
import { tenantEntry } from '../tenants/tenant-records.ts'
import { listTenantIds, readTenant, writeEntries } from '../tenants/tenant-store.ts'
import { TENANT_ID_PATTERN, type Tenant } from '../tenants/tenant.ts'
import { TenantInputSchema, type TenantList } from './api-types.ts'
import { parseWith, readJsonObject } from './admin-body.ts'

export const tenantsRoute = new Hono<AppEnv>()

/** The stored tenant named in the path, or a 404. */
export async function requireTenant(c: Context<AppEnv>): Promise<Tenant> {
  const id = c.req.param('tenantId') ?? ''
  const tenant = TENANT_ID_PATTERN.test(id) ? await readTenant(c.env.CONTROL_KV, id) : null
  if (!tenant) throw new ApiError(404, `no tenant '${id}'`, { code: 'tenant_not_found' })
  return tenant
}

function mergeTenant(stored: Tenant, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...stored }
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete merged[field]
    else if (field === 'limits' && typeof value === 'object' && !Array.isArray(value))
      merged.limits = { ...stored.limits, ...value }
    else merged[field] = value
  }
  return merged
}

tenantsRoute.get('/tenants', async (c) => {
  const body: TenantList = { object: 'list', data: await listTenantIds(c.env.CONTROL_KV) }
  return c.json(body)
})

tenantsRoute.post('/tenants', async (c) => {
  const tenant = parseWith(TenantInputSchema, await readJsonObject(c))
  if (await readTenant(c.env.CONTROL_KV, tenant.id)) {
    throw new ApiError(409, `tenant '${tenant.id}' exists; update it with PATCH`, {
      param: 'id',
      code: 'tenant_exists',
    })
  }
  await writeEntries(c.env.CONTROL_KV, [tenantEntry(tenant)])
  return c.json(tenant, 201)
})

tenantsRoute.get('/tenants/:tenantId', async (c) => c.json(await requireTenant(c)))

tenantsRoute.patch('/tenants/:tenantId', async (c) => {
  const stored = await requireTenant(c)
  const patch = await readJsonObject(c)
  if ('id' in patch && patch.id !== stored.id) {
    throw new ApiError(400, 'a tenant id cannot change', { param: 'id', code: 'invalid_value' })
  }
  const tenant = parseWith(TenantInputSchema, mergeTenant(stored, patch))
  await writeEntries(c.env.CONTROL_KV, [tenantEntry(tenant)])
  return c.json(tenant)
})
