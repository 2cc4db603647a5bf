/**
 * (d) of bench:edge: the Zipf rows, against an edge of their own whose isolate tier is small
 * (its ISOLATE_CACHE_BYTES is ZIPF_ISOLATE_BYTES), so that the queries' working set is several
 * times what it holds and eviction decides what it hits. The same sequence is sent with the edge's
 * cache on, then off (a tenant with `edge_cache: false`: every input to the node); each run's texts are
 * new (its own tag), so neither finds the other's entries at the edge or at the node.
 *
 * Two hit ratios, because the tiers behind the isolate (Cache API, KV) catch what it evicts:
 * - the isolate tier's, next to an LRU of the same capacity over the requests as sent
 *   (ideal-lru.ts): the figure a broken LRU, a wrong entry size or a copy per request drops;
 *   it needs the edge to say which tier answered (CACHE_TIER_HEADER), and is null where it does not;
 * - the whole edge's (`x-cache: hit`), next to an unbounded cache (1 - distinct/total).
 */
import { randomBytes } from 'node:crypto'
import { CACHE_TIER_HEADER } from '../../../edge/embeddings/embeddings-response.ts'
import { cacheKey } from '../../../shared/cache-key.ts'
import { cacheScopeOf, TenantSchema } from '../../../edge/tenants/tenant.ts'
import { startBundledEdge, withoutEdgeCache, type EdgeTenant } from '../../dev/bundled-edge.ts'
import { measure, type Row } from '../autocannon-row.ts'
import { idealLruHitRatio, isolateEntryBytes, workingSetBytes } from './ideal-lru.ts'
import { queryText, unboundedHitRatio, zipfSequence } from './zipf.ts'

/** Answers from the isolate's memory: the answer memo replays only what the isolate tier holds. */
const ISOLATE_TIERS = new Set(['memo', 'isolate'])

export interface ZipfSettings {
  distinct: number
  exponent: number
  requests: number
  seconds: number
  connections: number
  /** ISOLATE_CACHE_BYTES of the Zipf rows' edge. */
  isolateBytes: number
}

/** Everything (d) reports for one state of the node's own cache. */
export interface ZipfFigures {
  node_cache: boolean
  /** Successful responses of the cache-on run, and the requests it sent (a few may be unanswered). */
  requests: number
  sent: number
  isolate_capacity_bytes: number
  /** One entry as the isolate tier sizes it: vector bytes, key characters, overhead. */
  entry_bytes: number
  /** Every distinct input the cache-on run sent, sized so. */
  working_set_bytes: number
  working_set_vs_capacity: number
  /** The same over the inputs asked for more than once: the entries eviction can cost a hit. */
  repeated_working_set_bytes: number
  repeated_working_set_vs_capacity: number
  /** Share of answers from the isolate's memory (CACHE_TIER_HEADER); null if the edge does not say. */
  isolate_hit_ratio: number | null
  /** An LRU of the tier's capacity over the sequence as sent, one request at a time. */
  ideal_lru_hit_ratio: number
  hit_ratio_vs_ideal: number | null
  /** The whole edge (`x-cache: hit`): the isolate, the Cache API and KV together. */
  hit_ratio: number
  unbounded_hit_ratio: number
  hit_ratio_vs_unbounded: number
  /** Answers by CACHE_TIER_HEADER value, in the cache-on run. */
  tiers: Record<string, number>
  rps_cache_on: number
  rps_cache_off: number
  cache_throughput_gain: number
}

const SEQUENCE_SEED = 20250605

