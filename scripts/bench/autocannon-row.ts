/**
 * One benchmark row: autocannon against one HTTP route, bounded in requests and
 * seconds; or several rows measured in turns (measureInTurns). Latency
 * percentiles come from every successful response's own time (float ms;
 * autocannon's histogram keeps whole milliseconds, too coarse for routes that
 * answer in under one), failures are counted apart (`errors`), and requests/s
 * is successes over the wall time of the row (autocannon's own rate is per
 * whole second).
 */
import autocannon from 'autocannon'
import { percentile } from './spread.ts'

export interface Row {
  name: string
  connections: number
  requests: number
  errors: number
  rps: number
  p50: number
  p99: number
  /** Responses carrying `x-cache: hit`, for the rows that count them. */
  hits: number
  /** p50 of each round on its own (one for a row measured once), for ratios per round. */
  roundP50s: number[]
}

export interface RowOptions {
  name: string
  url: string
  connections: number
  maxRequests: number
  maxSeconds: number
  /** A fixed request, or one built per request (e.g. the next query of a sequence). */
  request: {
    method?: 'GET' | 'POST'
    path: string
    headers?: Record<string, string>
    body?: string
  }
  nextBody?: () => string
  /** Called with each successful response's headers, e.g. to tell which cache tier answered. */
  onHeaders?: (headers: Record<string, string>) => void
}

/** What one autocannon run saw. */
interface Sample {
  latencies: number[]
  errors: number
  hits: number
  seconds: number
}

async function run(options: RowOptions): Promise<Sample> {
  const latencies: number[] = []
  let hits = 0
  const { method = 'GET', path, headers = {}, body } = options.request
  const started = performance.now()
  const settings: autocannon.Options = {
    url: options.url,
    connections: options.connections,
    // Not `amount`: autocannon ignores `duration` when it is set.
    maxOverallRequests: options.maxRequests,
    duration: options.maxSeconds,
    requests: [
      {
        method,
        path,
        headers,
        body,
        ...(options.nextBody ? { setupRequest: (r) => ({ ...r, body: options.nextBody!() }) } : {}),
        onResponse: (status, _body, _context, responseHeaders) => {
          const received = responseHeaders as Record<string, string>
          if (received['x-cache'] === 'hit') hits++
          if (status >= 200 && status < 300) options.onHeaders?.(received)
        },
      },
    ],
  } as autocannon.Options
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(settings, (err, done) => (err ? reject(err) : resolve(done)))
    // Successes only, as bench:node counts them (scripts/bench/node/load.ts): a fast refusal
    // must not make a row look quick. Failures are the `errors` column beside the percentiles.
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) latencies.push(responseTime)
    })
  })
  return {
    latencies,
    errors: result.errors + result.timeouts + result.non2xx,
    hits,
    seconds: (performance.now() - started) / 1000,
  }
}

function rowOf(options: RowOptions, samples: Sample[]): Row {
  const latencies = samples.flatMap((s) => s.latencies)
  const seconds = samples.reduce((sum, s) => sum + s.seconds, 0)
  return {
    name: options.name,
    connections: options.connections,
    requests: latencies.length,
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    hits: samples.reduce((sum, s) => sum + s.hits, 0),
    roundP50s: samples.map((s) => percentile(s.latencies, 50)),
  }
}

export async function measure(options: RowOptions): Promise<Row> {
  return rowOf(options, [await run(options)])
}

/**
 * Rows to compare with each other, measured in turns: `rounds` rounds, each running every row
 * for its share of `maxSeconds` and `maxRequests`, starting one row later each round, and each
 * row's figures taken over all its rounds (with each round's p50 kept for ratios per round). On
 * a shared machine whose speed drifts over seconds, rows measured one after the other would
 * compare one moment with another; in turns, each row sees every moment alike.
 */
export async function measureInTurns(options: RowOptions[], rounds: number): Promise<Row[]> {
  const samples: Sample[][] = options.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < options.length; turn++) {
      const i = (turn + round) % options.length
      const row = options[i]
      samples[i].push(
        await run({
          ...row,
          maxSeconds: row.maxSeconds / rounds,
          maxRequests: Math.ceil(row.maxRequests / rounds),
        }),
      )
    }
  }
  return options.map((row, i) => rowOf(row, samples[i]))
}
