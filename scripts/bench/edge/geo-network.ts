/**
 * The geo rows' simulated world (bench:edge, geo-run.ts): three GPU regions, three colos that
 * clients reach, and the round trip from each colo to each region. There is no WAN here, so
 * each colo's edge reaches the nodes through a handler of its own (Miniflare's outbound
 * service) that holds every call, probes included, for the round trip of its colo to the
 * node's region and then forwards it to that region's real node over loopback.
 *
 * The nodes' URLs are the same names in every colo (`http://ap-southeast.nodes.bench`), as a
 * deployment's NODE_POOLS is one list for every colo: a key's rendezvous order is then the
 * same everywhere, as it is in production.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { EMBED_PATH } from '../../../shared/node-protocol.ts'

export interface GeoRegion {
  name: string
  lat: number
  lon: number
}

export interface GeoColo {
  colo: string
  continent: string
  lat: number
  lon: number
  /** The region it is next to: the nearest round trip in ROUND_TRIP_MS. */
  home: string
}

export const GEO_REGIONS: GeoRegion[] = [
  { name: 'ap-southeast', lat: 1.35, lon: 103.82 },
  { name: 'eu-central', lat: 50.11, lon: 8.68 },
  { name: 'us-east', lat: 39.04, lon: -77.49 },
]

export const GEO_COLOS: GeoColo[] = [
  { colo: 'SIN', continent: 'AS', lat: 1.35, lon: 103.99, home: 'ap-southeast' },
  { colo: 'FRA', continent: 'EU', lat: 50.03, lon: 8.57, home: 'eu-central' },
  { colo: 'IAD', continent: 'NA', lat: 38.94, lon: -77.46, home: 'us-east' },
]

/**
 * Round trip in ms from each colo to each region: 5 next door, 80 across the Atlantic, 160 and
 * 250 to Asia; never below what light in fibre needs for the distance (edge/origin/region-order.ts).
 */
export const ROUND_TRIP_MS: Record<string, Record<string, number>> = {
  SIN: { 'ap-southeast': 5, 'eu-central': 160, 'us-east': 250 },
  FRA: { 'ap-southeast': 160, 'eu-central': 5, 'us-east': 80 },
  IAD: { 'ap-southeast': 250, 'eu-central': 80, 'us-east': 5 },
}

/** The URL every colo's edge knows a region's node by. */
export const regionNodeUrl = (region: string) => `http://${region}.nodes.bench`

/** `request.cf` as Cloudflare fills it in for a request that colo took. */
export function coloCf(colo: GeoColo): Record<string, unknown> {
  return {
    colo: colo.colo,
    continent: colo.continent,
    latitude: String(colo.lat),
    longitude: String(colo.lon),
  }
}

export interface ColoNetwork {
  /** Miniflare's outbound service for the colo's edge. */
  handle: (request: IncomingMessage, response: ServerResponse) => void
  /** Embed calls the colo's edge sent to each region so far. */
  embedCalls: Record<string, number>
  /** The round trip from this colo to `region` from now on (a degraded link), in ms. */
  setRoundTrip: (region: string, ms: number) => void
}

/**
 * The network as seen from `colo`: a call to a region's node waits that round trip, then goes
 * to `nodeUrlOf(region)` (a real node) and its answer comes back as it is.
 */
export function coloNetwork(colo: GeoColo, nodeUrlOf: (region: string) => string): ColoNetwork {
  const agent = new http.Agent({ keepAlive: true })
  const embedCalls = Object.fromEntries(GEO_REGIONS.map((r) => [r.name, 0]))
  const roundTrips = { ...ROUND_TRIP_MS[colo.colo] }
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const host = (request.headers.host ?? '').split(':')[0]
    const region = GEO_REGIONS.find((r) => new URL(regionNodeUrl(r.name)).hostname === host)
    if (!region) {
      response.writeHead(502, { 'content-type': 'text/plain' })
      return void response.end(`no such host in the simulated network: ${host}`)
    }
    if (
      request.method === 'POST' &&
      new URL(request.url ?? '/', 'http://x').pathname === EMBED_PATH
    )
      embedCalls[region.name] += 1
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      setTimeout(() => {
        // The handler may be given the whole URL or only its path: keep the path and query.
        const asked = new URL(request.url ?? '/', `http://${host}`)
        const upstream = new URL(asked.pathname + asked.search, nodeUrlOf(region.name))
        const headers = { ...request.headers, host: upstream.host }
        const call = http.request(
          upstream,
          { method: request.method, headers, agent },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(response)
          },
        )
        call.on('error', () => response.destroy())
        call.end(Buffer.concat(chunks))
      }, roundTrips[region.name])
    })
  }
  return {
    handle,
    embedCalls,
    setRoundTrip: (region, ms) => void (roundTrips[region] = ms),
  }
}
