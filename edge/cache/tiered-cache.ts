/**
 * The three cache tiers in order: the isolate LRU, the location's Cache API,
 * then KV. A hit in a slower tier is copied into the faster ones, so the next
 * request in this isolate (or location) pays for memory only. A computed
 * vector goes into memory and KV (global, durable); the Cache API of a
 * location gets it when an isolate there first reads it from KV, so a miss
 * costs one write, not two, and locations that never ask for it hold nothing.
 * KV operations are counted per request (kv-budget.ts): 2048 distinct inputs
 * take at most 21 bulk reads and 800 writes, within Cloudflare's 1,000.
 */
import type { Env } from '../env.ts'
import type { CachedVector } from './cache-entry.ts'
import { readCacheApi, writeCacheApi } from './cache-api-tier.ts'
import { writeIsolate } from './isolate-tier.ts'
import type { KvBudget } from './kv-budget.ts'
import { readKv, writeKv } from './kv-tier.ts'

export interface CacheContext {
  env: Env
  /** The worker's own origin; Cache API entries live under it. */
  origin: string
  waitUntil: (promise: Promise<unknown>) => void
  /** The KV operations this request may still make (one budget per request). */
  kv: KvBudget
}

/** Looks keys up in the Cache API, then the rest in KV; promotes what it finds. */
export async function readLowerTiers(
  cache: CacheContext,
  keys: string[],
): Promise<Map<string, CachedVector>> {
  const found = new Map<string, CachedVector>()
  if (keys.length === 0) return found
  const fromCacheApi = await readCacheApi(cache.origin, keys)
  const kvKeys: string[] = []
  keys.forEach((key, i) => {
    const entry = fromCacheApi[i]
    if (entry) {
      found.set(key, entry)
      writeIsolate(cache.env, key, entry)
    } else kvKeys.push(key)
  })
  if (kvKeys.length === 0) return found
  const fromKv = await readKv(cache.env.VECTOR_CACHE, kvKeys, cache.kv)
  kvKeys.forEach((key, i) => {
    const entry = fromKv[i]
    if (!entry) return
    found.set(key, entry)
    writeIsolate(cache.env, key, entry)
    cache.waitUntil(writeCacheApi(cache.origin, key, entry))
  })
  return found
}

/** A freshly computed vector: memory now, KV after the response (while the request has writes left). */
export function storeComputed(cache: CacheContext, key: string, entry: CachedVector): void {
  writeIsolate(cache.env, key, entry)
  cache.waitUntil(writeKv(cache.env.VECTOR_CACHE, key, entry, cache.kv))
}
