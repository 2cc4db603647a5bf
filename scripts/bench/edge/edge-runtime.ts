/**
 * The edge worker in one workerd, as the benchmark drives it: bundled by
 * wrangler exactly as `wrangler deploy` would (`--dry-run --outdir`), run by
 * Miniflare with the bindings wrangler.toml declares (KV, Durable Objects,
 * vars), in-memory storage, and one tenant with a key and no rate limits.
 * Every row of the benchmark talks to this one runtime over loopback.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Miniflare } from 'miniflare'
import { unstable_getMiniflareWorkerOptions } from 'wrangler'
import { tenantWithKeyEntries } from '../../../edge/tenants/tenant-records.ts'
import { REPO_ROOT } from '../../../gpu-node/config.ts'
import { run } from '../../dev/processes.ts'
import { freePort } from '../../dev/service-process.ts'

export interface EdgeRuntime {
  url: string
  stop: () => Promise<void>
}

const wrangler = path.join(REPO_ROOT, 'node_modules', '.bin', 'wrangler')
// Bundling must not reach out to Cloudflare.
const offline = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
}

export async function startEdge(options: {
  nodeUrls: string[]
  nodeSecret: string
  apiKey: string
  /** A key of a second tenant, with limits far above what the benchmark sends. */
  limitedApiKey: string
}): Promise<EdgeRuntime> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'bench-edge-bundle-'))
  await run(wrangler, ['deploy', '--dry-run', '--outdir', outDir], { cwd: REPO_ROOT, env: offline })
  const { workerOptions } = unstable_getMiniflareWorkerOptions(
    path.join(REPO_ROOT, 'wrangler.toml'),
  )
  const port = await freePort()
  const mf = new Miniflare({
    ...(workerOptions as object),
    name: 'edge',
    modules: true,
    modulesRoot: outDir,
    scriptPath: path.join(outDir, 'index.js'),
    bindings: {
      ...workerOptions.bindings,
      NODE_URLS: options.nodeUrls.join(','),
      NODE_SECRET: options.nodeSecret,
      // The benchmark's cache-off rows send `x-embed-cache: bypass` (edge/cache/cache-bypass.ts).
      ALLOW_CACHE_BYPASS: 'true',
    },
    host: '127.0.0.1',
    port,
  })
  await mf.ready
  const control = await mf.getKVNamespace('CONTROL_KV')
  // `bench` has no limits; `bench-limited` has limits this machine cannot reach in a minute, so
  // both admission paths are measured (a tenant without limits has nothing to count) and
  // neither turns into a 429.
  const tenants = [
    {
      id: 'bench',
      apiKey: options.apiKey,
      limits: { requests_per_minute: null, tokens_per_minute: null },
    },
    {
      id: 'bench-limited',
      apiKey: options.limitedApiKey,
      limits: { requests_per_minute: 10_000_000, tokens_per_minute: 1_000_000_000 },
    },
  ]
  for (const { apiKey, ...tenant } of tenants) {
    const record = { ...tenant, allowed_models: ['*'] }
    for (const { key, value } of await tenantWithKeyEntries(record, apiKey, 'bench-key'))
      await control.put(key, value)
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await mf.dispose()
      await rm(outDir, { recursive: true, force: true })
    },
  }
}
