/**
 * The order a miss tries GPU regions in: the one with the least expected round trip from the
 * caller first, as Cloudflare's proximity and dynamic steering do together. A region's
 * expected round trip is what this isolate measured to it (round-trip.ts), but never less than
 * light in fibre needs for the great-circle distance: a region never measured, or measured on
 * a link faster than physics (loopback tests), is ranked by distance alone, and a near region
 * that is slow or congested ranks behind a healthy one farther away. Inside a region the key's
 * rendezvous order decides (node-pool.ts), so node caches keep seeing the same keys.
 */
import type { PoolRegion } from './pool-config.ts'
import { greatCircleKm, type Place } from './place.ts'

/**
 * Light in fibre covers about 200 km per ms, so a round trip needs at least 1 ms per 100 km
 * of great-circle distance (real paths are longer; measurement then takes over).
 */
const KM_PER_ROUND_TRIP_MS = 100

/** The least round trip the distance from `from` to `region` allows, in ms; 0 if unknown. */
export function floorRoundTripMs(region: PoolRegion, from: Place | null): number {
  if (from === null || region.place === null) return 0
  return greatCircleKm(from, region.place) / KM_PER_ROUND_TRIP_MS
}

/**
 * The round trip a miss from `from` should expect from `region`: the larger of the distance's
 * floor and `measuredMs` (null: never measured). A region that is neither placed nor measured,
 * for a caller with no place, has no expectation: Infinity, after every region that has one.
 */
export function expectedRoundTripMs(
  region: PoolRegion,
  from: Place | null,
  measuredMs: number | null,
): number {
  const floor = floorRoundTripMs(region, from)
  if (measuredMs === null) return from === null || region.place === null ? Infinity : floor
  return Math.max(floor, measuredMs)
}

/** Least expected round trip first; ties (a single region, no places, nothing measured) keep the configured order. */
export function regionOrder(
  regions: PoolRegion[],
  from: Place | null,
  measuredMs: (region: PoolRegion) => number | null = () => null,
): PoolRegion[] {
  if (regions.length < 2) return regions
  return regions
    .map((region, index) => ({
      region,
      index,
      ms: expectedRoundTripMs(region, from, measuredMs(region)),
    }))
    .sort((a, b) => a.ms - b.ms || a.index - b.index)
    .map(({ region }) => region)
}

/**
 * A region that is first for a caller stays first until another is clearly better: less than
 * its expected round trip ÷ 1.2, and by more than 10 ms. Two regions about as near as each
 * other would otherwise trade places with every sample, and each change sends the keys to
 * another region's node caches.
 */
const KEEP_UNLESS_RATIO = 1.2
const KEEP_UNLESS_MS = 10

/** `order` with `previous` put back first, if it is in it and not clearly worse than order[0]. */
export function keepLeader(
  order: PoolRegion[],
  previous: PoolRegion | undefined,
  expectedMs: (region: PoolRegion) => number,
): PoolRegion[] {
  const best = order[0]
  if (!previous || previous === best || !order.includes(previous)) return order
  const [kept, challenger] = [expectedMs(previous), expectedMs(best)]
  const clearlyBetter = challenger * KEEP_UNLESS_RATIO < kept && kept - challenger > KEEP_UNLESS_MS
  return clearlyBetter ? order : [previous, ...order.filter((region) => region !== previous)]
}
