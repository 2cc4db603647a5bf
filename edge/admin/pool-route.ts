/**
 * Admin: `GET /admin/pool`, the origin pool as the isolate that answers sees it: each GPU
 * region with its distance from the caller, measured and expected round trip, and each node
 * with its breaker, rest, round trip and the share of this isolate's misses it took. It is
 * one isolate's view (each measures and counts for itself), from the place of this request:
 * call it through the colo whose routing you want to see.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { nodePool } from '../origin/node-pool.ts'
import { callerPlace, greatCircleKm } from '../origin/place.ts'
import { expectedRoundTripMs } from '../origin/region-order.ts'
import type { PoolView } from './api-types.ts'

export const poolRoute = new Hono<AppEnv>()

const rounded = (ms: number | null) => (ms === null ? null : Math.round(ms * 10) / 10)

poolRoute.get('/pool', (c) => {
  const pool = nodePool(c.env)
  const now = Date.now()
  const from = callerPlace(c.req.raw)
  const colo = (c.req.raw as { cf?: { colo?: unknown } }).cf?.colo
  const sent = pool.nodes.reduce((sum, node) => sum + node.inputsSent, 0)
  const view: PoolView = {
    scope: 'isolate',
    colo: typeof colo === 'string' ? colo : null,
    from,
    order: pool.regionsFor(from, now).map((region) => region.name),
    regions: pool.config.regions.map((region) => {
      const measured = pool.measuredRoundTripMs(region, now)
      const expected = expectedRoundTripMs(region, from, measured)
      return {
        name: region.name,
        place: region.place,
        distance_km: from && region.place ? Math.round(greatCircleKm(from, region.place)) : null,
        round_trip_ms: rounded(measured),
        expected_round_trip_ms: Number.isFinite(expected) ? rounded(expected) : null,
        nodes: pool.nodes
          .filter((node) => node.region === region)
          .map((node) => ({
            id: node.id,
            url: node.url,
            breaker: node.breaker.state(now),
            resting_until: node.restUntil > now ? new Date(node.restUntil).toISOString() : null,
            takes_traffic: pool.takesTraffic(node, now),
            round_trip_ms: rounded(node.roundTrip.estimateMs(now)),
            models: node.models?.map((model) => model.id) ?? null,
            inputs_sent: node.inputsSent,
            share: sent === 0 ? 0 : node.inputsSent / sent,
          })),
      }
    }),
  }
  return c.json(view)
})
