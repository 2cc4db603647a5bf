/**
 * The development tenant `npm start` seeds: one tenant allowed every model,
 * one key. Only the key's SHA-256 is written, as in production.
 */
import { randomBytes } from 'node:crypto'
import { tenantWithKeyEntries, type KvEntry } from '../../edge/tenants/tenant-records.ts'

export function newDevKey(): string {
  return `sk-dev-${randomBytes(16).toString('hex')}`
}

export function devTenantEntries(apiKey: string): Promise<KvEntry[]> {
  return tenantWithKeyEntries(
    { id: 'dev', name: 'Local development', allowed_models: ['*'] },
    apiKey,
    'dev-key',
  )
}
