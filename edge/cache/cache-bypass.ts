/**
 * The benchmark's cache-off switch. With the binding ALLOW_CACHE_BYPASS set to
 * "true", a request carrying `x-embed-cache: bypass` neither reads nor writes
 * any cache tier and joins no lookup in flight: every input goes to a node.
 * Production leaves the binding unset, so no client can turn the cache off.
 */
import type { Env } from '../env.ts'

export const CACHE_BYPASS_HEADER = 'x-embed-cache'

export function bypassesCache(env: Env, request: Request): boolean {
  return env.ALLOW_CACHE_BYPASS === 'true' && request.headers.get(CACHE_BYPASS_HEADER) === 'bypass'
}
