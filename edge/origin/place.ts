/**
 * Where a caller or a GPU region is on the globe, and how far apart two places are. The edge
 * learns its own place from `request.cf` (the colo that took the request); an operator gives
 * each region's in NODE_POOLS.
 */

export interface Place {
  lat: number
  lon: number
}

const EARTH_RADIUS_KM = 6371

/** Great-circle distance (haversine), in km. */
export function greatCircleKm(a: Place, b: Place): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLon = (b.lon - a.lon) * rad
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** A latitude and longitude in range, or null. */
export function placeOf(lat: unknown, lon: unknown): Place | null {
  const [latitude, longitude] = [Number(lat), Number(lon)]
  if (lat === undefined || lat === null || lat === '' || lon === undefined || lon === null)
    return null
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return null
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null
  return { lat: latitude, lon: longitude }
}

/**
 * The place of the colo that took this request, from `request.cf` (Cloudflare gives latitude
 * and longitude as strings); null where there is none, as under `wrangler dev` without `cf`.
 */
export function callerPlace(request: Request): Place | null {
  const cf = (request as { cf?: { latitude?: unknown; longitude?: unknown } }).cf
  return cf ? placeOf(cf.latitude, cf.longitude) : null
}
