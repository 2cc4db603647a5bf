/**
 * `npm run bench:edge`: what the edge's cache buys, in one run, in one workerd
 * (the bundled worker under Miniflare, scripts/dev/bundled-edge.ts) with a real inference
 * node behind it, over loopback:
 *
 *   (a) bare     GET /health: Hono's JSON route with no work (the baseline)
 *       auth     GET /v1/models: the same key check and Durable Object admission every
 *                /v1 request pays, and no cache work: what (b) costs beyond it is the cache's
 *   (b) hit-1    POST /v1/embeddings, one cached input, a different body every request
 *                (input, `user`, `dimensions`, `encoding_format` vary): the full cached path
 *       memo-1   one fixed body sent again and again: the answer memo replays it, before
 *                parsing (edge/embeddings/response-memo.ts); what that shortcut costs alone
 *       hit-1-lim    memo-1 for a tenant with (unreachably high) rate limits: admission
 *                then counts against a lease of its budget (edge/limits/lease-policy.ts)
 *   (c) hit-32 / memo-32   the same two with 32 cached inputs (varied / one fixed body)
 *       bare-dir / hit-1-dir   (a) and (b) again on the worker's own socket, without the entry
 *                worker Miniflare (and wrangler dev) put in front of it; their ratio is to bare-dir
 *       miss-on / miss-off   a new input every request, cache on / off (a tenant with
 *                `edge_cache: false`: every input to the node): what a miss costs the edge (lookups,
 *                the KV write) on top of the node's work; context for (d)
 *   (d) zipf-on / zipf-off   single-input queries drawn Zipf(s≈1.1) from 10,000 distinct
 *                ones, edge cache on, then off, with the node's own vector cache off;
 *       zipf-on-nc / zipf-off-nc   the same with the node's cache on (a second node)
 *   (e) geo      misses from clients in three colos to three GPU regions 5 to 250 ms away
 *                (simulated round trips; geo-run.ts): one list of every node (flat rendezvous)
 *                against NODE_POOLS steering against each colo's nearest node alone (ideal),
 *                in rounds; `geo_miss_p50_vs_ideal` and `geo_flat_vs_steered` are its goals,
 *                and each region's node-cache hit ratio shows what splitting caches costs
 *
 * (a)-(c) run at 1 connection (latency) and 8 (throughput), in turns: BENCH_ROUNDS rounds
 * of about a second per row, each row's figures over all its rounds; (d) at 8. Every row is
 * bounded in requests and seconds. Prints the date and commit first, then p50/p99 and
 * requests/s per row, ratios to (a), and for (d) (zipf-run.ts): the isolate tier's hit ratio
 * against an LRU of the same capacity over the requests as sent (`zipf_hit_ratio_vs_ideal`,
 * the figure that can fail), the whole edge's against an unbounded cache, and the cache's
 * throughput gain; the last line is one JSON object, `provenance` included.
 *
 * (d) runs on edges of its own whose isolate tier holds ZIPF_ISOLATE_BYTES (256 KiB, about
 * 110 vectors of 512 dimensions), so the queries' working set is many times its capacity
 * (`zipf_working_set_vs_capacity`); (a)-(c) keep the default 32 MiB, which holds all they ask.
 * Their node's own cache is off (VECTOR_CACHE_BYTES=0) unless BENCH_NODE_CACHE=on, so that
 * "cache off" means no cache anywhere, not the node's cache in place of the edge's.
 *
 * Environment: BENCH_SECONDS (5, per (a)-(c) row), BENCH_ROUNDS (5), BENCH_REQUESTS (50000),
 * ZIPF_REQUESTS (20000), ZIPF_SECONDS (20, per (d) row), ZIPF_DISTINCT (10000),
 * ZIPF_EXPONENT (1.1), ZIPF_ISOLATE_BYTES (262144), BENCH_NODE_CACHE (off), GEO_ROUNDS (3),
 * GEO_REQUESTS (40, per colo per round and layout), GEO_SECONDS (60, per turn).
 */
