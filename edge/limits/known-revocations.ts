/**
 * The revoked keys this isolate knows of, per tenant, gathered from the leases the tenants'
 * objects granted it. A lease carries only the revocations after the version the isolate sent
 * when it asked (revoked-keys.ts); they are merged here, and the isolate refuses these keys
 * itself. Revocations are final, so a key is never removed; a tenant may be forgotten whole,
 * and its next lease then brings the whole list again.
 */
import { LRUCache } from 'lru-cache'
import type { RevocationsSince } from './revoked-keys.ts'

/** Tenants whose revocations are kept at once; one pushed out is sent its whole list again. */
const MAX_TENANTS = 10_000

interface Known {
  version: number
  keyHashes: Set<string>
}

export class KnownRevocations {
  private readonly byTenant = new LRUCache<string, Known>({ max: MAX_TENANTS })

  /** The version to send with a request for a lease. */
  version(tenantId: string): number {
    return this.byTenant.get(tenantId)?.version ?? 0
  }

  has(tenantId: string, keyHash: string): boolean {
    return this.byTenant.get(tenantId)?.keyHashes.has(keyHash) ?? false
  }

  /**
   * Adds what a lease brought, and returns the tenant's whole set, for the lease to hold on to
   * (it stays whole for the lease even if the tenant is pushed out of this book). Null when
   * the update does not follow on from what is known (it starts after a version this isolate
   * never had, as after `forget`): then the set is not whole, and the lease must not be used.
   */
  merge(tenantId: string, update: RevocationsSince): ReadonlySet<string> | null {
    const known = this.byTenant.get(tenantId)
    if (update.since === 0) {
      const keyHashes = new Set(update.keyHashes)
      this.byTenant.set(tenantId, { version: update.version, keyHashes })
      return keyHashes
    }
    if (!known || known.version < update.since) return null
    for (const keyHash of update.keyHashes) known.keyHashes.add(keyHash)
    known.version = Math.max(known.version, update.version)
    return known.keyHashes
  }

  forget(tenantId: string): void {
    this.byTenant.delete(tenantId)
  }
}
