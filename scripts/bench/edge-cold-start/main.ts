/**
 * `npm run bench:edge-cold-start`: what the edge's bundle costs a cold isolate. The worker as
 * `wrangler deploy` would upload it (scripts/dev/bundled-edge.ts) and a trivial worker that
 * only answers 200 start in turn, each in a new workerd (Miniflare) with the same bindings, in
 * alternating order over BENCH_COLD_ROUNDS rounds. Per start: the time until workerd has loaded
 * and evaluated the worker (`ready`), and then until its first answer to `GET /health`. The
 * figure that matters is the edge's time less the trivial worker's in the same round: what
 * parsing, compiling and running the bundle's top level add, workerd's own start taken out.
 * Prints the bundle's size (raw and gzipped, as `wrangler deploy --dry-run` counts it) and ends
 * in one JSON line. With BENCH_COLD_BEFORE=<commit>, that commit's worker (bundled from a
 * temporary checkout of it) starts in the same rounds too: a before-and-after from one run. On this machine the two cores are shared with nothing else but workerd.
 */
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Miniflare } from 'miniflare'
import { REPO_ROOT } from '../../../gpu-node/config.ts'
import { bundledEdgeWorker, bundleEdge, bundleSize } from '../../dev/bundled-edge.ts'
import { run } from '../../dev/processes.ts'
import { describeProvenance, provenance } from '../provenance.ts'
import { describeSpread, spreadOf } from '../spread.ts'

const ROUNDS = Math.max(2, Number(process.env.BENCH_COLD_ROUNDS ?? 8))
/** A commit whose worker starts in the same rounds (e.g. one from before a change): unset, none. */
const BEFORE = process.env.BENCH_COLD_BEFORE || null
const VARS = { NODE_URLS: 'http://127.0.0.1:9', NODE_SECRET: 'cold-start-bench-secret-0000' }

type Contender = 'edge' | 'before' | 'trivial'
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

/** The worker of `commit`, bundled from a checkout of it that uses this one's node_modules. */
async function bundleAt(commit: string): Promise<Awaited<ReturnType<typeof bundleEdge>>> {
  const checkout = await mkdtemp(path.join(tmpdir(), 'edge-before-'))
  const git = (...args: string[]) => run('git', args, { cwd: REPO_ROOT })
  await git('worktree', 'add', '--detach', checkout, commit)
  try {
    await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(checkout, 'node_modules'))
    return await bundleEdge(checkout)
  } finally {
    await git('worktree', 'remove', '--force', checkout)
  }
}

const bundles = { edge: await bundleEdge(), ...(BEFORE ? { before: await bundleAt(BEFORE) } : {}) }
const trivialDir = await mkdtemp(path.join(tmpdir(), 'trivial-worker-'))
try {
  await writeFile(
    path.join(trivialDir, 'index.js'),
    'export default { fetch() { return new Response("ok") } }\n',
  )
  const contenders: Contender[] = ['edge', ...(BEFORE ? (['before'] as const) : []), 'trivial']
  const options = Object.fromEntries(
    contenders.map((c) => [
      c,
      bundledEdgeWorker(c === 'trivial' ? trivialDir : bundles[c]!.dir, VARS),
    ]),
  ) as Record<Contender, ConstructorParameters<typeof Miniflare>[0]>
  const starts: Record<Contender, Start[]> = { edge: [], before: [], trivial: [] }
  // One unmeasured start each: the first workerd start of a run pays for the disk cache.
  for (const contender of contenders) await coldStart(options[contender])
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with the next contender: every one goes first as often as the others.
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length])
    for (const contender of order) starts[contender].push(await coldStart(options[contender]))
    console.error(
      `round ${round + 1}/${ROUNDS}: ` +
        order.map((c) => `${c} ready ${starts[c].at(-1)!.readyMs.toFixed(0)} ms`).join(', '),
    )
  }
  const per = (contender: Contender, field: keyof Start) => starts[contender].map((s) => s[field])
  /** What a worker's bundle adds to workerd's own start: less the trivial worker's, per round. */
  const added = (contender: Contender, field: keyof Start) =>
    spreadOf(per(contender, field).map((value, i) => value - per('trivial', field)[i]))
  const figures = async (contender: 'edge' | 'before') => {
    const size = await bundleSize(bundles[contender]!.dir)
    return {
      bundle_bytes: size.raw,
      bundle_gzip_bytes: size.gzip,
      ready_ms: spreadOf(per(contender, 'readyMs')),
      first_answer_ms: spreadOf(per(contender, 'firstAnswerMs')),
      adds_to_ready_ms: added(contender, 'readyMs'),
      adds_to_first_answer_ms: added(contender, 'firstAnswerMs'),
    }
  }
  const edge = await figures('edge')
  const before = BEFORE ? { commit: BEFORE, ...(await figures('before')) } : null
  const result = {
    bench: 'edge-cold-start',
    rounds: ROUNDS,
    bundle_bytes: edge.bundle_bytes,
    bundle_gzip_bytes: edge.bundle_gzip_bytes,
    edge_ready_ms: edge.ready_ms,
    trivial_ready_ms: spreadOf(per('trivial', 'readyMs')),
    edge_first_answer_ms: edge.first_answer_ms,
    trivial_first_answer_ms: spreadOf(per('trivial', 'firstAnswerMs')),
    bundle_adds_to_ready_ms: edge.adds_to_ready_ms,
    bundle_adds_to_first_answer_ms: edge.adds_to_first_answer_ms,
    before,
    provenance: provenance(),
  }
  const kib = (bytes: number) => (bytes / 1024).toFixed(1)
  const described: [string, typeof edge][] = [['edge', edge]]
  if (before) described.push([`edge at ${BEFORE}`, before])
  for (const [name, f] of described) {
    console.log(
      `${name}: bundle ${kib(f.bundle_bytes)} KiB, ${kib(f.bundle_gzip_bytes)} KiB gzipped; ` +
        `ready ${describeSpread(f.ready_ms, 0)} ms, first answer ${describeSpread(f.first_answer_ms, 0)} ms; ` +
        `the bundle adds ${describeSpread(f.adds_to_ready_ms, 0)} ms to ready, ` +
        `${describeSpread(f.adds_to_first_answer_ms, 0)} ms to the first answer (less the trivial worker's, per round)`,
    )
  }
  console.log(
    `a trivial worker: ready ${describeSpread(result.trivial_ready_ms, 0)} ms, first answer ` +
      `${describeSpread(result.trivial_first_answer_ms, 0)} ms; median (lowest–highest) over ${ROUNDS} rounds, 2 cores`,
  )
  console.log(`measured ${describeProvenance(result.provenance)}`)
  console.log(JSON.stringify(result))
} finally {
  await rm(trivialDir, { recursive: true, force: true })
  for (const bundle of Object.values(bundles)) await bundle.remove()
}
