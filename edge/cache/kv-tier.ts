/**
 * Tier 3: Workers KV, global and durable: one entry per cache key, the raw
 * float32 bytes as the value and `{tokens, expires_at}` as metadata.
 *
 * Keys are read one `getWithMetadata` each, in parallel. KV's bulk read
 * (`get(keys[])`, up to 100 keys) would save round trips, but it returns only
 * `text` or `json` values: workerd answers `"arrayBuffer" is not a valid type`,
 * and a binary value read as text comes back UTF-8-decoded, so it is lossy.
 * Storing vectors as base64 text to fit it would cost a third more bytes and a
 * decode on every hit; the isolate and Cache API tiers take the hot reads.
 */
import { bytesToVector, vectorToBytes } from '../../shared/vector-codec.ts'
import { secondsLeft, type CachedVector } from './cache-entry.ts'

interface VectorMetadata {
  tokens: number
  /** Unix seconds; entries written before it existed live for KV_DEFAULT_LIFE_SECONDS more. */
  expires_at?: number
}

/** KV keeps hot keys at the edge location for this long (KV's minimum is 30 s). */
const EDGE_CACHE_TTL_SECONDS = 300
const KV_DEFAULT_LIFE_SECONDS = 60

async function readOne(kv: KVNamespace, key: string): Promise<CachedVector | null> {
  const { value, metadata } = await kv.getWithMetadata<VectorMetadata>(key, {
    type: 'arrayBuffer',
    cacheTtl: EDGE_CACHE_TTL_SECONDS,
  })
  if (!value || typeof metadata?.tokens !== 'number' || value.byteLength % 4 !== 0) return null
  const expiresAt =
    typeof metadata.expires_at === 'number'
      ? metadata.expires_at * 1000
      : Date.now() + KV_DEFAULT_LIFE_SECONDS * 1000
  const entry = { vector: bytesToVector(value), tokens: metadata.tokens, expiresAt }
  return secondsLeft(entry) > 0 ? entry : null
}

/** Every key looked up in parallel; null where there is no live entry (or KV failed). */
export async function readKv(kv: KVNamespace, keys: string[]): Promise<(CachedVector | null)[]> {
  return Promise.all(
    keys.map((key) =>
      readOne(kv, key).catch((err) => {
        console.error('KV read failed; treating it as a miss:', err)
        return null
      }),
    ),
  )
}

/**
 * Stores an entry. KV's own expiry is at least its 60 s minimum; serving
 * follows `expires_at`, so a 60 s tenant TTL is honoured all the same.
 */
export async function writeKv(kv: KVNamespace, key: string, entry: CachedVector): Promise<void> {
  const remainingSeconds = Math.ceil((entry.expiresAt - Date.now()) / 1000)
  if (remainingSeconds <= 0) return
  const metadata: VectorMetadata = {
    tokens: entry.tokens,
    expires_at: Math.ceil(entry.expiresAt / 1000),
  }
  await kv
    .put(key, vectorToBytes(entry.vector), {
      metadata,
      expirationTtl: Math.max(60, remainingSeconds),
    })
    .catch((err) => console.error('KV write failed:', err))
}
