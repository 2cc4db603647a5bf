/**
 * (e) of bench:edge, the geo rows: where misses go when clients in three colos share three GPU
 * regions (geo-network.ts: round trips of 5 to 250 ms, simulated). Three ways to lay out the
 * same nodes, each as one edge per colo, measured in the same rounds, in an order that rotates:
 *
 *   flat     NODE_URLS: every region's node in one list, rendezvous over all (before regions)
 *   steered  NODE_POOLS: the regions with their places; the edge ranks them by distance from
 *            its colo and by the round trips it measures (edge/origin/region-order.ts)
 *   ideal    NODE_URLS: the colo's nearest region's node alone: each miss pays that round trip
 *            plus the edge's and the node's own work, the least any layout can do
 *
 * In each round and layout, one client per colo (all three at once, one request at a time)
 * asks for GEO_REQUESTS / 2 new single-input texts, then for the texts the next colo's client
 * just asked: the second half misses that colo's edge (its own KV, as a colo that has not yet
 * seen a key), and shows what each layout does to the nodes' own vector caches. Every answer
 * must be an edge miss (`x-cache: miss`); the region each edge sent its calls to is counted on the
 * simulated network. Latency is the client's, per request; the node cache hit ratio per region is
 * from the nodes' own /metrics, before and after each layout's turn.
 */
import { randomBytes } from 'node:crypto'
import { CACHE_HEADER } from '../../../edge/embeddings/embeddings-response.ts'
import { nodeMetrics } from '../node-metrics.ts'
import {
  bundleEdge,
  startBundledEdge,
  type BundledEdge,
  type EdgeTenant,
} from '../../dev/bundled-edge.ts'
import type { RunningNode } from '../../dev/inference-node-process.ts'
import { describeSpread, percentile, spreadOf, type Spread } from '../spread.ts'
import { fixed, percent, table } from '../table.ts'
import {
  GEO_COLOS,
  GEO_REGIONS,
  ROUND_TRIP_MS,
  coloCf,
  coloNetwork,
  regionNodeUrl,
  type ColoNetwork,
  type GeoColo,
} from './geo-network.ts'

export const LAYOUTS = ['flat', 'steered', 'ideal'] as const
export type Layout = (typeof LAYOUTS)[number]

export interface GeoSettings {
  rounds: number
  /** Requests per colo's client per round and layout: half new texts, half the next colo's. */
  requests: number
  /** Each layout's turn in a round stops sending after this long. */
  seconds: number
}

export interface LayoutFigures {
  /** Answers that were edge misses, over all rounds; the percentiles are over these. */
  misses: number
  /** Failed requests, and answers that were not edge misses (either is left out of the figures). */
  errors: number
  not_misses: number
  p50_ms: number
  p99_ms: number
  /** The p50 of each round. */
  round_p50s_ms: number[]
  /** Share of the edges' embed calls that went to their colo's nearest region (counted on the network). */
  nearest_region_share: number
  /** Per region: inputs its node answered from its own vector cache, over all it was sent. */
  node_cache_hit_ratio: Record<string, number | null>
}

export interface GeoFigures {
  settings: GeoSettings
  round_trip_ms: Record<string, Record<string, number>>
  layouts: Record<Layout, LayoutFigures>
  /** steered p50 ÷ ideal p50 (goal ≤ 1.2), and per round. */
  miss_p50_vs_ideal: number
  miss_p50_vs_ideal_spread: Spread | null
  /** flat p50 ÷ steered p50 (goal ≥ 3), and per round. */
  flat_vs_steered: number
  flat_vs_steered_spread: Spread | null
  /** After the rounds: one colo's link to its own region degrades, and steering must notice. */
  degraded: DegradedFigures
}

/**
 * The degraded-link phase: SIN's round trip to its own region goes from 5 to DEGRADED_MS, and
 * SIN's client sends DEGRADED_REQUESTS new texts, one at a time, to the steered edge. In the
 * rounds the distance alone decides; here only what the edge measures can.
 */
export interface DegradedFigures {
  colo: string
  region: string
  round_trip_ms: number
  requests: number
  /** How many requests still went to the degraded region before one went elsewhere (null: none did). */
  requests_before_moving: number | null
  /** Where the requests after that went, by region. */
  regions_after_moving: Record<string, number>
  /** p50 of the requests after moving, and the least the next region's round trip allows. */
  p50_after_moving_ms: number | null
  next_region_round_trip_ms: number
}

const DEGRADED_MS = 400
const DEGRADED_REQUESTS = 20

