/**
 * The order a miss tries GPU regions in: nearest to the caller's colo first, by great-circle
 * distance, as Cloudflare's proximity steering does. Inside a region the key's rendezvous
 * order decides (node-pool.ts), so node caches keep seeing the same keys; the next region is
 * the failover when a region's nodes are down or full.
 */
import type { PoolRegion } from './pool-config.ts'
import { greatCircleKm, type Place } from './place.ts'

/**
 * Nearest first; regions with no place (NODE_URLS) and callers with none (a request without
 * `cf`) keep the configured order. Ties keep it too.
 */
export function nearestRegions(regions: PoolRegion[], from: Place | null): PoolRegion[] {
  if (from === null || regions.length < 2) return regions
  const distance = (region: PoolRegion) =>
    region.place === null ? Infinity : greatCircleKm(from, region.place)
  return regions
    .map((region, index) => ({ region, index, km: distance(region) }))
    .sort((a, b) => a.km - b.km || a.index - b.index)
    .map(({ region }) => region)
}
