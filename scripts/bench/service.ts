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
import autocannon from 'autocannon'
import { startService } from '../dev/service-process.ts'

// Time bounds each row; the count is a backstop.
const REQUESTS = Number(process.env.BENCH_REQUESTS || 20000)
const SECONDS = Number(process.env.BENCH_SECONDS || 5)
const MODEL = process.env.BENCH_MODEL || 'use-lite-en'

interface Result {
  name: string
  connections: number
  rps: number
  p50: number
  p99: number
  errors: number
}

async function measure(
  name: string,
  connections: number,
  options: Partial<autocannon.Options>,
): Promise<Result> {
  const started = performance.now()
  const result = await autocannon({
    connections,
    // Not `amount`: autocannon ignores `duration` when it is set.
    maxOverallRequests: REQUESTS,
    duration: SECONDS,
    ...options,
  } as autocannon.Options)
  const errors = result.errors + result.timeouts + result.non2xx
  console.log(`measured ${name} at ${connections} connection(s): ${result.requests.total} requests`)
  return {
    name,
    connections,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
  }
}

const service = await startService()
try {
  const url = service.edgeUrl
  const headers = { authorization: `Bearer ${service.apiKey}`, 'content-type': 'application/json' }
  const body = (input: string) => JSON.stringify({ model: MODEL, input, encoding_format: 'float' })
  const cachedBody = body('How do I reset my password?')
  await fetch(`${url}/v1/embeddings`, { method: 'POST', headers, body: cachedBody }) // make it a hit

  let unique = 0
  const missRequest: autocannon.Request = {
    method: 'POST',
    path: '/v1/embeddings',
    headers,
    // A new text for every request, so every one needs inference.
    setupRequest: (request) => ({
      ...request,
      body: body(
        `benchmark miss ${process.pid} ${unique++}: how many ways are there to say a thing?`,
      ),
    }),
  }

  const results: Result[] = []
  for (const connections of [1, 8]) {
    results.push(await measure('bare', connections, { url: `${url}/health` }))
    results.push(
      await measure('hit', connections, {
        url: `${url}/v1/embeddings`,
        method: 'POST',
        headers,
        body: cachedBody,
      }),
    )
    results.push(
      await measure('miss', connections, {
        url,
        requests: [missRequest],
      }),
    )
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
