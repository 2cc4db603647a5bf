/**
 * Starts each served contender on a model, one at a time, each in its own process:
 * (a) the real inference node (gpu-node/main.ts, as an operator starts it), (b) the naive
 * server, (c) the transformers.js server on a Hugging Face-style view of the same folder.
 */
import { startInferenceNode } from '../../dev/inference-node-process.ts'
import { buildHfFolder } from './hf-folder.ts'
import type { ContenderName } from './report.ts'
import { startBaselineServer, stopChild, type RunningServer } from './server-process.ts'
import { nodeEnv, sessionSettingsEnv, type BenchSessionSettings } from './session-options.ts'

export const CONTENDERS: ContenderName[] = ['node', 'naive', 'transformers.js']

/**
 * The node finishes what is in flight on SIGTERM; after a cell cut at its deadline that may be
 * a long batch, which the benchmark does not need. Past this grace it is killed.
 */
const STOP_GRACE_MS = 15_000

export async function startContender(
  name: ContenderName,
  options: { modelDir: string; secret: string; session: BenchSessionSettings; hfConfig: object },
): Promise<RunningServer> {
  const { modelDir, secret, session } = options
  if (name === 'node') {
    const node = await startInferenceNode({ modelDir, secret, env: nodeEnv(session) })
    const stop = () => stopChild(node.process, STOP_GRACE_MS)
    return { url: node.url, pid: node.process.pid!, stop }
  }
  if (name === 'naive') {
    return startBaselineServer({
      label: '[naive]',
      script: 'naive-server.ts',
      modelDir,
      secret,
      env: sessionSettingsEnv(session),
    })
  }
  const folder = await buildHfFolder(modelDir, options.hfConfig)
  try {
    const server = await startBaselineServer({
      label: '[transformers.js]',
      script: 'transformers-server.ts',
      modelDir: folder.dir,
      secret,
      env: { ...sessionSettingsEnv(session), BENCH_HF_POOLING: folder.pooling },
    })
    return { ...server, stop: () => server.stop().finally(folder.remove) }
  } catch (err) {
    await folder.remove()
    throw err
  }
}
