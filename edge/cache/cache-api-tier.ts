/**
 * Tier 2: the Cache API (`caches.default`) of the Cloudflare location, shared
 * by every isolate there, faster than KV and free of KV's read costs.
 *
 * An entry is a response stored under a synthetic URL of the cache key on the
 * worker's own origin (the Cache API keys on URLs of the zone). It does
 * nothing on workers.dev hostnames, where Cloudflare disables the Cache API:
 * reads miss and KV answers instead. A failing tier is a miss, never an error.
 */
import { bytesToVector, vectorToBytes } from '../../shared/vector-codec.ts'
import { secondsLeft, type CachedVector } from './cache-entry.ts'

const PATH_PREFIX = '/__vector-cache/'
const TOKENS_HEADER = 'x-embed-tokens'
const EXPIRES_HEADER = 'x-embed-expires-at'

/** The URL an entry is stored under; `origin` is the worker's own, e.g. https://api.example.com. */
export function cacheApiUrl(origin: string, key: string): string {
  return `${origin}${PATH_PREFIX}${encodeURIComponent(key)}`
}

export const cacheApi = (): Cache | null => (typeof caches === 'undefined' ? null : caches.default)

async function readOne(cache: Cache, origin: string, key: string): Promise<CachedVector | null> {
  const response = await cache.match(cacheApiUrl(origin, key))
  if (!response) return null
  const tokens = Number(response.headers.get(TOKENS_HEADER))
  const expiresAt = Number(response.headers.get(EXPIRES_HEADER))
  const bytes = await response.arrayBuffer()
  if (!Number.isInteger(tokens) || !Number.isFinite(expiresAt) || bytes.byteLength % 4 !== 0) {
    return null
  }
  const entry = { vector: bytesToVector(bytes), tokens, expiresAt }
  return secondsLeft(entry) > 0 ? entry : null
}

/** Every key looked up in parallel; null where there is no live entry. */
export async function readCacheApi(
  origin: string,
  keys: string[],
): Promise<(CachedVector | null)[]> {
  const cache = cacheApi()
  if (!cache) return keys.map(() => null)
  return Promise.all(
    keys.map((key) =>
      readOne(cache, origin, key).catch((err) => {
        console.error('Cache API read failed; treating it as a miss:', err)
        return null
      }),
    ),
  )
}

export async function writeCacheApi(
  origin: string,
  key: string,
  entry: CachedVector,
): Promise<void> {
  const cache = cacheApi()
  const maxAge = secondsLeft(entry)
  if (!cache || maxAge <= 0) return
  const response = new Response(vectorToBytes(entry.vector), {
    headers: {
      'content-type': 'application/octet-stream',
      'cache-control': `max-age=${maxAge}`,
      [TOKENS_HEADER]: String(entry.tokens),
      [EXPIRES_HEADER]: String(entry.expiresAt),
    },
  })
  await cache.put(cacheApiUrl(origin, key), response).catch((err) => {
    console.error('Cache API write failed:', err)
  })
}
