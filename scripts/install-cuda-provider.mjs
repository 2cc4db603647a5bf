// `npm run cuda:install`: fetches onnxruntime-node's CUDA 12 provider libraries, which are not
// in its npm package, by running its own install script. `npm install` runs no dependency's
// install script (.npmrc), so a CPU machine never downloads them; a GPU host with CUDA 12 and
// cuDNN 9 runs this once after `npm install` (deploy/docker/node.Dockerfile does).
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'

const packageDir = path.dirname(
  createRequire(import.meta.url).resolve('onnxruntime-node/package.json'),
)
const run = spawnSync(process.execPath, ['script/install'], {
  cwd: packageDir,
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
  stdio: 'inherit',
})
process.exit(run.status ?? 1)
