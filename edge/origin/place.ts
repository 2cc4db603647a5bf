/**
 * Where a caller or a GPU region is on the globe, and how far apart two places are. The edge
 * takes a request's place from `request.cf`, which geolocates the client; the colo that took
 * the request is nearly always near it (a roaming client or a VPN is the exception). An
 * operator gives each region's place in NODE_POOLS.
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

/** A coordinate given as a number or a numeric string; NaN for anything else (blank included). */
function coordinate(value: unknown): number {
  if (typeof value === 'number') return value
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
}

/** A latitude and longitude in range, or null. */
export function placeOf(lat: unknown, lon: unknown): Place | null {
  const [latitude, longitude] = [coordinate(lat), coordinate(lon)]
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return null
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null
  return { lat: latitude, lon: longitude }
}

/**
 * A rough middle of each continent Cloudflare names in `request.cf.continent`: the place of a
 * request that has a continent but no coordinates, so it still goes to a region on its side of
 * the world rather than to the first one listed.
 */
const CONTINENT_PLACES: Record<string, Place> = {
  AF: { lat: 2, lon: 21 },
  AN: { lat: -80, lon: 0 },
  AS: { lat: 30, lon: 100 },
  EU: { lat: 50, lon: 10 },
  NA: { lat: 40, lon: -95 },
  OC: { lat: -25, lon: 140 },
  SA: { lat: -15, lon: -60 },
}

/**
 * The request's place, from `request.cf`: its latitude and longitude (Cloudflare gives them
 * as strings), else the middle of its continent, else null. Local runs have one too:
 * Miniflare fills `cf` in.
 */
export function callerPlace(request: Request): Place | null {
  const cf = (request as { cf?: { latitude?: unknown; longitude?: unknown; continent?: unknown } })
    .cf
  if (!cf) return null
  const continent = typeof cf.continent === 'string' ? cf.continent : ''
  return placeOf(cf.latitude, cf.longitude) ?? CONTINENT_PLACES[continent] ?? null
}
