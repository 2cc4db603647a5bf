/**
 * `npm run types:edge`: worker-configuration.d.ts, the edge's `Env` as `wrangler types` makes it
 * from wrangler.toml (its bindings and [vars]), written where wrangler puts it, at the root.
 * scripts/worker-configuration.test.ts fails while the committed file is not what this makes.
 *
 * wrangler runs in a scratch folder that holds only wrangler.toml and a link to edge/: run in the
 * repository, it would also type each secret of a local .dev.vars or .env, and the file would
 * depend on whose machine made it. The secrets, and every setting left to its default, are typed
 * from edge/config.ts instead (edge/env.ts). The flags:
 * - `--include-runtime=false`: the runtime's own types come from @cloudflare/workers-types
 *   (tsconfig.workers.json), not from a 10,000-line file per compatibility date;
 * - `--strict-vars=false`: a var is typed `string`, not its literal value, since tests and
 *   deployments set others.
 */
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { REPO_ROOT } from '../gpu-node/config.ts'
import { run } from './dev/processes.ts'

export const WORKER_CONFIGURATION = path.join(REPO_ROOT, 'worker-configuration.d.ts')

const wrangler = path.join(REPO_ROOT, 'node_modules', '.bin', 'wrangler')

/** The text `wrangler types` makes of wrangler.toml as it is now. */
export async function generatedWorkerConfiguration(): Promise<string> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'worker-configuration-'))
  try {
    await copyFile(path.join(REPO_ROOT, 'wrangler.toml'), path.join(scratch, 'wrangler.toml'))
    await symlink(path.join(REPO_ROOT, 'edge'), path.join(scratch, 'edge'))
    await run(wrangler, ['types', '--include-runtime=false', '--strict-vars=false'], {
      cwd: scratch,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    })
    return await readFile(path.join(scratch, 'worker-configuration.d.ts'), 'utf8')
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(WORKER_CONFIGURATION, await generatedWorkerConfiguration())
  console.log(`wrote ${path.relative(process.cwd(), WORKER_CONFIGURATION)}`)
}
