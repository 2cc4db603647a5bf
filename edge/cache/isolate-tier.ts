/**
 * Tier 1: vectors in this isolate's memory, in an LRU bounded in bytes.
 *
 * A Workers isolate has 128 MB for everything it does, and many requests share
 * it, so the cache takes a fixed share (ISOLATE_CACHE_BYTES, 32 MiB by
 * default, at most 64 MiB): about 15,000 vectors of 512 dimensions or 7,500 of
 * 1024. Entries expire with the tenant's TTL. Module state lives as long as
 * the isolate and is never shared between isolates.
 */
import { LRUCache } from 'lru-cache'
import { edgeConfig } from '../config.ts'
import type { Env } from '../env.ts'
import type { CachedVector } from './cache-entry.ts'

/** Estimated per-entry bookkeeping beyond the vector and key bytes (objects, LRU index slots). */
const ENTRY_OVERHEAD_BYTES = 160

let cache: LRUCache<string, CachedVector> | null = null
let cacheBytes = 0

function isolateCache(env: Env): LRUCache<string, CachedVector> {
  const bytes = edgeConfig(env).ISOLATE_CACHE_BYTES
  if (!cache || bytes !== cacheBytes) {
    cache = new LRUCache<string, CachedVector>({
      maxSize: bytes,
      sizeCalculation: (entry, key) => entry.vector.byteLength + key.length + ENTRY_OVERHEAD_BYTES,
      // The entries' own expiry is in Date.now() terms; no timers (a timer per
      // lookup is what ttlResolution > 0 would cost).
      perf: { now: () => Date.now() },
      ttlResolution: 0,
    })
    cacheBytes = bytes
  }
  return cache
}

export function readIsolate(env: Env, key: string): CachedVector | undefined {
  return isolateCache(env).get(key)
}

export function writeIsolate(env: Env, key: string, entry: CachedVector): void {
  const ttl = entry.expiresAt - Date.now()
  if (ttl > 0) isolateCache(env).set(key, entry, { ttl })
}

/** Forgets every vector of this isolate, as a fresh isolate starts (tests, and nothing else). */
export function clearIsolateCache(): void {
  cache?.clear()
}

/** Bytes in use and entries, for tests that check the bound. */
export function isolateCacheSize(): { bytes: number; entries: number } {
  return { bytes: cache?.calculatedSize ?? 0, entries: cache?.size ?? 0 }
}