/** The Zipf rows with the cache on, then off, on a new edge in front of `nodeUrl`. */
export async function runZipf(options: {
  model: string
  nodeUrl: string
  nodeSecret: string
  nodeCache: boolean
  tenant: EdgeTenant
  settings: ZipfSettings
  log: (line: string) => void
}): Promise<{ rows: Row[]; figures: ZipfFigures }> {
  const { model, settings, tenant, log } = options
  const suffix = options.nodeCache ? '-nc' : ''
  log(
    `starting an edge for the Zipf rows (isolate tier ${settings.isolateBytes} bytes; ` +
      `the node's own cache ${options.nodeCache ? 'on' : 'off'})`,
  )
  const noEdgeCache = withoutEdgeCache(tenant)
  const edge = await startBundledEdge({
    nodeUrls: [options.nodeUrl],
    nodeSecret: options.nodeSecret,
    tenants: [tenant, noEdgeCache],
    vars: { ISOLATE_CACHE_BYTES: String(settings.isolateBytes) },
  })
  try {
    const headersOf = ({ apiKey }: EdgeTenant) => ({
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
    })
    const headers = headersOf(tenant)
    const listed = await fetch(`${edge.url}/v1/models`, { headers })
    const catalog = (await listed.json()) as {
      data: { id: string; revision: string; dimensions: number }[]
    }
    const served = catalog.data.find((m) => m.id === model)
    if (!served) throw new Error(`the edge does not list ${model}: ${JSON.stringify(catalog)}`)
    // The tenant records and the catalog are read once, here, touching no cache tier: the
    // listing above reads the first tenant's, an embedding that keeps nothing the second's.
    const warm = await fetch(`${edge.url}/v1/embeddings`, {
      method: 'POST',
      headers: headersOf(noEdgeCache),
      body: JSON.stringify({ model, input: 'warm-up' }),
    })
    if (warm.status !== 200) throw new Error(`Zipf warm-up: expected 200, got ${warm.status}`)

    const sequence = zipfSequence(
      settings.distinct,
      settings.exponent,
      settings.requests,
      SEQUENCE_SEED,
    )
    const row = async (name: string, cacheOn: boolean) => {
      const tag = `${name}-${randomBytes(4).toString('hex')}`
      const tiers: Record<string, number> = {}
      let sent = 0
      const result = await measure({
        name,
        url: edge.url,
        connections: settings.connections,
        maxRequests: settings.requests,
        maxSeconds: settings.seconds,
        request: {
          method: 'POST',
          path: '/v1/embeddings',
          headers: headersOf(cacheOn ? tenant : noEdgeCache),
        },
        nextBody: () =>
          JSON.stringify({ model, input: queryText(tag, sequence[sent++ % sequence.length]) }),
        onHeaders: (received) => {
          const tier = received[CACHE_TIER_HEADER] ?? 'unsaid'
          tiers[tier] = (tiers[tier] ?? 0) + 1
        },
      })
      log(`${name} × ${result.connections}: ${result.requests} requests, ${result.errors} errors`)
      return { result, tag, tiers, ranks: sequence.slice(0, Math.min(sent, sequence.length)) }
    }
    const on = await row(`zipf-on${suffix}`, true)
    const off = await row(`zipf-off${suffix}`, false)

    // The keys the edge derived for what the cache-on run sent: the text of a document with no
    // template is embedded as it is.
    const parts = {
      scope: cacheScopeOf(TenantSchema.parse({ id: tenant.id })),
      model,
      revision: served.revision,
    }
    const keyOf = new Map<number, string>()
    for (const rank of new Set(on.ranks))
      keyOf.set(rank, await cacheKey(parts, { text: queryText(on.tag, rank) }))
    const keys = on.ranks.map((rank) => keyOf.get(rank)!)
    const vectorBytes = 4 * served.dimensions
    const capacity = settings.isolateBytes
    const workingSet = workingSetBytes(keys, vectorBytes)
    const repeatedWorkingSet = workingSetBytes(keys, vectorBytes, 2)
    const idealLru = idealLruHitRatio(keys, capacity, vectorBytes)
    const unbounded = unboundedHitRatio(on.ranks)
    const answered = Math.max(1, on.result.requests)
    const toldTier = on.result.requests > 0 && !(on.tiers.unsaid > 0)
    const fromIsolate = Object.entries(on.tiers)
      .filter(([tier]) => ISOLATE_TIERS.has(tier))
      .reduce((sum, [, count]) => sum + count, 0)
    const isolateHitRatio = toldTier ? fromIsolate / answered : null
    const hitRatio = on.result.hits / answered
    const figures: ZipfFigures = {
      node_cache: options.nodeCache,
      requests: on.result.requests,
      sent: on.ranks.length,
      isolate_capacity_bytes: capacity,
      entry_bytes: isolateEntryBytes(keys[0] ?? '', vectorBytes),
      working_set_bytes: workingSet,
      working_set_vs_capacity: workingSet / capacity,
      repeated_working_set_bytes: repeatedWorkingSet,
      repeated_working_set_vs_capacity: repeatedWorkingSet / capacity,
      isolate_hit_ratio: isolateHitRatio,
      ideal_lru_hit_ratio: idealLru,
      hit_ratio_vs_ideal: isolateHitRatio === null ? null : isolateHitRatio / idealLru,
      hit_ratio: hitRatio,
      unbounded_hit_ratio: unbounded,
      hit_ratio_vs_unbounded: hitRatio / unbounded,
      tiers: on.tiers,
      rps_cache_on: on.result.rps,
      rps_cache_off: off.result.rps,
      cache_throughput_gain: on.result.rps / off.result.rps,
    }
    return { rows: [on.result, off.result], figures }
  } finally {
    await edge.stop()
  }
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`

/** What one runZipf measured, in a few lines. */
export function describeZipf(f: ZipfFigures): string[] {
  const nodeCache = `the node's own cache ${f.node_cache ? 'on' : 'off'}`
  const lines = [
    `zipf, ${nodeCache}: working set ${(f.working_set_bytes / 1024).toFixed(0)} KiB ` +
      `(${Math.round(f.working_set_bytes / f.entry_bytes)} distinct inputs of ${f.entry_bytes} bytes ` +
      `as the isolate tier sizes them) = ${f.working_set_vs_capacity.toFixed(1)}× its ` +
      `${(f.isolate_capacity_bytes / 1024).toFixed(0)} KiB; the inputs asked for more than once ` +
      `${f.repeated_working_set_vs_capacity.toFixed(1)}×` +
      (f.working_set_vs_capacity < 5
        ? ' — under 5×, eviction barely matters: raise ZIPF_SECONDS or lower ZIPF_ISOLATE_BYTES'
        : ''),
  ]
  const tiers = Object.entries(f.tiers)
    .map(([tier, count]) => `${tier} ${count}`)
    .join(', ')
  lines.push(
    f.isolate_hit_ratio === null
      ? `  isolate tier: not measured: the edge does not say which tier answered (no ${CACHE_TIER_HEADER} ` +
          `header); an LRU of its capacity over the ${f.sent} requests sent hits ${percent(f.ideal_lru_hit_ratio)}`
      : `  isolate tier: ${percent(f.isolate_hit_ratio)} of ${f.requests} answers; an LRU of its ` +
          `capacity over the ${f.sent} requests as sent: ${percent(f.ideal_lru_hit_ratio)} ` +
          `(ratio ${f.hit_ratio_vs_ideal!.toFixed(3)}; answers by tier: ${tiers})`,
    `  whole edge (isolate, Cache API, KV): ${percent(f.hit_ratio)} hits; an unbounded cache over ` +
      `the same requests: ${percent(f.unbounded_hit_ratio)} (ratio ${f.hit_ratio_vs_unbounded.toFixed(3)})`,
    `  throughput: ${f.rps_cache_on.toFixed(0)} req/s with the edge cache, ` +
      `${f.rps_cache_off.toFixed(0)} without (gain ×${f.cache_throughput_gain.toFixed(2)}` +
      `${f.node_cache ? "; without the edge cache the node's own cache answers repeats" : ''})`,
  )
  return lines
}
