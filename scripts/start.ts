/**
 * `npm start`: the whole service on this machine. Prepares the default model,
 * starts the inference node, seeds a development tenant, starts the edge
 * worker under `wrangler dev` (local and offline), and prints a key with a
 * curl example. Ctrl-C stops both.
 *
 * Environment: EDGE_PORT (8787), NODE_PORT (8081), MODEL_DIR (default model; any Hugging
 * Face export folder, see docs/models.md), MODEL_ID, MODEL_VARIANT,
 * EMBED_DEV_KEY (random if unset), NODE_SECRET (random if unset),
 * EMBED_ADMIN_SECRET (the admin API's secret, random if unset; printed, since
 * `npm run keys` needs it), STATE_DIR (.wrangler/state: local KV and Durable
 * Objects for the worker).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from '../gpu-node/config.ts'
import { INFO_PATH, type NodeInfo } from '../shared/node-protocol.ts'
import { fetchSigned } from '../edge/origin/signed-calls.ts'
import { ensureDefaultModel } from './default-model/prepare.ts'
import { devTenantEntries, newDevKey } from './dev/dev-tenant.ts'
import { run, spawnService, waitForOk } from './dev/processes.ts'

const env = process.env
const edgePort = Number(env.EDGE_PORT || 8787)
const nodePort = Number(env.NODE_PORT || 8081)
const apiKey = env.EMBED_DEV_KEY || newDevKey()
const nodeSecret = env.NODE_SECRET || randomBytes(32).toString('hex')
const adminSecret = env.EMBED_ADMIN_SECRET || `admin-${randomBytes(24).toString('hex')}`
const stateDir = path.resolve(env.STATE_DIR || path.join(REPO_ROOT, '.wrangler', 'state'))
const wrangler = path.join(REPO_ROOT, 'node_modules', '.bin', 'wrangler')
// wrangler dev must not reach out to Cloudflare: no metrics, no request.cf lookup.
const wranglerEnv = { ...env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' }

const modelDir = env.MODEL_DIR || (await ensureDefaultModel(path.join(REPO_ROOT, 'models')))
let modelId = ''

console.log(`[start] inference node: ${modelDir} on 127.0.0.1:${nodePort}`)
// The node prefixes its own log lines with [node].
const node = spawnService(null, process.execPath, ['--import', 'tsx', 'gpu-node/main.ts'], {
  cwd: REPO_ROOT,
  env: {
    ...env,
    NODE_HOST: '127.0.0.1',
    NODE_PORT: String(nodePort),
    MODEL_DIR: modelDir,
    NODE_SECRET: nodeSecret,
  },
  lifeline: true,
})
let edge: ReturnType<typeof spawnService> | undefined

function stopAll(code: number): never {
  for (const child of [edge, node]) if (child && child.exitCode === null) child.kill('SIGTERM')
  process.exit(code)
}
process.once('SIGINT', () => stopAll(0))
process.once('SIGTERM', () => stopAll(0))

try {
  await waitForOk(`http://127.0.0.1:${nodePort}/ready`, node, 120_000)
  // The node derives the model's id from its folder (or MODEL_ID); ask it rather than guess.
  const info = (await (
    await fetchSigned(`http://127.0.0.1:${nodePort}`, INFO_PATH, nodeSecret)
  ).json()) as NodeInfo
  modelId = info.models[0].id

  console.log(
    `[start] seeding the development tenant into local KV (${path.relative(REPO_ROOT, stateDir)})`,
  )
  const seedDir = await mkdtemp(path.join(tmpdir(), 'embed-seed-'))
  const seedFile = path.join(seedDir, 'entries.json')
  await writeFile(seedFile, JSON.stringify(await devTenantEntries(apiKey)))
  await run(
    wrangler,
    ['kv', 'bulk', 'put', seedFile, '--binding', 'CONTROL_KV', '--local', '--persist-to', stateDir],
    {
      cwd: REPO_ROOT,
      env: wranglerEnv,
    },
  )
  await rm(seedDir, { recursive: true })

  console.log(`[start] edge worker: wrangler dev on 127.0.0.1:${edgePort}`)
  edge = spawnService(
    '[edge]',
    wrangler,
    [
      'dev',
      '--local',
      '--ip',
      '127.0.0.1',
      '--port',
      String(edgePort),
      '--persist-to',
      stateDir,
      '--show-interactive-dev-session=false',
      '--var',
      `NODE_URL:http://127.0.0.1:${nodePort}`,
      '--var',
      `NODE_SECRET:${nodeSecret}`,
      '--var',
      `ADMIN_SECRET:${adminSecret}`,
    ],
    { cwd: REPO_ROOT, env: wranglerEnv },
  )
  await waitForOk(`http://127.0.0.1:${edgePort}/health`, edge, 120_000)
} catch (err) {
  console.error(`[start] failed: ${(err as Error).message}`)
  stopAll(1)
}

for (const [label, child] of [
  ['node', node],
  ['edge', edge!],
] as const) {
  child.once('exit', (code, signal) => {
    console.error(`[start] the ${label} exited (${code ?? signal}); stopping`)
    stopAll(1)
  })
}

const base = `http://127.0.0.1:${edgePort}`
console.log(`
Embedding service ready at ${base}/v1   (Ctrl-C stops it)
Development API key: ${apiKey}

  curl ${base}/v1/embeddings \\
    -H 'Authorization: Bearer ${apiKey}' \\
    -H 'Content-Type: application/json' \\
    -d '{"model": "${modelId}", "input": ["A cat sits on the mat"]}'

Admin secret: ${adminSecret}
  EMBED_ADMIN_SECRET=${adminSecret} npm run keys -- list dev
`)
