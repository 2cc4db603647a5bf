/**
 * The development tenant `npm start` seeds: one tenant allowed every model,
 * one key. Only the key's SHA-256 is written, as in production. Its limits
 * are far above what one machine sends (the benchmarks included) but finite,
 * so responses show the x-ratelimit-* headers a real tenant sees.
 */
import { randomBytes } from 'node:crypto'
import { tenantWithKeyEntries, type KvEntry } from '../../edge/tenants/tenant-records.ts'
import { sha256Hex } from '../../shared/hashing.ts'

export function newDevKey(): string {
  return `sk-dev-${randomBytes(16).toString('hex')}`
}

export async function devTenantEntries(apiKey: string): Promise<KvEntry[]> {
  // An id per key: keys of earlier runs stay listed (`npm run keys -- list dev`), so they can be revoked.
  const keyId = `dev-${(await sha256Hex(apiKey)).slice(0, 12)}`
  return tenantWithKeyEntries(
    {
      id: 'dev',
      name: 'Local development',
      allowed_models: ['*'],
      limits: { requests_per_minute: 100_000, tokens_per_minute: 100_000_000 },
    },
    apiKey,
    keyId,
  )
}