/** The node's vector cache counters, from its signed /metrics. */
async function nodeCacheCounters(node: RunningNode, secret: string) {
  const sum = await nodeMetrics(node.url, secret)
  return { hits: sum('te_embed_cache_hits'), misses: sum('te_embed_cache_misses') }
}

/** NODE_POOLS or NODE_URLS for `layout`, as seen from `colo`. */
function layoutVars(layout: Layout, colo: GeoColo): Record<string, string> {
  if (layout === 'steered') {
    const pools = GEO_REGIONS.map((r) => ({
      region: r.name,
      lat: r.lat,
      lon: r.lon,
      urls: [regionNodeUrl(r.name)],
    }))
    return { NODE_POOLS: JSON.stringify(pools) }
  }
  const regions = layout === 'flat' ? GEO_REGIONS.map((r) => r.name) : [colo.home]
  return { NODE_URLS: regions.map(regionNodeUrl).join(',') }
}

/** What one layout's turns gathered, over all rounds. */
interface LayoutSamples {
  /** Each edge miss's latency, as its client saw it. */
  ms: number[]
  roundP50s: number[]
  errors: number
  notMisses: number
  /** Embed calls the edges sent, and those that went to their colo's nearest region. */
  calls: number
  nearest: number
  /** Per region, the node's vector cache counters' increase. */
  cache: Record<string, { hits: number; misses: number }>
}

const emptySamples = (): LayoutSamples => ({
  ms: [],
  roundP50s: [],
  errors: 0,
  notMisses: 0,
  calls: 0,
  nearest: 0,
  cache: Object.fromEntries(GEO_REGIONS.map((r) => [r.name, { hits: 0, misses: 0 }])),
})

