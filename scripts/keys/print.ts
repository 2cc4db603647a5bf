/** How the keys CLI shows admin API answers to a person: short aligned tables, dates as given. */
import type { CreatedKey, KeyView, TenantView, UsageView } from '../../edge/admin/api-types.ts'

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

export function printCreatedKey(created: CreatedKey): string {
  const replaced = created.replaces
    ? `Revoked ${created.replaces.id} (${created.replaces.prefix}…) at ${created.replaces.revoked_at}.\n`
    : ''
  return (
    `${replaced}Created key ${created.id} for tenant ${created.tenant_id}${created.name ? ` (${created.name})` : ''}:\n\n` +
    `  ${created.key}\n\n` +
    'Store it now: this is the only time it is shown. The service keeps only its SHA-256.'
  )
}

export function printKeys(tenantId: string, keys: KeyView[]): string {
  if (keys.length === 0) return `Tenant ${tenantId} has no keys.`
  return table(
    ['ID', 'PREFIX', 'NAME', 'CREATED', 'REVOKED'],
    keys.map((k) => [k.id, `${k.prefix}…`, k.name || '-', k.created_at, k.revoked_at ?? '-']),
  )
}

export function printRevoked(key: KeyView): string {
  return `Revoked ${key.id} (${key.prefix}…) of tenant ${key.tenant_id} at ${key.revoked_at}. It is refused from its next request on.`
}

export function printTenant(tenant: TenantView): string {
  return Object.entries(tenant)
    .map(
      ([field, value]) =>
        `${field.padEnd(18)} ${typeof value === 'string' ? value : JSON.stringify(value)}`,
    )
    .join('\n')
}

export function printUsage(usage: UsageView): string {
  const counters = (c: UsageView['totals']) =>
    [c.requests, c.tokens, c.cache_hits, c.cache_misses].map(String)
  const rows = usage.keys.map((k) => [k.id, k.prefix ? `${k.prefix}…` : '?', ...counters(k)])
  rows.push(['total', '', ...counters(usage.totals)])
  const window = usage.window
    ? `\nThis minute: ${usage.window.requests} requests, ${usage.window.tokens} tokens (window opened ${usage.window.started_at}).`
    : ''
  return (
    `Usage of tenant ${usage.tenant_id} since ${usage.since ?? 'never'}:\n\n` +
    table(['KEY', 'PREFIX', 'REQUESTS', 'TOKENS', 'CACHE HITS', 'CACHE MISSES'], rows) +
    window
  )
}
