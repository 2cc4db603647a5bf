/**
 * `npm run bench:service`: the whole service as `npm start` runs it (real node,
 * wrangler dev, local KV), measured over loopback with autocannon, in one run:
 *
 *   bare    GET /health on the edge: Hono + wrangler dev with no work (the baseline)
 *   hit     POST /v1/embeddings, one input that is always cached
 *   miss    POST /v1/embeddings, one input never seen before (node inference every time)
 *
 * Each is run with 1 connection (latency) and 8 connections (throughput), each
 * bounded by request count and time. Prints requests/s, p50 and p99, ratios to
 * the baseline, and a JSON summary as the last line.
 */
import { measure, type Row, type RowOptions } from './autocannon-row.ts'
import { startService } from '../dev/service-process.ts'

// Time bounds each row; the count is a backstop.
const REQUESTS = Number(process.env.BENCH_REQUESTS || 20000)
const SECONDS = Number(process.env.BENCH_SECONDS || 5)
const MODEL = process.env.BENCH_MODEL || 'use-lite-en'

const service = await startService()
try {
  const url = service.edgeUrl
  const headers = { authorization: `Bearer ${service.apiKey}`, 'content-type': 'application/json' }
  const body = (input: string) => JSON.stringify({ model: MODEL, input, encoding_format: 'float' })
  const cachedBody = body('How do I reset my password?')
  await fetch(`${url}/v1/embeddings`, { method: 'POST', headers, body: cachedBody }) // make it a hit

  let unique = 0
  // A new text for every request, so every one needs inference.
  const missBody = () =>
    body(`benchmark miss ${process.pid} ${unique++}: how many ways are there to say a thing?`)

  const row = (
    name: string,
    connections: number,
    request: RowOptions['request'],
    nextBody?: () => string,
  ) =>
    measure({
      name,
      url,
      connections,
      maxRequests: REQUESTS,
      maxSeconds: SECONDS,
      request,
      nextBody,
    })
  const embedRequest = { method: 'POST' as const, path: '/v1/embeddings', headers }
  const results: Row[] = []
  for (const connections of [1, 8]) {
    results.push(await row('bare', connections, { path: '/health' }))
    results.push(await row('hit', connections, { ...embedRequest, body: cachedBody }))
    results.push(await row('miss', connections, embedRequest, missBody))
    console.log(`measured ${connections} connection(s)`)
  }

  console.log(`\nmodel ${MODEL}; at most ${REQUESTS} requests or ${SECONDS} s per row; loopback\n`)
  console.log('case  conns     req/s   p50 ms   p99 ms  errors  p50 vs bare  req/s vs bare')
  for (const r of results) {
    const bare = results.find((b) => b.name === 'bare' && b.connections === r.connections)!
    console.log(
      `${r.name.padEnd(5)} ${String(r.connections).padStart(5)} ${r.rps.toFixed(0).padStart(9)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${String(r.errors).padStart(7)} ${(r.p50 / bare.p50).toFixed(2).padStart(12)} ${(r.rps / bare.rps).toFixed(2).padStart(14)}`,
    )
  }
  const pick = (name: string, connections: number) =>
    results.find((r) => r.name === name && r.connections === connections)!
  console.log(
    JSON.stringify({
      model: MODEL,
      hit_p50_ms: pick('hit', 1).p50,
      miss_p50_ms: pick('miss', 1).p50,
      hit_rps_8: pick('hit', 8).rps,
      miss_rps_8: pick('miss', 8).rps,
      hit_p50_vs_bare: pick('hit', 1).p50 / pick('bare', 1).p50,
      miss_p50_vs_hit: pick('miss', 1).p50 / pick('hit', 1).p50,
      errors: results.reduce((sum, r) => sum + r.errors, 0),
    }),
  )
} finally {
  await service.stop()
}
