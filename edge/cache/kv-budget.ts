/**
 * The KV operations one request may still make on the vector cache.
 *
 * Cloudflare allows one Worker invocation 1,000 KV operations, across all its
 * namespaces and its `waitUntil` work, and throws on every call past them. A
 * request carries up to 2048 distinct inputs: a read and a write each would be
 * 4,096. The vector cache takes at most 900, leaving the rest of the request
 * (its tenant record, the model catalog snapshot: a few) the other 100:
 * - reads: at most 100. A bulk read of up to 100 keys counts as one, so 2048
 *   keys take 21; what is left serves single reads of entries still in the
 *   old binary format (kv-tier.ts);
 * - writes: at most 800 computed vectors, the first the request stores.
 * What does not fit is skipped, which costs time, never a wrong vector: a
 * skipped read is a miss that a node computes, a skipped write a later miss.
 * 2048 new inputs are in KV after three requests that miss them.
 *
 * A budget belongs to one request: edge/embeddings/route.ts makes one with the
 * request's CacheContext, and nothing else holds it.
 */

export const MAX_KV_READS = 100
export const MAX_KV_WRITES = 800

type Kind = 'read' | 'write'

export class KvBudget {
  private readonly max: Record<Kind, number>
  private readonly left: Record<Kind, number>
  private readonly spent = new Set<Kind>()

  constructor(reads = MAX_KV_READS, writes = MAX_KV_WRITES) {
    this.max = { read: reads, write: writes }
    this.left = { ...this.max }
  }

  /** Spends one operation of `kind`; false when the request has none left, and the caller skips it. */
  take(kind: Kind): boolean {
    if (this.left[kind] > 0) {
      this.left[kind] -= 1
      return true
    }
    if (!this.spent.has(kind)) {
      this.spent.add(kind)
      const rest = kind === 'write' ? 'computed vectors stay out of KV' : 'keys are misses in KV'
      console.warn(`KV: this request has made its ${this.max[kind]} ${kind}s; its other ${rest}`)
    }
    return false
  }
}
