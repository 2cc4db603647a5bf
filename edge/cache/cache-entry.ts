/**
 * What every cache tier stores for one input: the full-dimension vector, the
 * tokens the model saw for it (so usage stays exact on hits), and when it
 * expires. The expiry travels with the entry, so a copy promoted to a faster
 * tier never outlives the TTL of the tenant that wrote it.
 */
export interface CachedVector {
  vector: Float32Array
  tokens: number
  /** Unix time in ms after which no tier may serve the entry. */
  expiresAt: number
}

/** Whole seconds the entry may still be served; 0 or less when it has expired. */
export function secondsLeft(entry: CachedVector, now = Date.now()): number {
  return Math.floor((entry.expiresAt - now) / 1000)
}

/** A new entry that lives for the writing tenant's TTL. */
export function freshEntry(vector: Float32Array, tokens: number, ttlSeconds: number): CachedVector {
  return { vector, tokens, expiresAt: Date.now() + ttlSeconds * 1000 }
}