import { randomBytes } from 'node:crypto'
import { CACHE_HEADER } from '../../../edge/embeddings/embeddings-response.ts'
import path from 'node:path'
import { REPO_ROOT } from '../../../gpu-node/config.ts'
import { startInferenceNode, type RunningNode } from '../../dev/inference-node-process.ts'
import { ensureDefaultModel } from '../../default-model/prepare.ts'
import { startBundledEdge, withoutEdgeCache } from '../../dev/bundled-edge.ts'
import { measure, measureInTurns, type Row, type RowOptions } from '../autocannon-row.ts'
import { describeProvenance, provenance } from '../provenance.ts'
import { progressLog } from '../progress-log.ts'
import { describeSpread, spreadOf } from '../spread.ts'
import { fixed, table } from '../table.ts'
import { describeZipf, runZipf } from './zipf-run.ts'
import { GEO_REGIONS } from './geo-network.ts'
import { describeGeo, runGeo, type GeoFigures } from './geo-run.ts'

const numberFrom = (name: string, fallback: number) => {
  const value = Number(process.env[name])
  return process.env[name] && Number.isFinite(value) && value > 0 ? value : fallback
}
const SECONDS = numberFrom('BENCH_SECONDS', 5)
const ROUNDS = Math.round(numberFrom('BENCH_ROUNDS', 5))
const REQUESTS = numberFrom('BENCH_REQUESTS', 50_000)
const ZIPF_REQUESTS = numberFrom('ZIPF_REQUESTS', 20_000)
const ZIPF_SECONDS = numberFrom('ZIPF_SECONDS', 20)
const ZIPF_DISTINCT = numberFrom('ZIPF_DISTINCT', 10_000)
const ZIPF_EXPONENT = numberFrom('ZIPF_EXPONENT', 1.1)
const ZIPF_ISOLATE_BYTES = numberFrom('ZIPF_ISOLATE_BYTES', 256 * 1024)
const GEO_ROUNDS = Math.round(numberFrom('GEO_ROUNDS', 3))
const GEO_REQUESTS = Math.round(numberFrom('GEO_REQUESTS', 40))
const GEO_SECONDS = numberFrom('GEO_SECONDS', 60)
const MODEL = 'use-lite-en'
const THROUGHPUT_CONNECTIONS = 8
const NODE_CACHE = process.env.BENCH_NODE_CACHE === 'on'
/** Distinct cached inputs the hit rows draw from. */
const CACHED_TEXTS = 256

const log = progressLog()

