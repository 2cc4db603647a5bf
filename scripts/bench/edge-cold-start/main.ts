/**
 * `npm run bench:edge-cold-start`: what the edge's bundle costs a cold isolate. The worker as
 * `wrangler deploy` would upload it (scripts/dev/bundled-edge.ts) and a trivial worker that
 * only answers 200 start in turn, each in a new workerd (Miniflare) with the same bindings, in
 * alternating order over BENCH_COLD_ROUNDS rounds. Per start: the time until workerd has loaded
 * and evaluated the worker (`ready`), and then until its first answer to `GET /health`. The
 * figure that matters is the edge's time less the trivial worker's in the same round: what
 * parsing, compiling and running the bundle's top level add, workerd's own start taken out.
 * Prints the bundle's size (raw and gzipped, as `wrangler deploy --dry-run` counts it) and ends
 * in one JSON line. On this machine the two cores are shared with nothing else but workerd.
 */
import { rm, writeFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Miniflare } from 'miniflare'
import { bundledEdgeWorker, bundleEdge, bundleSize } from '../../dev/bundled-edge.ts'
import { describeProvenance, provenance } from '../provenance.ts'
import { describeSpread, spreadOf } from '../spread.ts'

const ROUNDS = Math.max(2, Number(process.env.BENCH_COLD_ROUNDS ?? 8))
const VARS = { NODE_URLS: 'http://127.0.0.1:9', NODE_SECRET: 'cold-start-bench-secret-0000' }

type Contender = 'edge' | 'trivial'
interface Start {
  readyMs: number
  firstAnswerMs: number
}

async function coldStart(options: ConstructorParameters<typeof Miniflare>[0]): Promise<Start> {
  const started = performance.now()
  const mf = new Miniflare(options)
  try {
    await mf.ready
    const ready = performance.now()
    const response = await mf.dispatchFetch('http://edge.test/health')
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`GET /health answered ${response.status}`)
    return { readyMs: ready - started, firstAnswerMs: performance.now() - started }
  } finally {
    await mf.dispose()
  }
}

const bundle = await bundleEdge()
const trivialDir = await mkdtemp(path.join(tmpdir(), 'trivial-worker-'))
try {
  await writeFile(
    path.join(trivialDir, 'index.js'),
    'export default { fetch() { return new Response("ok") } }\n',
  )
  const size = await bundleSize(bundle.dir)
  const options: Record<Contender, ConstructorParameters<typeof Miniflare>[0]> = {
    edge: bundledEdgeWorker(bundle.dir, VARS),
    trivial: { ...bundledEdgeWorker(trivialDir, VARS) },
  }
  const starts: Record<Contender, Start[]> = { edge: [], trivial: [] }
  // One unmeasured start each: the first workerd start of a run pays for the disk cache.
  for (const contender of ['edge', 'trivial'] as const) await coldStart(options[contender])
  for (let round = 0; round < ROUNDS; round++) {
    const order: Contender[] = round % 2 === 0 ? ['edge', 'trivial'] : ['trivial', 'edge']
    for (const contender of order) starts[contender].push(await coldStart(options[contender]))
    console.error(
      `round ${round + 1}/${ROUNDS}: edge ready ${starts.edge.at(-1)!.readyMs.toFixed(0)} ms, ` +
        `trivial ready ${starts.trivial.at(-1)!.readyMs.toFixed(0)} ms`,
    )
  }
  const per = (contender: Contender, field: keyof Start) => starts[contender].map((s) => s[field])
  const added = (field: keyof Start) =>
    spreadOf(per('edge', field).map((value, i) => value - per('trivial', field)[i]))
  const result = {
    bench: 'edge-cold-start',
    rounds: ROUNDS,
    bundle_bytes: size.raw,
    bundle_gzip_bytes: size.gzip,
    edge_ready_ms: spreadOf(per('edge', 'readyMs')),
    trivial_ready_ms: spreadOf(per('trivial', 'readyMs')),
    edge_first_answer_ms: spreadOf(per('edge', 'firstAnswerMs')),
    trivial_first_answer_ms: spreadOf(per('trivial', 'firstAnswerMs')),
    bundle_adds_to_ready_ms: added('readyMs'),
    bundle_adds_to_first_answer_ms: added('firstAnswerMs'),
    provenance: provenance(),
  }
  console.log(
    `bundle: ${(size.raw / 1024).toFixed(1)} KiB, ${(size.gzip / 1024).toFixed(1)} KiB gzipped`,
  )
  console.log(
    `cold start, median (lowest–highest) over ${ROUNDS} rounds, 2 cores: ready: edge ` +
      `${describeSpread(result.edge_ready_ms, 0)} ms, trivial ${describeSpread(result.trivial_ready_ms, 0)} ms; ` +
      `first answer: edge ${describeSpread(result.edge_first_answer_ms, 0)} ms, trivial ` +
      `${describeSpread(result.trivial_first_answer_ms, 0)} ms`,
  )
  console.log(
    `what the bundle adds (edge less trivial, per round): ${describeSpread(result.bundle_adds_to_ready_ms, 0)} ms ` +
      `to ready, ${describeSpread(result.bundle_adds_to_first_answer_ms, 0)} ms to the first answer`,
  )
  console.log(`measured ${describeProvenance(result.provenance)}`)
  console.log(JSON.stringify(result))
} finally {
  await rm(trivialDir, { recursive: true, force: true })
  await bundle.remove()
}
