/**
 * Tier 1: vectors in this isolate's memory, in an LRU bounded in bytes.
 *
 * A Workers isolate has 128 MB for everything it does, and many requests share
 * it, so the cache takes a fixed share (ISOLATE_CACHE_BYTES, 32 MiB by
 * default, at most 64 MiB): about 15,000 vectors of 512 dimensions or 7,500 of
 * 1024. Entries expire with the tenant's TTL. The LRU itself, how it sizes an
 * entry, and the rule the memos above this tier rely on are in
 * edge/isolate/isolate-memory.ts (`vectors`).
 */
import { edgeConfig } from '../config.ts'
import type { Env } from '../env.ts'
import { isolateVectors } from '../isolate/isolate-memory.ts'
import type { CachedVector } from './cache-entry.ts'

function isolateCache(env: Env) {
  return isolateVectors(edgeConfig(env).ISOLATE_CACHE_BYTES)
}

export function readIsolate(env: Env, key: string): CachedVector | undefined {
  return isolateCache(env).get(key)
}

export function writeIsolate(env: Env, key: string, entry: CachedVector): void {
  const ttl = entry.expiresAt - Date.now()
  if (ttl > 0) isolateCache(env).set(key, entry, { ttl })
}
