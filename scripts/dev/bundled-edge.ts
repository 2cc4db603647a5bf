/**
 * The edge worker in one workerd, as a deployment runs it: bundled by wrangler exactly as
 * `wrangler deploy` would (`--dry-run --outdir`), run by Miniflare with the bindings
 * wrangler.toml declares (KV, Durable Objects, vars), in-memory storage, and the tenants
 * given, each with one key. For the edge benchmark and for tests that need the worker over
 * real HTTP rather than through the test pool's in-process fetch.
 *
 * It listens twice: `url` is Miniflare's usual front door, through its entry worker (what
 * `wrangler dev` serves; it re-wraps every request and response), and `directUrl` is the
 * worker's own socket without it, closer to how Cloudflare calls a deployed worker.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { Miniflare } from 'miniflare'
import { unstable_getMiniflareWorkerOptions } from 'wrangler'
import { tenantWithKeyEntries } from '../../edge/tenants/tenant-records.ts'
import type { Limits } from '../../edge/tenants/tenant.ts'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { run } from './processes.ts'
import { freePort } from './service-process.ts'

export interface BundledEdge {
  url: string
  directUrl: string
  stop: () => Promise<void>
}

export interface EdgeTenant {
  id: string
  apiKey: string
  limits: Limits
  /** false: the edge keeps none of the tenant's vectors (the benchmarks' cache-off rows). */
  edge_cache?: boolean
}

const wrangler = path.join(REPO_ROOT, 'node_modules', '.bin', 'wrangler')
// Bundling must not reach out to Cloudflare.
const offline = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
}

/**
 * `tenant` again as a tenant of its own, with a key of its own, for which the edge keeps nothing
 * (`edge_cache: false`): the benchmarks' cache-off rows, every input to a node.
 */
export function withoutEdgeCache(tenant: EdgeTenant): EdgeTenant {
  return {
    ...tenant,
    id: `${tenant.id}-no-edge-cache`,
    apiKey: `sk-bench-${randomBytes(12).toString('hex')}`,
    edge_cache: false,
  }
}

/**
 * The worker as `wrangler deploy` would upload it, in a new temporary folder: this checkout's,
 * or the one at `root` (another commit's, for a before-and-after).
 */
export async function bundleEdge(
  root = REPO_ROOT,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bundled-edge-'))
  await run(wrangler, ['deploy', '--dry-run', '--outdir', dir], { cwd: root, env: offline })
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** Bytes of every module a bundle uploads, raw and gzipped one by one (as wrangler counts). */
export async function bundleSize(dir: string): Promise<{ raw: number; gzip: number }> {
  let raw = 0
  let gzip = 0
  for (const file of await readdir(dir)) {
    if (!/\.(js|mjs|wasm)$/.test(file)) continue
    const bytes = await readFile(path.join(dir, file))
    raw += bytes.length
    gzip += gzipSync(bytes).length
  }
  return { raw, gzip }
}

/**
 * Miniflare's options for the bundled worker in `outDir`, with wrangler.toml's bindings (KV,
 * Durable Objects, vars) and `vars` over them.
 */
export function bundledEdgeWorker(outDir: string, vars: Record<string, string>) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(
    path.join(REPO_ROOT, 'wrangler.toml'),
  )
  return {
    ...(workerOptions as object),
    name: 'edge',
    modules: true as const,
    modulesRoot: outDir,
    scriptPath: path.join(outDir, 'index.js'),
    bindings: { ...workerOptions.bindings, ...vars },
  }
}

export async function startBundledEdge(options: {
  nodeUrls: string[]
  nodeSecret: string
  tenants: EdgeTenant[]
  /** Extra worker variables, e.g. a smaller ISOLATE_CACHE_BYTES. */
  vars?: Record<string, string>
  /** Opens workerd's V8 inspector here (Chrome DevTools Protocol), e.g. to read the heap. */
  inspectorPort?: number
  /** A bundle from bundleEdge() to run (kept on stop); without it, one is made for this edge. */
  bundleDir?: string
  /** What every request's `request.cf` says (e.g. a colo's `colo`, `latitude`, `longitude`). */
  cf?: Record<string, unknown>
  /** Handles every fetch the worker makes to the network, e.g. a simulated WAN to the nodes. */
  outbound?: (request: IncomingMessage, response: ServerResponse) => void
}): Promise<BundledEdge> {
  const bundle = options.bundleDir ? null : await bundleEdge()
  const outDir = options.bundleDir ?? bundle!.dir
  const port = await freePort()
  let directPort = await freePort()
  // Two asks in a row can name the same free port.
  while (directPort === port) directPort = await freePort()
  const mf = new Miniflare({
    ...bundledEdgeWorker(outDir, {
      NODE_URLS: options.nodeUrls.join(','),
      NODE_SECRET: options.nodeSecret,
      ...options.vars,
    }),
    unsafeDirectSockets: [{ host: '127.0.0.1', port: directPort }],
    ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
    ...(options.cf ? { cf: options.cf } : {}),
    ...(options.outbound ? { outboundService: { node: options.outbound } } : {}),
    host: '127.0.0.1',
    port,
  })
  await mf.ready
  const control = await mf.getKVNamespace('CONTROL_KV')
  for (const { apiKey, ...tenant } of options.tenants) {
    const record = { ...tenant, allowed_models: ['*'] }
    for (const { key, value } of await tenantWithKeyEntries(record, apiKey, `${tenant.id}-key`))
      await control.put(key, value)
  }
  return {
    url: `http://127.0.0.1:${port}`,
    directUrl: `http://127.0.0.1:${directPort}`,
    stop: async () => {
      await mf.dispose()
      await bundle?.remove()
    },
  }
}