export async function runGeo(options: {
  model: string
  /** A real node per region, its own vector cache on. */
  nodes: Record<string, RunningNode>
  nodeSecret: string
  tenant: EdgeTenant
  settings: GeoSettings
  log: (line: string) => void
}): Promise<GeoFigures> {
  const { model, nodes, nodeSecret, tenant, settings, log } = options
  log(`geo: starting ${LAYOUTS.length * GEO_COLOS.length} edges (3 layouts × 3 colos)`)
  const bundle = await bundleEdge()
  const edges = new Map<string, BundledEdge>()
  const networks = new Map<string, ColoNetwork>()
  const edgeOf = (layout: Layout, colo: GeoColo) => edges.get(`${layout} ${colo.colo}`)!
  const networkOf = (layout: Layout, colo: GeoColo) => networks.get(`${layout} ${colo.colo}`)!
  try {
    for (const layout of LAYOUTS)
      for (const colo of GEO_COLOS) {
        const network = coloNetwork(colo, (region) => nodes[region].url)
        const edge = await startBundledEdge({
          bundleDir: bundle.dir,
          nodeUrls: [],
          nodeSecret,
          tenants: [tenant],
          // The simulated nodes' names are plain http to another host, as no real one should be.
          vars: { ...layoutVars(layout, colo), ALLOW_INSECURE_NODE_URLS: '1' },
          cf: coloCf(colo),
          outbound: network.handle,
        })
        edges.set(`${layout} ${colo.colo}`, edge)
        networks.set(`${layout} ${colo.colo}`, network)
      }

    const headers = { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' }
    const ask = async (edge: BundledEdge, text: string) => {
      const started = performance.now()
      try {
        const response = await fetch(`${edge.url}/v1/embeddings`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ model, input: text }),
        })
        await response.arrayBuffer()
        const ms = performance.now() - started
        return {
          ok: response.status === 200,
          miss: response.headers.get(CACHE_HEADER) === 'miss',
          ms,
        }
      } catch {
        return { ok: false, miss: false, ms: performance.now() - started }
      }
    }
    // Each edge reads the catalog and /info, and takes a first miss, before anything counts.
    for (const [name, edge] of edges) {
      for (let i = 0; i < 3; i++) {
        const warm = await ask(edge, `geo warm-up ${name} ${i} ${randomBytes(4).toString('hex')}`)
        if (!warm.ok) throw new Error(`geo warm-up of ${name}: the request failed`)
      }
    }

    const tag = randomBytes(4).toString('hex')
    const samples = Object.fromEntries(LAYOUTS.map((layout) => [layout, emptySamples()])) as Record<
      Layout,
      LayoutSamples
    >

    const half = Math.max(1, Math.floor(settings.requests / 2))
    for (let round = 0; round < settings.rounds; round++) {
      const order = LAYOUTS.map((_, i) => LAYOUTS[(i + round) % LAYOUTS.length])
      for (const layout of order) {
        const into = samples[layout]
        const before = await Promise.all(
          GEO_REGIONS.map((r) => nodeCacheCounters(nodes[r.name], nodeSecret)),
        )
        const callsBefore = GEO_COLOS.map((colo) => ({ ...networkOf(layout, colo).embedCalls }))
        const deadline = performance.now() + settings.seconds * 1000
        const textsOf = (colo: GeoColo) =>
          Array.from(
            { length: half },
            (_, i) => `geo ${tag} round ${round} ${layout} from ${colo.colo}: question ${i}`,
          )
        const roundMs: number[] = []
        const client = async (colo: GeoColo, texts: string[]) => {
          for (const text of texts) {
            if (performance.now() > deadline) return
            const answer = await ask(edgeOf(layout, colo), text)
            if (!answer.ok) into.errors++
            else if (!answer.miss) into.notMisses++
            else roundMs.push(answer.ms)
          }
        }
        // New texts from every colo, then each colo asks what the next one just asked.
        await Promise.all(GEO_COLOS.map((colo) => client(colo, textsOf(colo))))
        await Promise.all(
          GEO_COLOS.map((colo, i) => client(colo, textsOf(GEO_COLOS[(i + 1) % GEO_COLOS.length]))),
        )
        const after = await Promise.all(
          GEO_REGIONS.map((r) => nodeCacheCounters(nodes[r.name], nodeSecret)),
        )
        GEO_REGIONS.forEach((r, i) => {
          into.cache[r.name].hits += after[i].hits - before[i].hits
          into.cache[r.name].misses += after[i].misses - before[i].misses
        })
        GEO_COLOS.forEach((colo, i) => {
          const calls = networkOf(layout, colo).embedCalls
          for (const region of GEO_REGIONS) {
            const sent = calls[region.name] - callsBefore[i][region.name]
            into.calls += sent
            if (region.name === colo.home) into.nearest += sent
          }
        })
        into.ms.push(...roundMs)
        into.roundP50s.push(percentile(roundMs, 50))
        log(
          `geo round ${round + 1}/${settings.rounds} ${layout}: ${roundMs.length} misses, p50 ${into.roundP50s.at(-1)!.toFixed(1)} ms`,
        )
      }
    }

    const layouts = Object.fromEntries(
      LAYOUTS.map((layout) => {
        const s = samples[layout]
        const figures: LayoutFigures = {
          misses: s.ms.length,
          errors: s.errors,
          not_misses: s.notMisses,
          p50_ms: percentile(s.ms, 50),
          p99_ms: percentile(s.ms, 99),
          round_p50s_ms: s.roundP50s,
          nearest_region_share: s.nearest / Math.max(1, s.calls),
          node_cache_hit_ratio: Object.fromEntries(
            Object.entries(s.cache).map(([region, { hits, misses }]) => [
              region,
              hits + misses === 0 ? null : hits / (hits + misses),
            ]),
          ),
        }
        return [layout, figures]
      }),
    ) as Record<Layout, LayoutFigures>
    const degraded = await degradedLink(
      edgeOf('steered', GEO_COLOS[0]),
      networkOf('steered', GEO_COLOS[0]),
      ask,
      tag,
      log,
    )
    const perRound = (a: Layout, b: Layout) =>
      spreadOf(layouts[a].round_p50s_ms.map((p50, i) => p50 / layouts[b].round_p50s_ms[i]))
    return {
      settings,
      round_trip_ms: ROUND_TRIP_MS,
      layouts,
      miss_p50_vs_ideal: layouts.steered.p50_ms / layouts.ideal.p50_ms,
      miss_p50_vs_ideal_spread: perRound('steered', 'ideal'),
      flat_vs_steered: layouts.flat.p50_ms / layouts.steered.p50_ms,
      flat_vs_steered_spread: perRound('flat', 'steered'),
      degraded,
    }
  } finally {
    await Promise.all([...edges.values()].map((edge) => edge.stop()))
    await bundle.remove()
  }
}

