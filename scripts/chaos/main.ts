/**
 * `npm run chaos`: the whole service under a mixed load and faults, for about
 * three minutes on this machine, and a count of everything a tenant would call
 * a failure. Two real inference nodes (default model, CPU) and the bundled edge
 * worker under Miniflare, over loopback; the load generator shares the two
 * cores with them, so latencies here are not the service's, only their ratios.
 *
 * Traffic, all bounded in time (CHAOS_SECONDS, 150) and count (CHAOS_REQUESTS, 40000):
 * - mixed: three tenants, 1-4 inputs each, 70% from a hot set (cache hits), 30% new;
 *   Matryoshka dimensions and base64 sometimes;
 * - a probe: one new small input every half second, for the latency baseline;
 * - bad: every request of bad-requests.json in turn, four a second;
 * - the big request of issue 11 (one 12 MB text) twice, each followed by a small one;
 * - a rate-limited tenant (20 requests a minute) sent 90 requests in two bursts;
 * - a tenant whose key is revoked at 60 s, asking every 150 ms throughout.
 * Faults: node a killed (SIGKILL) at 30 s and restarted at 45 s; node b sent SIGTERM
 * under load at 80 s and restarted once it exited; the key revoked at 60 s.
 *
 * Then every returned vector is checked against the model run in this process
 * (verify.ts). Prints a table, then one JSON line; exits 1 if a goal is missed.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { EdgeTenant } from '../dev/bundled-edge.ts'
import { loadBadRequests } from './bad-requests.ts'
import { embedBody, send, type Answer } from './client.ts'
import { tally, printReport, type Outcome } from './report.ts'
import { startChaosStack } from './stack.ts'
import { verifyVectors, type Returned } from './verify.ts'

const numberFrom = (name: string, fallback: number) => {
  const value = Number(process.env[name])
  return process.env[name] && Number.isFinite(value) && value > 0 ? value : fallback
}
const SECONDS = numberFrom('CHAOS_SECONDS', 150)
const MAX_REQUESTS = numberFrom('CHAOS_REQUESTS', 40_000)
const RATE_LIMIT = 20
const HOT_TEXTS = 16

const MIXED = ['alpha', 'beta', 'gamma']
const tenants: EdgeTenant[] = [
  ...MIXED.map((id) => ({ id, apiKey: `sk-chaos-${id}-0001`, limits: unlimited() })),
  {
    id: 'limited',
    apiKey: 'sk-chaos-limited-0001',
    limits: { requests_per_minute: RATE_LIMIT, tokens_per_minute: null },
  },
  { id: 'revoked', apiKey: 'sk-chaos-revoked-0001', limits: unlimited() },
]
function unlimited() {
  return { requests_per_minute: null, tokens_per_minute: null }
}
const keyOf = (tenant: string) => tenants.find((t) => t.id === tenant)!.apiKey

const began = performance.now()
const clock = { now: () => performance.now() - began }
const log = (line: string) =>
  console.log(`[chaos ${(clock.now() / 1000).toFixed(0).padStart(4)} s] ${line}`)

log('starting two nodes and the edge')
const stack = await startChaosStack(tenants)
const url = stack.edge.url
const outcomes: Outcome[] = []
const events: Record<string, number> = {}
const answered = new Map<string, Set<string>>(tenants.map((t) => [t.id, new Set<string>()]))
let sent = 0
const trafficStart = clock.now()
const at = (seconds: number) => trafficStart + seconds * 1000
const running = () => clock.now() < at(SECONDS) && sent < MAX_REQUESTS
const hotText = (tenant: string, i: number) => `chaos ${tenant}: hot text number ${i}`

async function embed(
  kind: Outcome['kind'],
  tenant: string,
  texts: string[],
  options: { dimensions?: number; base64?: boolean } = {},
): Promise<Answer> {
  sent++
  const seen = answered.get(tenant)!
  const wasHit = texts.every((text) => seen.has(text))
  const answer = await send(clock, url, keyOf(tenant), embedBody(tenant, texts, options))
  if (answer.status === 200) for (const text of texts) seen.add(text)
  outcomes.push({ kind, tenant, texts, dimensions: options.dimensions, wasHit, ...answer })
  return answer
}

async function mixedWorker(worker: number): Promise<void> {
  let fresh = 0
  for (let round = 0; running(); round++) {
    const tenant = MIXED[(worker + round) % MIXED.length]
    const count = 1 + Math.floor(Math.random() * 4)
    const texts = Array.from({ length: count }, () =>
      Math.random() < 0.7
        ? hotText(tenant, Math.floor(Math.random() * HOT_TEXTS))
        : `chaos ${tenant}: new text ${worker}.${fresh++} at ${Math.random()}`,
    )
    const dimensions = [undefined, 32, 128, 512][Math.floor(Math.random() * 4)]
    await embed('mixed', tenant, [...new Set(texts)], { dimensions, base64: Math.random() < 0.5 })
  }
}

async function probeWorker(): Promise<void> {
  for (let i = 0; running(); i++) {
    await embed('probe', 'gamma', [`chaos probe ${i} at ${Math.random()}`])
    await sleep(500)
  }
}

async function badWorker(): Promise<void> {
  const corpus = loadBadRequests()
  for (let i = 0; running(); i++) {
    const bad = corpus[i % corpus.length]
    sent++
    const answer = await send(clock, url, keyOf('beta'), bad.body, bad.contentType)
    outcomes.push({
      kind: 'bad',
      tenant: 'beta',
      texts: [],
      wasHit: false,
      name: bad.name,
      ...answer,
    })
    await sleep(250)
  }
}

async function revokedWorker(): Promise<void> {
  for (let i = 0; running(); i++) {
    await embed('revoked', 'revoked', [hotText('revoked', i % HOT_TEXTS)])
    await sleep(150)
  }
}

async function limitedBurst(count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      embed('limited', 'limited', [hotText('limited', i % 4)]),
    ),
  )
}

async function bigRequest(): Promise<void> {
  const big = 'a big text of many words, '.repeat(12_000_000 / 26)
  const bigDone = embed('big', 'alpha', [big])
  await sleep(300)
  await embed('after-big', 'gamma', [`chaos: small, right after the big one, ${Math.random()}`])
  await bigDone
}

async function schedule(): Promise<void> {
  const until = (seconds: number) => sleep(Math.max(0, at(seconds) - clock.now()))
  await until(5)
  await limitedBurst(60)
  await until(15)
  await limitedBurst(30)
  await until(20)
  await bigRequest()
  await until(30)
  log('fault: node a killed (SIGKILL)')
  events.killedAt = clock.now()
  await stack.kill('a')
  await until(45)
  await stack.start('a')
  events.restartedAAt = clock.now()
  log('node a restarted and ready')
  await until(60)
  const revoke = await fetch(`${url}/admin/tenants/revoked/keys/revoked-key/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.adminSecret}` },
  })
  events.revokedAt = clock.now()
  log(`fault: the revoked tenant's key revoked (admin answered ${revoke.status})`)
  if (!revoke.ok) throw new Error(`revoking failed: ${revoke.status} ${await revoke.text()}`)
  await until(80)
  log('fault: node b sent SIGTERM under load')
  events.sigtermAt = clock.now()
  const { code } = await stack.terminate('b')
  events.bExitedAt = clock.now()
  log(`node b exited with code ${code}`)
  await until(95)
  await stack.start('b')
  events.restartedBAt = clock.now()
  log('node b restarted and ready')
  await until(110)
  await bigRequest()
}

try {
  log('seeding the hot sets')
  for (const tenant of [...MIXED, 'revoked'])
    for (let i = 0; i < HOT_TEXTS; i += 4)
      await embed(
        'seed',
        tenant,
        [0, 1, 2, 3].map((k) => hotText(tenant, i + k)),
      )
  log(`traffic for ${SECONDS} s (at most ${MAX_REQUESTS} requests)`)
  await Promise.all([
    ...Array.from({ length: 4 }, (_, i) => mixedWorker(i)),
    probeWorker(),
    badWorker(),
    revokedWorker(),
    schedule(),
  ])
  log(`traffic done: ${outcomes.length} requests`)
} finally {
  await stack.stop()
}

log('checking every returned vector against the model run here')
const returned: Returned[] = outcomes.flatMap((outcome) =>
  outcome.vectors
    ? outcome.texts.map((text, i) => ({
        tenant: outcome.tenant,
        text,
        dimensions: outcome.dimensions,
        vector: outcome.vectors![i],
      }))
    : [],
)
const vectorCountWrong = outcomes.filter(
  (o) => o.kind !== 'bad' && o.vectors !== null && o.vectors.length !== o.texts.length,
).length
const verdict = await verifyVectors(
  stack.modelDir,
  returned,
  tenants.map((t) => t.id),
)
const report = tally(outcomes, events, verdict, { rateLimit: RATE_LIMIT, vectorCountWrong })
printReport(report)
process.exit(report.goalsMet ? 0 : 1)
