/**
 * Full-dimension vectors in Workers KV, one entry per cache key, with the
 * input's token count as metadata so usage is exact for cached inputs too.
 */
import { bytesToVector, vectorToBytes } from '../../shared/vector-codec.ts'

export interface CachedVector {
  vector: Float32Array
  tokens: number
}

interface VectorMetadata {
  tokens: number
}

/** KV keeps hot keys at the edge location for this long (KV's minimum is 30 s). */
const EDGE_CACHE_TTL_SECONDS = 300

/** Looks every key up in parallel; null where there is no (usable) entry. */
export async function readVectors(
  kv: KVNamespace,
  keys: string[],
): Promise<(CachedVector | null)[]> {
  return Promise.all(
    keys.map(async (key) => {
      const { value, metadata } = await kv.getWithMetadata<VectorMetadata>(key, {
        type: 'arrayBuffer',
        cacheTtl: EDGE_CACHE_TTL_SECONDS,
      })
      if (!value || typeof metadata?.tokens !== 'number' || value.byteLength % 4 !== 0) return null
      return { vector: bytesToVector(value), tokens: metadata.tokens }
    }),
  )
}

export async function writeVector(
  kv: KVNamespace,
  key: string,
  entry: CachedVector,
  ttlSeconds: number,
): Promise<void> {
  const metadata: VectorMetadata = { tokens: entry.tokens }
  await kv.put(key, vectorToBytes(entry.vector), { metadata, expirationTtl: ttlSeconds })
}