const stamp = provenance()
const GOALS = {
  hit_p50_vs_bare: 1.5,
  zipf_hit_ratio_vs_ideal: 0.95,
  /** At most: steered misses against each colo's nearest node alone. */
  geo_miss_p50_vs_ideal: 1.2,
  /** At least: one flat list's misses against steered ones. */
  geo_flat_vs_steered: 3,
}
log(`measured ${describeProvenance(stamp)}`)
const secret = randomBytes(24).toString('hex')
const apiKey = `sk-bench-${randomBytes(12).toString('hex')}`
const limitedApiKey = `sk-bench-${randomBytes(12).toString('hex')}`
const benchTenant = {
  id: 'bench',
  apiKey,
  limits: { requests_per_minute: null, tokens_per_minute: null },
}
/** `bench` again, for which the edge keeps nothing: the cache-off row (miss-off). */
const noEdgeCache = withoutEdgeCache(benchTenant)
const modelDir = await ensureDefaultModel(path.join(REPO_ROOT, 'models'), { log: () => {} })
// Two nodes, with their own vector cache off and on: (d) is measured behind each, (a)-(c)
// behind the one BENCH_NODE_CACHE names.
log(`starting two inference nodes (${MODEL}), their own vector cache off and on`)
const nodeCacheOff = await startInferenceNode({
  modelDir,
  secret,
  env: { VECTOR_CACHE_BYTES: '0' },
})
let nodeCacheOn: RunningNode | undefined
let edge: Awaited<ReturnType<typeof startBundledEdge>> | undefined
try {
  nodeCacheOn = await startInferenceNode({ modelDir, secret })
  const node = NODE_CACHE ? nodeCacheOn : nodeCacheOff
  log('bundling the edge with wrangler and starting it in workerd (Miniflare)')
  // `bench` has no limits; `bench-limited` has limits this machine cannot reach in a minute, so
  // both admission paths are measured (a tenant without limits has nothing to count) and
  // neither turns into a 429.
  edge = await startBundledEdge({
    nodeUrls: [node.url],
    nodeSecret: secret,
    tenants: [
      benchTenant,
      {
        id: 'bench-limited',
        apiKey: limitedApiKey,
        limits: { requests_per_minute: 10_000_000, tokens_per_minute: 1_000_000_000 },
      },
      noEdgeCache,
    ],
  })
  const { url, directUrl } = edge
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
  const embedBody = (input: string | string[]) => JSON.stringify({ model: MODEL, input })
  const post = (body: string, extra: Record<string, string> = {}) =>
    fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { ...headers, ...extra }, body })

  // Every input the hit rows ask for, cached before they are measured.
  const cachedTexts = Array.from({ length: CACHED_TEXTS }, (_, i) => `Cached question number ${i}?`)
  for (let i = 0; i < cachedTexts.length; i += 64) {
    const warm = await post(embedBody(cachedTexts.slice(i, i + 64)))
    await warm.arrayBuffer()
    if (warm.status !== 200) throw new Error(`warm-up: expected 200, got ${warm.status}`)
  }
  // hit-1 and hit-32 send a different body every time, of inputs that are all cached: new
  // choices and order of inputs, `user`, `dimensions` and `encoding_format`. So each goes the
  // whole way (parse, templates, keys, the tiers), as a cached request from a real client does;
  // the answer memo (edge/embeddings/response-memo.ts) never has it.
  let variant = 0
  const variedBody = (count: number) => () => {
    const n = variant++
    const input = Array.from(
      { length: count },
      () => cachedTexts[Math.floor(Math.random() * cachedTexts.length)],
    )
    return JSON.stringify({
      model: MODEL,
      input: count === 1 ? input[0] : input,
      user: `bench-user-${n}`,
      ...(n % 3 === 0 ? {} : { dimensions: n % 3 === 1 ? 64 : 256 }),
      ...(n % 2 === 0 ? {} : { encoding_format: 'base64' }),
    })
  }
  // memo-1 and memo-32 replay one fixed body: what the answer memo costs on its own.
  const single = embedBody('How do I reset my password?')
  const batch = embedBody(Array.from({ length: 32 }, (_, i) => `Cached batch input number ${i}`))
  // Each tenant has its own cache scope: the limited tenant warms its own entry.
  const limitedAuth = { authorization: `Bearer ${limitedApiKey}` }
  for (const [body, extra] of [
    [single, {}],
    [batch, {}],
    [single, limitedAuth],
  ] as const) {
    await (await post(body, extra)).arrayBuffer()
    const again = await post(body, extra)
    await again.arrayBuffer()
    if (again.status !== 200 || again.headers.get(CACHE_HEADER) !== 'hit') {
      throw new Error(
        `warm-up: expected a cached 200, got ${again.status} ${again.headers.get(CACHE_HEADER)}`,
      )
    }
  }

  const rows: Row[] = []
  const row = async (
    options: Omit<RowOptions, 'url' | 'maxRequests' | 'maxSeconds'> & Partial<RowOptions>,
  ) => {
    const result = await measure({ url, maxRequests: REQUESTS, maxSeconds: SECONDS, ...options })
    log(
      `${result.name} × ${result.connections}: ${result.requests} requests, ${result.errors} errors`,
    )
    rows.push(result)
    return result
  }
  // (a)-(c) in turns (autocannon-row.ts): the ratios between them are the point, and this
  // machine's speed drifts from one second to the next.
  for (const connections of [1, THROUGHPUT_CONNECTIONS]) {
    const postRequest = (body: string, extra: Record<string, string> = {}) => ({
      method: 'POST' as const,
      path: '/v1/embeddings',
      headers: { ...headers, ...extra },
      body,
    })
    const compared = await measureInTurns(
      [
        { name: 'bare', request: { path: '/health' } },
        { name: 'auth', request: { path: '/v1/models', headers } },
        { name: 'memo-1', request: postRequest(single) },
        { name: 'hit-1', request: postRequest(single), nextBody: variedBody(1) },
        { name: 'hit-1-lim', request: postRequest(single, limitedAuth) },
        { name: 'memo-32', request: postRequest(batch) },
        { name: 'hit-32', request: postRequest(batch), nextBody: variedBody(32) },
        // The same two requests on the worker's own socket, without Miniflare's entry worker.
        { name: 'bare-dir', url: directUrl, request: { path: '/health' } },
        {
          name: 'hit-1-dir',
          url: directUrl,
          request: postRequest(single),
          nextBody: variedBody(1),
        },
      ].map((r) => ({ url, ...r, connections, maxRequests: REQUESTS, maxSeconds: SECONDS })),
      ROUNDS,
    )
    for (const result of compared) {
      log(`${result.name} × ${connections}: ${result.requests} requests, ${result.errors} errors`)
      rows.push(result)
    }
  }

  for (const [name, extra] of [
    ['miss-on', {}],
    ['miss-off', { authorization: `Bearer ${noEdgeCache.apiKey}` }],
  ] as const) {
    let unique = 0
    const tag = randomBytes(4).toString('hex')
    await row({
      name,
      connections: 1,
      request: { method: 'POST', path: '/v1/embeddings', headers: { ...headers, ...extra } },
      nextBody: () => embedBody(`A question never asked before, ${tag} number ${unique++}`),
    })
  }
  await edge.stop()
  edge = undefined

  // (d), behind each node in turn, on an edge of its own with a small isolate tier.
  const zipfBehind = (zipfNode: RunningNode, nodeCache: boolean) =>
    runZipf({
      model: MODEL,
      nodeUrl: zipfNode.url,
      nodeSecret: secret,
      nodeCache,
      tenant: benchTenant,
      settings: {
        distinct: ZIPF_DISTINCT,
        exponent: ZIPF_EXPONENT,
        requests: ZIPF_REQUESTS,
        seconds: ZIPF_SECONDS,
        connections: THROUGHPUT_CONNECTIONS,
        isolateBytes: ZIPF_ISOLATE_BYTES,
      },
      log,
    })
  const zipfOff = await zipfBehind(nodeCacheOff, false)
  const zipfOn = await zipfBehind(nodeCacheOn, true)
  rows.push(...zipfOff.rows, ...zipfOn.rows)
  const zipf = { off: zipfOff.figures, on: zipfOn.figures }

  // (e), on three nodes of its own (one per simulated region), their own vector cache on.
  log(`geo: starting ${GEO_REGIONS.length} inference nodes, one per simulated region`)
  const geoNodes: RunningNode[] = []
  let geo: GeoFigures
  try {
    for (let i = 0; i < GEO_REGIONS.length; i++)
      geoNodes.push(await startInferenceNode({ modelDir, secret }))
    geo = await runGeo({
      model: MODEL,
      nodes: Object.fromEntries(GEO_REGIONS.map((region, i) => [region.name, geoNodes[i]])),
      nodeSecret: secret,
      tenant: benchTenant,
      settings: { rounds: GEO_ROUNDS, requests: GEO_REQUESTS, seconds: GEO_SECONDS },
      log,
    })
  } finally {
    await Promise.all(geoNodes.map((node) => node.stop()))
  }

  const pick = (name: string, connections: number) =>
    rows.find((r) => r.name === name && r.connections === connections)!
  /** p50 of one row over another's, round by round (both measured in the same turns). */
  const p50Ratio = (name: string, base: string, connections = 1) => {
    const [a, b] = [pick(name, connections), pick(base, connections)]
    return spreadOf(a.roundP50s.map((p50, round) => p50 / b.roundP50s[round]))
  }
  console.log(
    `\nmodel ${MODEL}; (a)-(c): at most ${REQUESTS} requests or ${SECONDS} s per row; ` +
      `the node's own cache ${NODE_CACHE ? 'on' : 'off'}; (d): ${ZIPF_DISTINCT} distinct queries, ` +
      `s=${ZIPF_EXPONENT}, at most ${ZIPF_REQUESTS} requests or ${ZIPF_SECONDS} s per row, the ` +
      `isolate tier ${ZIPF_ISOLATE_BYTES} bytes, the node's own cache off (-nc: on); loopback\n`,
  )
  const bareOf = (r: Row) => pick(r.name.endsWith('-dir') ? 'bare-dir' : 'bare', r.connections)
  console.log(
    table(rows, {
      row: (r) => r.name,
      conns: (r) => r.connections,
      requests: (r) => r.requests,
      errors: (r) => r.errors,
      'req/s': (r) => fixed(r.rps, 0),
      'p50 ms': (r) => fixed(r.p50, 2),
      'p99 ms': (r) => fixed(r.p99, 2),
      'p50/bare': (r) => fixed(r.p50 / bareOf(r).p50, 2),
      'req/s/bare': (r) => fixed(r.rps / bareOf(r).rps, 3),
      'p50/bare per round: median (lowest–highest)': (r) =>
        r.roundP50s.length > 1
          ? describeSpread(p50Ratio(r.name, bareOf(r).name, r.connections))
          : '',
    }),
  )
  console.log('')
  for (const figures of [zipf.off, zipf.on])
    for (const line of describeZipf(figures)) console.log(line)
  console.log(
    `  (${THROUGHPUT_CONNECTIONS} connections: the edge takes the requests in about, not exactly, the ` +
      `order sent, and of two requests for an input the isolate tier lacks that overlap, the second ` +
      `waits for the first's lookup and is not an isolate hit, where the LRU, one request at a ` +
      `time, counts a hit: a ratio a little under 1 is expected)`,
  )
  console.log('')
  for (const line of describeGeo(geo)) console.log(line)
  const direct = { bare: pick('bare-dir', 1).p50, hit: pick('hit-1-dir', 1).p50 }
  console.log(
    `without Miniflare's entry worker (the worker's own socket; wrangler dev, and the rows above, ` +
      `go through it): bare ${direct.bare.toFixed(2)} ms, hit-1 ${direct.hit.toFixed(2)} ms at p50, ` +
      `ratio ${(direct.hit / direct.bare).toFixed(2)}`,
  )
  const missCost = pick('miss-on', 1).p50 - pick('miss-off', 1).p50
  console.log(
    `a miss costs ${missCost.toFixed(2)} ms more at p50 with the cache on (tier lookups and the ` +
      `KV write, which the local KV simulator performs inside workerd; on Cloudflare it is a remote call)`,
  )
  console.log(
    JSON.stringify({
      model: MODEL,
      node_cache: NODE_CACHE,
      bare_p50_ms: pick('bare', 1).p50,
      hit_p50_ms: pick('hit-1', 1).p50,
      hit32_p50_ms: pick('hit-32', 1).p50,
      memo_hit_p50_ms: pick('memo-1', 1).p50,
      memo_hit32_p50_ms: pick('memo-32', 1).p50,
      auth_p50_ms: pick('auth', 1).p50,
      hit_p50_vs_bare: pick('hit-1', 1).p50 / pick('bare', 1).p50,
      memo_hit_p50_vs_bare: pick('memo-1', 1).p50 / pick('bare', 1).p50,
      hit_row_hit_ratio: pick('hit-1', 1).hits / Math.max(1, pick('hit-1', 1).requests),
      hit_p50_vs_auth: pick('hit-1', 1).p50 / pick('auth', 1).p50,
      bare_direct_p50_ms: direct.bare,
      hit_direct_p50_ms: direct.hit,
      hit_p50_vs_bare_direct: direct.hit / direct.bare,
      hit_limited_p50_ms: pick('hit-1-lim', 1).p50,
      hit_limited_p50_vs_bare: pick('hit-1-lim', 1).p50 / pick('bare', 1).p50,
      hit32_p50_vs_bare: pick('hit-32', 1).p50 / pick('bare', 1).p50,
      memo_hit32_p50_vs_bare: pick('memo-32', 1).p50 / pick('bare', 1).p50,
      // Each ratio above, taken within each round, then over rounds: {min, median, max, rounds}.
      spreads: {
        hit_p50_vs_bare: p50Ratio('hit-1', 'bare'),
        memo_hit_p50_vs_bare: p50Ratio('memo-1', 'bare'),
        hit_p50_vs_auth: p50Ratio('hit-1', 'auth'),
        hit_p50_vs_bare_direct: p50Ratio('hit-1-dir', 'bare-dir'),
        hit_limited_p50_vs_bare: p50Ratio('hit-1-lim', 'bare'),
        hit32_p50_vs_bare: p50Ratio('hit-32', 'bare'),
        memo_hit32_p50_vs_bare: p50Ratio('memo-32', 'bare'),
        geo_miss_p50_vs_ideal: geo.miss_p50_vs_ideal_spread,
        geo_flat_vs_steered: geo.flat_vs_steered_spread,
      },
      hit_rps_vs_bare_8:
        pick('hit-1', THROUGHPUT_CONNECTIONS).rps / pick('bare', THROUGHPUT_CONNECTIONS).rps,
      // (d) with the node's own cache off; the same figures with it on in zipf_node_cache_on.
      zipf_requests: zipf.off.requests,
      zipf_isolate_capacity_bytes: zipf.off.isolate_capacity_bytes,
      zipf_working_set_bytes: zipf.off.working_set_bytes,
      zipf_working_set_vs_capacity: zipf.off.working_set_vs_capacity,
      zipf_repeated_working_set_vs_capacity: zipf.off.repeated_working_set_vs_capacity,
      zipf_isolate_hit_ratio: zipf.off.isolate_hit_ratio,
      zipf_ideal_lru_hit_ratio: zipf.off.ideal_lru_hit_ratio,
      zipf_hit_ratio_vs_ideal: zipf.off.hit_ratio_vs_ideal,
      zipf_hit_ratio: zipf.off.hit_ratio,
      zipf_unbounded_hit_ratio: zipf.off.unbounded_hit_ratio,
      zipf_hit_ratio_vs_unbounded: zipf.off.hit_ratio_vs_unbounded,
      zipf_rps_cache_on: zipf.off.rps_cache_on,
      zipf_rps_cache_off: zipf.off.rps_cache_off,
      zipf_cache_throughput_gain: zipf.off.cache_throughput_gain,
      zipf_node_cache_off: zipf.off,
      zipf_node_cache_on: zipf.on,
      geo_miss_p50_vs_ideal: geo.miss_p50_vs_ideal,
      geo_flat_vs_steered: geo.flat_vs_steered,
      geo_miss_p50_ms: {
        flat: geo.layouts.flat.p50_ms,
        steered: geo.layouts.steered.p50_ms,
        ideal: geo.layouts.ideal.p50_ms,
      },
      geo_miss_p99_ms: {
        flat: geo.layouts.flat.p99_ms,
        steered: geo.layouts.steered.p99_ms,
        ideal: geo.layouts.ideal.p99_ms,
      },
      geo_node_cache_hit_ratio: {
        flat: geo.layouts.flat.node_cache_hit_ratio,
        steered: geo.layouts.steered.node_cache_hit_ratio,
      },
      geo,
      miss_p50_cache_on_ms: pick('miss-on', 1).p50,
      miss_p50_cache_off_ms: pick('miss-off', 1).p50,
      errors:
        rows.reduce((sum, r) => sum + r.errors, 0) +
        Object.values(geo.layouts).reduce((sum, layout) => sum + layout.errors, 0),
      goals: GOALS,
      goals_met: {
        hit_p50_vs_bare: pick('hit-1', 1).p50 / pick('bare', 1).p50 <= GOALS.hit_p50_vs_bare,
        // Below it, the isolate tier keeps less than an LRU of its size would: broken recency,
        // entries sized wrong, or a copy per request.
        zipf_hit_ratio_vs_ideal:
          zipf.off.hit_ratio_vs_ideal === null
            ? null
            : zipf.off.hit_ratio_vs_ideal >= GOALS.zipf_hit_ratio_vs_ideal,
        geo_miss_p50_vs_ideal: geo.miss_p50_vs_ideal <= GOALS.geo_miss_p50_vs_ideal,
        geo_flat_vs_steered: geo.flat_vs_steered >= GOALS.geo_flat_vs_steered,
      },
      provenance: stamp,
    }),
  )
} finally {
  await edge?.stop()
  await Promise.all([nodeCacheOff.stop(), nodeCacheOn?.stop()])
}
