/**
 * Admin: a tenant's usage (`/admin/tenants/:tenantId/usage`): requests,
 * tokens, cache hits and misses, in total and per key, as counted by the
 * tenant's Durable Object, with the keys' prefixes from the key index.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'
import { limiterFor } from '../limits/tenant-limiter.ts'
import { emptyCounters } from '../limits/usage-counters.ts'
import { listTenantKeys } from '../tenants/tenant-store.ts'
import type { KeyUsage, UsageView } from './api-types.ts'
import { requireTenant } from './tenants-route.ts'

export const usageRoute = new Hono<AppEnv>()

usageRoute.get('/tenants/:tenantId/usage', async (c) => {
  const tenant = await requireTenant(c)
  const limiter = limiterFor(c.env, tenant.id)
  // This isolate's usage not yet sent (usage-batch.ts) goes first, so the report includes it.
  const gathered = isolateMemory.usageBatcher.take(tenant.id)
  if (gathered) await limiter.record(gathered)
  const [report, keys] = await Promise.all([
    limiter.usageReport(),
    listTenantKeys(c.env.CONTROL_KV, tenant.id),
  ])
  const listed = new Set(keys.map((key) => key.record.key_id))
  const keyUsage: KeyUsage[] = [
    ...keys.map(({ record }) => ({
      id: record.key_id,
      prefix: record.prefix,
      name: record.name,
      revoked_at: record.revoked_at,
      ...(report.keys[record.key_id] ?? emptyCounters()),
    })),
    ...Object.entries(report.keys)
      .filter(([id]) => !listed.has(id))
      .map(([id, counters]) => ({ id, prefix: null, name: null, revoked_at: null, ...counters })),
  ]
  const body: UsageView = {
    tenant_id: tenant.id,
    since: report.since,
    totals: report.totals,
    keys: keyUsage,
    window: report.window,
  }
  return c.json(body)
})