/** The degraded-link phase (DegradedFigures), on the steered edge of GEO_COLOS[0]. */
async function degradedLink(
  edge: BundledEdge,
  network: ColoNetwork,
  ask: (edge: BundledEdge, text: string) => Promise<{ ok: boolean; ms: number }>,
  tag: string,
  log: (line: string) => void,
): Promise<DegradedFigures> {
  const colo = GEO_COLOS[0]
  network.setRoundTrip(colo.home, DEGRADED_MS)
  const went: string[] = []
  const latencies: number[] = []
  for (let i = 0; i < DEGRADED_REQUESTS; i++) {
    const before = { ...network.embedCalls }
    const answer = await ask(edge, `geo ${tag} degraded link from ${colo.colo}: question ${i}`)
    const region = GEO_REGIONS.find((r) => network.embedCalls[r.name] > before[r.name])?.name
    went.push(answer.ok ? (region ?? 'none') : 'error')
    latencies.push(answer.ms)
  }
  network.setRoundTrip(colo.home, ROUND_TRIP_MS[colo.colo][colo.home])
  const moved = went.findIndex((region) => region !== colo.home)
  const after = moved < 0 ? [] : went.slice(moved)
  const others = Object.entries(ROUND_TRIP_MS[colo.colo]).filter(([r]) => r !== colo.home)
  log(`geo degraded link ${colo.colo} → ${colo.home} at ${DEGRADED_MS} ms: ${went.join(', ')}`)
  return {
    colo: colo.colo,
    region: colo.home,
    round_trip_ms: DEGRADED_MS,
    requests: DEGRADED_REQUESTS,
    requests_before_moving: moved < 0 ? null : moved,
    regions_after_moving: after.reduce<Record<string, number>>(
      (counts, region) => ({ ...counts, [region]: (counts[region] ?? 0) + 1 }),
      {},
    ),
    p50_after_moving_ms: moved < 0 ? null : percentile(latencies.slice(moved), 50),
    next_region_round_trip_ms: Math.min(...others.map(([, ms]) => ms)),
  }
}

const ms = (value: number) => `${value.toFixed(1)} ms`

/** What runGeo measured, in a few lines. */
export function describeGeo(g: GeoFigures): string[] {
  const matrix = Object.entries(g.round_trip_ms)
    .map(([colo, trips]) => `${colo} ${Object.values(trips).join('/')}`)
    .join(', ')
  const lines = [
    `geo: ${GEO_COLOS.length} colos × ${GEO_REGIONS.length} regions (${GEO_REGIONS.map((r) => r.name).join('/')}), ` +
      `simulated round trips ms: ${matrix}; ${g.settings.rounds} rounds of ${g.settings.requests} ` +
      `single-input misses per colo and layout, half of them the next colo's texts; one client per ` +
      `colo, all on this machine's two cores with the nodes and nine workerd processes`,
    table(LAYOUTS, {
      layout: (layout) => layout,
      misses: (layout) => g.layouts[layout].misses,
      errors: (layout) => g.layouts[layout].errors + g.layouts[layout].not_misses,
      'p50 ms': (layout) => fixed(g.layouts[layout].p50_ms, 1),
      'p99 ms': (layout) => fixed(g.layouts[layout].p99_ms, 1),
      'p50 per round': (layout) =>
        g.layouts[layout].round_p50s_ms.map((p) => p.toFixed(0)).join('/'),
      'nearest region': (layout) => percent(g.layouts[layout].nearest_region_share),
      'node-cache hits per region': (layout) =>
        Object.entries(g.layouts[layout].node_cache_hit_ratio)
          .map(([region, ratio]) => `${region} ${percent(ratio)}`)
          .join(', '),
    }),
  ]
  lines.push(
    `  steered p50 / ideal p50: ${g.miss_p50_vs_ideal.toFixed(2)} (per round ${describeSpread(g.miss_p50_vs_ideal_spread)}; goal ≤ 1.2); ` +
      `flat p50 / steered p50: ${g.flat_vs_steered.toFixed(2)} (per round ${describeSpread(g.flat_vs_steered_spread)}; goal ≥ 3)`,
    `  degraded link: ${g.degraded.colo} → ${g.degraded.region} at ${g.degraded.round_trip_ms} ms; ` +
      (g.degraded.requests_before_moving === null
        ? `steering never moved in ${g.degraded.requests} requests`
        : `steering moved after ${g.degraded.requests_before_moving} requests; after that, by region: ` +
          `${Object.entries(g.degraded.regions_after_moving)
            .map(([r, n]) => `${r} ${n}`)
            .join(', ')}; ` +
          `p50 ${g.degraded.p50_after_moving_ms!.toFixed(1)} ms against the next region's ` +
          `${g.degraded.next_region_round_trip_ms} ms round trip`),
    `  the node-cache column is the price of regions: a text one colo asked is, from the next colo, ` +
      `a hit in the flat layout's one node for it and a miss in steering's other region (${ms(g.layouts.flat.p50_ms - g.layouts.steered.p50_ms)} ` +
      `of p50 is what steering saves)`,
  )
  return lines
}
